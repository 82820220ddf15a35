/**
 * Judging records against thresholds (pure). Every judgement keeps the figure, its method, resolution
 * and clock, and a message that names all of them: that message is what a failed test, JUnit and the
 * report show.
 *
 * Uncertainty: a figure within one resolution of its bound is `inconclusive`, never passed or failed
 * silently either way (the measurement cannot tell). For a statistic of repetitions the uncertainty is
 * also its 95 % bootstrap interval: a bound inside the interval is inconclusive too.
 *
 * What is judged: records whose measurement is usable. An ERRORED record (health `errored`) has no
 * figure to judge; it is reported as ERRORED, which is a different outcome from a threshold failure.
 */
import type { Metric } from '../measure/metric-catalogue.js';
import { describe, intervalOf, type Interval, type Statistic } from '../measure/stats.js';
import { coarsestResolutionMs } from '../measure/precision.js';
import type { JudgementOutcome, RunRecord } from '../report/record.js';
import { appliesTo, formatThreshold, withUnit, type Threshold } from './threshold.js';

export { JUDGEMENT_OUTCOMES, type JudgementOutcome } from '../report/record.js';

/** The figure a threshold is judged on, with what makes it a measurement (measurement.md). */
export interface JudgedFigure {
  /** The attempt's value or the statistic; null when not measured. */
  readonly value: number | null;
  readonly method: string | null;
  readonly resolutionMs: number | null;
  readonly clock: string | null;
  /** Values the figure summarises (1 for a per-attempt threshold). */
  readonly n: number;
  readonly interval?: Interval;
}

export interface Judgement extends JudgedFigure {
  readonly threshold: string;
  /** `p95(loss_derived_ms) ≤ 500 ms`. */
  readonly expression: string;
  readonly source: string;
  readonly metric: string;
  readonly statistic: Statistic;
  readonly op: '<=' | '>=';
  readonly bound: number;
  readonly outcome: JudgementOutcome;
  readonly scenario: string;
  /** The attempt judged (per-attempt thresholds). */
  readonly runId?: string;
  readonly attempt?: number;
  readonly message: string;
}

/** The verdict judgements give: any fail fails; else any inconclusive; else pass. */
export function verdictOf(js: readonly Judgement[]): 'pass' | 'fail' | 'inconclusive' {
  if (js.some((j) => j.outcome === 'fail')) return 'fail';
  return js.some((j) => j.outcome === 'inconclusive') ? 'inconclusive' : 'pass';
}

function outcomeOf(t: Threshold, f: JudgedFigure): JudgementOutcome {
  if (f.value === null) return 'not-measured';
  const res = f.resolutionMs ?? 0;
  if (Math.abs(f.value - t.bound) <= res) return 'inconclusive';
  if (f.interval !== undefined && f.interval.low <= t.bound && t.bound <= f.interval.high) return 'inconclusive';
  const within = t.op === '<=' ? f.value <= t.bound : f.value >= t.bound;
  return within ? 'pass' : 'fail';
}

function messageOf(t: Threshold, f: JudgedFigure, outcome: JudgementOutcome, where: string): string {
  const name = t.statistic === 'value' ? t.metric : `${t.statistic}(${t.metric})`;
  const how = [
    `method ${f.method ?? 'unknown'}`,
    `resolution ${f.resolutionMs === null ? 'none stated' : `${Number(f.resolutionMs.toPrecision(3))} ms`}`,
    ...(f.clock === null ? [] : [`clock ${f.clock}`]),
    ...(t.statistic === 'value' ? [] : [`n=${f.n}`]),
    ...(f.interval === undefined ? [] : [`95 % CI ${withUnit(f.interval.low, t.metric as never)}–${withUnit(f.interval.high, t.metric as never)}`]),
  ].join(', ');
  const head = `threshold ${t.id} (${formatThreshold(t)}, ${t.source})`;
  if (f.value === null) return `${head} not measured: ${name} has no value (${how}) — ${where}`;
  const shown = withUnit(f.value, t.metric);
  const rel = outcome === 'fail' ? (t.op === '<=' ? '>' : '<') : outcome === 'pass' ? (t.op === '<=' ? '≤' : '≥') : '≈';
  const verb = outcome === 'fail' ? 'FAILED' : outcome === 'pass' ? 'passed' : 'INCONCLUSIVE';
  const why = outcome === 'inconclusive'
    ? f.interval !== undefined && Math.abs(f.value - t.bound) > (f.resolutionMs ?? 0)
      ? ' (the bound lies inside the 95 % interval)'
      : ` (within one resolution of the bound)`
    : '';
  return `${head} ${verb}: ${name} = ${shown} ${rel} ${withUnit(t.bound, t.metric)}${why} (${how}) — ${where}`;
}

