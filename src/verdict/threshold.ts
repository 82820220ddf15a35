/**
 * Thresholds (pure): what a verdict is judged against. A threshold bounds one metric of the catalogue,
 * either per attempt (`value`) or as a statistic of a scenario's repetitions (`median`, `p95`, `min`,
 * `max`). They come from the testbed's `defaults.thresholds` (the four named bounds and any
 * `statistics` expressions) and from certification profiles; each one keeps where it came from, so a
 * failure names the line a lab engineer has to look at.
 *
 * Expression syntax (profiles, `defaults.thresholds.statistics`): `STAT(METRIC) OP BOUND [UNIT]`, e.g.
 * `p95(outage) <= 500 ms`, `median(loss_pct) < 2 %`, `max(reconvergence) ≤ 1500ms`. METRIC is a catalogue
 * name or one of METRIC_ALIASES; OP is `<=`/`≤`/`<` or `>=`/`≥`/`>` (a strict bound is judged like an
 * inclusive one: within one resolution it is inconclusive either way); UNIT, when given, must be the
 * metric's own.
 */
import { metricInfo, metricUnit, type MetricName, type MetricUnit } from '../measure/metric-catalogue.js';
import { STATISTICS, type Statistic } from '../measure/stats.js';
import type { Thresholds } from '../model/testbed.js';

export type Bound = '<=' | '>=';

export interface Threshold {
  /** Stable name: `maxOutageMs` for a testbed bound, the expression or a profile's id otherwise. */
  readonly id: string;
  readonly metric: MetricName;
  readonly statistic: Statistic;
  readonly op: Bound;
  readonly bound: number;
  /** Strategies this threshold does not apply to (the tunnel's RTT step is its design, not a fault). */
  readonly exceptStrategies?: readonly string[];
  /** Scenario names (or prefixes ending in `/`) it applies to; absent: every scenario. */
  readonly scenarios?: readonly string[];
  /** Where it is written: `testbed defaults.thresholds.maxOutageMs`, `profile nvo3-vmmi@1`. */
  readonly source: string;
  /** Why this bound (profiles justify every threshold). */
  readonly why?: string;
}

/** Short names a lab engineer writes for the headline metrics. */
export const METRIC_ALIASES: Readonly<Record<string, MetricName>> = {
  outage: 'loss_derived_ms',
  downtime: 'hypervisor_downtime_ms',
  gap: 'gap_rx_ms',
  loss: 'loss_pct',
  reconvergence: 'reconvergence_ms',
  rtt_step: 'rtt_step_ms',
};

const UNIT_WORDS: Readonly<Record<string, MetricUnit>> = {
  ms: 'ms', '%': 'pct', pct: 'pct', pps: 'pps', packets: 'packets', bytes: 'bytes', count: 'count',
  'MiB/s': 'mibs', mibs: 'mibs',
};

const UNIT_SHOWN: Readonly<Record<MetricUnit, string>> = {
  ms: 'ms', pct: '%', pps: 'pps', packets: 'packets', bytes: 'bytes', count: '', bool: '', mibs: 'MiB/s',
};

/** The way a value of `metric` is written, with its unit (`612 ms`, `1.5 %`). */
export function withUnit(value: number, metric: MetricName): string {
  const u = UNIT_SHOWN[metricUnit(metric)];
  const v = Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return u === '' ? v : u === '%' ? `${v} %` : `${v} ${u}`;
}

/** `p95(loss_derived_ms) ≤ 500 ms`; `loss_derived_ms ≤ 5000 ms` for a per-attempt bound. */
export function formatThreshold(t: Threshold): string {
  const lhs = t.statistic === 'value' ? t.metric : `${t.statistic}(${t.metric})`;
  return `${lhs} ${t.op === '<=' ? '≤' : '≥'} ${withUnit(t.bound, t.metric)}`;
}

/** A threshold expression that does not parse: the message says what is wrong and what is accepted. */
export class ThresholdSyntaxError extends Error {
  override readonly name = 'ThresholdSyntaxError';
}

