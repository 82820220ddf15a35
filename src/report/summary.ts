/**
 * The scenario summary (pure): one row per scenario × strategy × family over every attempt and
 * repetition, with median and p95 of the headline figures, verdict counts, the distinct health reasons
 * and a per-night series from history for the sparkline.
 */
import { findDisagreements } from '../measure/method-guide.js';
import { roundResolution } from '../measure/precision.js';
import { median, percentile } from '../measure/util.js';
import { describe, type Interval } from '../measure/stats.js';
import type { AddressFamily, MetricName, RunRecord, Verdict } from './record.js';

/** The headline figures of a summary row, in column order, with their column labels. */
export const HEADLINE_METRICS: readonly (readonly [MetricName, string])[] = [
  ['hypervisor_downtime_ms', 'downtime (libvirt)'],
  ['gap_tx_ms', 'outage send side'],
  ['gap_rx_ms', 'outage app-visible'],
  ['loss_derived_ms', 'outage loss-derived'],
  ['reconvergence_ms', 'reconvergence'],
];

/** The figure the sparkline follows: the application-visible outage, else the loss-derived one. */
export const SPARK_METRICS: readonly MetricName[] = ['gap_rx_ms', 'loss_derived_ms'];

export interface FigureStats {
  readonly metric: MetricName;
  readonly n: number;
  readonly median: number | undefined;
  readonly p95: number | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
  /** 95 % percentile-bootstrap interval of the median (measure/stats.ts); absent below 3 values. */
  readonly medianCi95?: Interval;
  /** The coarsest resolution among the values (a median is no finer than its inputs), ms. */
  readonly resolutionMs: number | null;
}

export interface ScenarioRow {
  /** Scenario without strategy and family: topology plus variant, e.g. `wan/wan_delay_ms=30`. */
  readonly scenario: string;
  readonly strategy: string;
  readonly family: AddressFamily;
  readonly attempts: number;
  readonly verdicts: Readonly<Record<Verdict, number>>;
  readonly figures: readonly FigureStats[];
  /** Distinct health reasons with how many attempts gave each, most frequent first. */
  readonly reasons: readonly (readonly [string, number])[];
  /** Attempts where two outage methods disagree beyond their resolutions. */
  readonly disagreements: number;
  /** Per-night median of the spark metric, oldest first (history and this run), at most `nights`. */
  readonly spark: readonly { readonly night: string; readonly value: number }[];
  /** Display indices (into the report's runs) of this row's attempts. */
  readonly runIndices: readonly number[];
}

function keyOf(r: RunRecord): string {
  const variant = Object.entries(r.params.variant ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${String(v)}`);
  return [r.params.topology, ...variant].join('/');
}

function figure(runs: readonly RunRecord[], metric: MetricName): FigureStats {
  const values: number[] = [];
  let res: number | null = null;
  for (const r of runs) {
    if (r.health === 'errored') continue; // not a measurement of the network
    const m = r.metrics.find((x) => x.name === metric && x.value !== null);
    if (m?.value == null) continue;
    values.push(m.value);
    if (m.resolutionMs !== null) res = Math.max(res ?? 0, m.resolutionMs);
  }
  values.sort((a, b) => a - b);
  // 1000 resamples: the summary's interval is for reading, and a nightly report has hundreds of cells
  const stats = values.length === 0 ? undefined : describe(values, 1000);
  return { metric, n: values.length, median: median(values), p95: percentile(values, 95),
    min: values[0], max: values.at(-1), ...(stats?.medianCi95 === undefined ? {} : { medianCi95: stats.medianCi95 }),
    resolutionMs: res === null ? null : roundResolution(res) };
}

function sparkOf(runs: readonly RunRecord[], nights: number): { night: string; value: number }[] {
  const byNight = new Map<string, number[]>();
  for (const r of runs) {
    if (r.health === 'errored') continue;
    const m = SPARK_METRICS.map((n) => r.metrics.find((x) => x.name === n && x.value !== null)).find(Boolean);
    if (m?.value == null) continue;
    const night = r.startedWall.slice(0, 10);
    const list = byNight.get(night) ?? [];
    list.push(m.value);
    byNight.set(night, list);
  }
  return [...byNight.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).slice(-nights)
    .map(([night, v]) => ({ night, value: median(v) as number }));
}

export interface SummaryOptions {
  /** Earlier attempts (history) for the sparkline. */
  readonly history?: readonly RunRecord[];
  /** Nights shown in the sparkline (default 30). */
  readonly nights?: number;
  /** Verdict after health (errored overrides pass/fail). */
  readonly verdictOf: (r: RunRecord) => Verdict;
}

/** Rows sorted by scenario, strategy, family. `runs` are in display order. */
export function scenarioSummary(runs: readonly RunRecord[], o: SummaryOptions): ScenarioRow[] {
  const groups = new Map<string, number[]>();
  runs.forEach((r, i) => {
    const k = `${keyOf(r)}\u0000${r.strategy}\u0000${r.addressFamily}`;
    const list = groups.get(k) ?? [];
    list.push(i);
    groups.set(k, list);
  });
  const hist = new Map<string, RunRecord[]>();
  for (const r of [...(o.history ?? []), ...runs]) {
    const k = `${keyOf(r)}\u0000${r.strategy}\u0000${r.addressFamily}`;
    const list = hist.get(k) ?? [];
    list.push(r);
    hist.set(k, list);
  }
  const rows = [...groups.entries()].map(([k, idx]): ScenarioRow => {
    const mine = idx.map((i) => runs[i] as RunRecord);
    const first = mine[0] as RunRecord;
    const verdicts: Record<Verdict, number> = { pass: 0, fail: 0, inconclusive: 0, errored: 0, skipped: 0 };
    const reasons = new Map<string, number>();
    for (const r of mine) {
      verdicts[o.verdictOf(r)]++;
      for (const why of new Set(r.healthReasons)) reasons.set(why, (reasons.get(why) ?? 0) + 1);
    }
    const seen = new Map<string, RunRecord>();
    for (const r of hist.get(k) ?? []) seen.set(`${r.runId}#${r.attempt}`, r);
    return {
      scenario: keyOf(first), strategy: first.strategy, family: first.addressFamily, attempts: mine.length, verdicts,
      figures: HEADLINE_METRICS.map(([m]) => figure(mine, m)),
      reasons: [...reasons.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
      disagreements: mine.filter((r) => findDisagreements(r.metrics).length > 0).length,
      spark: sparkOf([...seen.values()], o.nights ?? 30),
      runIndices: idx,
    };
  });
  return rows.sort((a, b) => (a.scenario < b.scenario ? -1 : a.scenario > b.scenario ? 1
    : a.strategy < b.strategy ? -1 : a.strategy > b.strategy ? 1 : a.family < b.family ? -1 : 1));
}