function judgement(t: Threshold, f: JudgedFigure, scenario: string, where: string, at: Partial<Pick<Judgement, 'runId' | 'attempt'>>): Judgement {
  const outcome = outcomeOf(t, f);
  return {
    threshold: t.id, expression: formatThreshold(t), source: t.source, metric: t.metric, statistic: t.statistic,
    op: t.op, bound: t.bound, value: f.value, method: f.method, resolutionMs: f.resolutionMs, clock: f.clock,
    n: f.n, ...(f.interval === undefined ? {} : { interval: f.interval }), outcome, scenario, ...at,
    message: messageOf(t, f, outcome, where),
  };
}

/** Whether a record's figures can be judged: measured (not ERRORED) and not a move made only to re-measure. */
export function judgeable(r: RunRecord): boolean {
  return r.health !== 'errored' && r.verdict !== 'errored' && r.verdict !== 'skipped'
    && !r.healthReasons.some((x) => x.startsWith('reposition:'));
}

/**
 * The per-attempt (`value`) thresholds that apply to `r`, judged. An ERRORED record gives none. A
 * metric the record does not carry at all is not judged (it does not apply: no route monitor, no
 * reconvergence); one it carries as null is `not-measured`.
 */
export function judgeRecord(r: RunRecord, thresholds: readonly Threshold[]): Judgement[] {
  if (!judgeable(r)) return [];
  const where = `${r.scenario}, ${r.vm} ${r.source} → ${r.destination}, attempt ${r.attempt}/${r.attemptOf}`;
  const out: Judgement[] = [];
  for (const t of thresholds) {
    if (t.statistic !== 'value' || !appliesTo(t, r.scenario, r.strategy)) continue;
    const m: Metric | undefined = r.metrics.find((x) => x.name === t.metric);
    if (m === undefined) continue;
    out.push(judgement(t, {
      value: m.value, method: m.method, resolutionMs: m.resolutionMs, clock: m.clock, n: 1,
    }, r.scenario, where, { runId: r.runId, attempt: r.attempt }));
  }
  return out;
}

/**
 * The statistic thresholds (`median`, `p95`, `min`, `max`) judged per scenario over its judgeable
 * records. A scenario with no value of the metric gives `not-measured`.
 */
export function judgeScenarios(records: readonly RunRecord[], thresholds: readonly Threshold[]): Judgement[] {
  const byScenario = new Map<string, RunRecord[]>();
  for (const r of records) {
    if (!judgeable(r)) continue;
    byScenario.set(r.scenario, [...(byScenario.get(r.scenario) ?? []), r]);
  }
  const out: Judgement[] = [];
  for (const [scenario, rs] of [...byScenario.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const strategy = rs[0]?.strategy ?? '';
    for (const t of thresholds) {
      if (t.statistic === 'value' || !appliesTo(t, scenario, strategy)) continue;
      const ms = rs.flatMap((r) => r.metrics.filter((m) => m.name === t.metric && m.value !== null));
      const stats = describe(ms.map((m) => m.value as number));
      const res = coarsestResolutionMs(ms);
      const methods = [...new Set(ms.map((m) => m.method))];
      const clocks = [...new Set(ms.map((m) => m.clock))];
      const which = t.statistic as Exclude<Statistic, 'value'>;
      const interval = stats === undefined ? undefined : intervalOf(stats, which);
      out.push(judgement(t, {
        value: stats === undefined ? null : stats[which], method: methods.join(' + ') || null,
        resolutionMs: res, clock: clocks.join(' + ') || null, n: ms.length, ...(interval === undefined ? {} : { interval }),
      }, scenario, `${scenario} over ${ms.length} of ${rs.length} attempt(s)`, {}));
    }
  }
  return out;
}