const EXPR = /^\s*([a-z0-9]+)\s*\(\s*([a-z_0-9]+)\s*\)\s*(<=|>=|≤|≥|<|>)\s*(-?\d+(?:\.\d+)?)\s*([a-z%]+)?\s*$/i;

function metricNamed(word: string): MetricName | undefined {
  const alias = METRIC_ALIASES[word];
  if (alias !== undefined) return alias;
  try {
    return metricInfo(word as MetricName) === undefined ? undefined : (word as MetricName);
  } catch {
    return undefined;
  }
}

/** Parses `STAT(METRIC) OP BOUND [UNIT]` (module comment); throws ThresholdSyntaxError naming the fault. */
export function parseThreshold(text: string, source: string, extra: Partial<Pick<Threshold, 'id' | 'why' | 'scenarios' | 'exceptStrategies'>> = {}): Threshold {
  const m = EXPR.exec(text);
  if (m === null) {
    throw new ThresholdSyntaxError(`threshold "${text}": expected STAT(METRIC) OP BOUND [UNIT], e.g. "p95(outage) <= 500 ms"`);
  }
  const [, statWord = '', metricWord = '', opWord = '', boundWord = '', unitWord] = m;
  const statistic = statWord.toLowerCase() as Statistic;
  if (!(STATISTICS as readonly string[]).includes(statistic)) {
    throw new ThresholdSyntaxError(`threshold "${text}": unknown statistic "${statWord}" (one of ${STATISTICS.join(', ')})`);
  }
  const metric = metricNamed(metricWord.toLowerCase());
  if (metric === undefined) {
    throw new ThresholdSyntaxError(`threshold "${text}": unknown metric "${metricWord}" (a runs.csv metric name, or one of ${Object.keys(METRIC_ALIASES).join(', ')})`);
  }
  if (unitWord !== undefined) {
    const unit = UNIT_WORDS[unitWord.toLowerCase()];
    if (unit !== metricUnit(metric)) {
      throw new ThresholdSyntaxError(`threshold "${text}": unit "${unitWord}" is not the unit of ${metric} (${UNIT_SHOWN[metricUnit(metric)] || metricUnit(metric)})`);
    }
  }
  const op: Bound = opWord === '<=' || opWord === '≤' || opWord === '<' ? '<=' : '>=';
  return { id: extra.id ?? text.trim(), metric, statistic, op, bound: Number(boundWord), source, ...extra };
}

/**
 * The testbed's thresholds as Threshold values: the four named per-attempt bounds and each
 * `statistics` expression. maxRttStepMs bounds the RTT step beyond what the move explains
 * (`rtt_step_excess_ms`, migration/rtt-expectation.ts), for every strategy and scenario: a move to
 * another site changes the distance itself (30 ms of WAN one way is a 60 ms step that is no fault) and
 * the tunnel's detour is its design; both are subtracted, so what remains is a detour nobody planned
 * (tromboning, a stale path).
 */
export function testbedThresholds(t: Thresholds): Threshold[] {
  const at = (key: string): string => `testbed defaults.thresholds.${key}`;
  const per = (id: keyof Thresholds, metric: MetricName, bound: number, more: Partial<Threshold> = {}): Threshold =>
    ({ id, metric, statistic: 'value', op: '<=', bound, source: at(id), ...more });
  return [
    per('maxOutageMs', 'loss_derived_ms', t.maxOutageMs),
    per('maxLossPct', 'loss_pct', t.maxLossPct),
    per('maxReconvergenceMs', 'reconvergence_ms', t.maxReconvergenceMs),
    per('maxRttStepMs', 'rtt_step_excess_ms', t.maxRttStepMs),
    ...(t.statistics ?? []).map((s, i) => parseThreshold(s, at(`statistics[${i}]`))),
  ];
}

/** Whether `t` applies to a record of `scenario` made with `strategy`. */
export function appliesTo(t: Threshold, scenario: string, strategy: string): boolean {
  if (t.exceptStrategies?.includes(strategy) === true) return false;
  if (t.scenarios === undefined) return true;
  return t.scenarios.some((s) => (s.endsWith('/') ? scenario.startsWith(s) : scenario === s));
}
