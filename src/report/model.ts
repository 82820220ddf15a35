import {
  isUnstable, type Metric, type MetricName, type RunManifest, type RunRecord,
} from './record.js';
import { judgeScenarios, type Judgement } from '../verdict/judge.js';
import type { Threshold } from '../verdict/threshold.js';
import { formatMetricValue, formatPlain } from '../measure/precision.js';
import { scenarioSummary, type ScenarioRow } from './summary.js';
import { detectChangePoints, type ChangePoint, type TrendOptions, type TrendPoint } from './trend.js';

/**
 * The pure ReportModel: everything the CSV and HTML renderers need, built once from the run's records,
 * the manifest and the history. Renderers make no decisions beyond layout.
 */

export type {
  Metric, MetricName, ReportMetricName, RunManifest, RunRecord, Episode, TimelineEvent, DecompositionPart, RateSeries,
  ScenarioParams, ManifestFacts, DeviceVersions, ClockSource, Verdict, Health, AddressFamily,
} from './record.js';
export { METRIC_NAMES, createRunRecord, scenarioName, metricUnit } from './record.js';
export { parseRunRecord, parseManifestFacts } from './record-parse.js';

/** Metrics shown as trend charts (when history has at least two usable points). */
export const TREND_METRICS: readonly MetricName[] = [
  'hypervisor_downtime_ms', 'loss_derived_ms', 'rate_derived_ms', 'reconvergence_ms', 'rtt_step_ms',
];

export interface Summary {
  readonly total: number;
  readonly pass: number;
  readonly fail: number;
  /** Attempts with a figure within its uncertainty of a threshold (neither pass nor fail). */
  readonly inconclusive: number;
  readonly errored: number;
  readonly skipped: number;
  /** Attempts of runs that needed retries (attemptOf > 1). */
  readonly unstable: number;
  /** Runs whose measurement health is not ok. */
  readonly unhealthy: number;
}

export interface TrendView {
  readonly scenario: string;
  readonly metric: MetricName;
  readonly points: readonly TrendPoint[];
  readonly changePoints: readonly ChangePoint[];
}

export interface ReportModel {
  readonly title: string;
  /** ISO wall time the report was generated (passed in, never read from a clock here). */
  readonly generatedWall: string;
  readonly manifest: RunManifest | null;
  /** Attempts in display order: start time, then scenario, then attempt. */
  readonly runs: readonly RunRecord[];
  readonly summary: Summary;
  /** One row per scenario × strategy × family (summary.ts), sparklines from history. */
  readonly scenarios: readonly ScenarioRow[];
  readonly trends: readonly TrendView[];
  /** The manifest's statistic thresholds judged per scenario over this report's attempts. */
  readonly statistics: readonly Judgement[];
}

export interface BuildOptions {
  readonly title?: string;
  readonly generatedWall: string;
  readonly manifest?: RunManifest | null;
  /** Earlier runs (from the history database) for trend charts; the current runs are added to them. */
  readonly history?: readonly RunRecord[];
  readonly trend?: TrendOptions;
  readonly trendMetrics?: readonly MetricName[];
}

export function compareRuns(a: RunRecord, b: RunRecord): number {
  const t = Date.parse(a.startedWall) - Date.parse(b.startedWall);
  if (t !== 0) return t;
  if (a.scenario !== b.scenario) return a.scenario < b.scenario ? -1 : 1;
  return a.attempt - b.attempt;
}

export function summarize(runs: readonly RunRecord[]): Summary {
  const count = (f: (r: RunRecord) => boolean): number => runs.filter(f).length;
  return {
    total: runs.length,
    pass: count((r) => effectiveVerdict(r) === 'pass'),
    fail: count((r) => effectiveVerdict(r) === 'fail'),
    inconclusive: count((r) => effectiveVerdict(r) === 'inconclusive'),
    errored: count((r) => effectiveVerdict(r) === 'errored'),
    skipped: count((r) => effectiveVerdict(r) === 'skipped'),
    unstable: count(isUnstable),
    unhealthy: count((r) => r.health !== 'ok'),
  };
}

/** Measurement health `errored` overrides pass/fail (measurement.md §6): such a run never counts as PASS. */
export function effectiveVerdict(r: RunRecord): RunRecord['verdict'] {
  return r.health === 'errored' && (r.verdict === 'pass' || r.verdict === 'fail' || r.verdict === 'inconclusive')
    ? 'errored' : r.verdict;
}

export function metricOf(r: RunRecord, name: MetricName): Metric | undefined {
  return r.metrics.find((m) => m.name === name);
}

/**
 * Trend series per scenario × metric over history + current runs, oldest first. Attempts with
 * measurement health `errored` and null values are left out: they are not measurements of the network.
 * Duplicate run ids (a current run already appended to history) count once.
 */
export function buildTrends(all: readonly RunRecord[], metrics: readonly MetricName[],
  options: TrendOptions = {}): TrendView[] {
  const unique = new Map<string, RunRecord>();
  for (const r of all) unique.set(`${r.runId}#${r.attempt}`, r);
  const sorted = [...unique.values()].sort(compareRuns);
  const scenarios = [...new Set(sorted.map((r) => r.scenario))].sort();
  const views: TrendView[] = [];
  for (const scenario of scenarios) {
    for (const metric of metrics) {
      const points: TrendPoint[] = [];
      for (const r of sorted) {
        const m = r.scenario === scenario && r.health !== 'errored' ? metricOf(r, metric) : undefined;
        if (m !== undefined && m.value !== null)
          points.push({ runId: r.runId, startedWall: r.startedWall, value: m.value });
      }
      if (points.length >= 2)
        views.push({ scenario, metric, points, changePoints: detectChangePoints(points, options) });
    }
  }
  return views;
}

export function buildReportModel(runs: readonly RunRecord[], o: BuildOptions): ReportModel {
  const sorted = [...runs].sort(compareRuns);
  return {
    title: o.title ?? 'vmmi migration report',
    generatedWall: o.generatedWall,
    manifest: o.manifest ?? null,
    runs: sorted,
    summary: summarize(sorted),
    scenarios: scenarioSummary(sorted, { history: o.history ?? [], verdictOf: effectiveVerdict }),
    trends: buildTrends([...(o.history ?? []), ...sorted], o.trendMetrics ?? TREND_METRICS, o.trend),
    statistics: judgeScenarios(sorted, (o.manifest?.thresholds ?? []) as readonly Threshold[]),
  };
}

/**
 * One metric as a report cell (measurement.md §7): `26 ms ± 1 ms, loss-derived @1 kpps, controller-monotonic`.
 * Values keep their precision (no truncating conversions); a null value reads `not measured`.
 */
export function formatMetricCell(m: Metric): string {
  return `${formatValue(m)}, ${m.method}, ${m.clock}`;
}

/** Value with unit and ± resolution, to the digit the resolution supports: `26 ms ± 1 ms`, `12 packets`, `yes`. */
export function formatValue(m: Metric): string {
  return formatMetricValue(m);
}

/** A figure without a stated resolution: three significant digits at most (measure/precision.ts). */
export function formatNumber(v: number): string {
  return formatPlain(v);
}
