import { stringify } from 'csv-stringify/sync';
import { effectiveVerdict, metricOf } from './model.js';
import { METRIC_NAMES, isUnstable, metricUnit, type ReportMetricName, type RunRecord } from './record.js';
import { describe } from '../measure/stats.js';
import { coarsestResolutionMs } from '../measure/precision.js';
import { judgeable, type Judgement } from '../verdict/judge.js';

/**
 * CSV renderers (pure; sole csv-stringify importer). Column names and order are a published contract:
 * docs/report-columns.md lists them; append columns at the end, never rename or reorder.
 *
 * Cell conventions: numbers keep full precision (no rounding); an absent metric leaves its three
 * columns empty; a metric that applies but was not measured has an empty value and its method filled;
 * text cells that start with `=`, `+`, `-`, `@`, TAB or CR get a leading `'` so spreadsheets never run
 * them as formulas (device output is untrusted); RFC 4180 quoting, `\n` line ends, header row first.
 */

type Cell = string | number;

/** One runs.csv column: its name and how a record fills it. */
interface RunColumn {
  readonly name: string;
  readonly cell: (r: RunRecord) => Cell;
}

const col = (name: string, cell: (r: RunRecord) => Cell): RunColumn => ({ name, cell });

/** The three columns of a metric: value, method, resolution (all empty when the record lacks it). */
function metricColumns(n: ReportMetricName): RunColumn[] {
  return [
    col(n, (r) => metricOf(r, n)?.value ?? ''),
    col(`${n}_method`, (r) => text(metricOf(r, n)?.method)),
    col(`${n}_resolution_ms`, (r) => metricOf(r, n)?.resolutionMs ?? ''),
  ];
}

/** runs.csv, in column order: the ONE declaration both the header and every row come from. */
const RUN_TABLE: readonly RunColumn[] = [
  col('run_id', (r) => text(r.runId)),
  col('started_wall', (r) => text(r.startedWall)),
  col('scenario', (r) => text(r.scenario)),
  col('strategy', (r) => text(r.strategy)),
  col('vm', (r) => text(r.vm)),
  col('source', (r) => text(r.source)),
  col('destination', (r) => text(r.destination)),
  col('address_family', (r) => r.addressFamily),
  ...METRIC_NAMES.flatMap(metricColumns),
  col('verdict', (r) => effectiveVerdict(r)),
  col('reported_verdict', (r) => r.verdict),
  col('health', (r) => r.health),
  col('health_reasons', (r) => text(r.healthReasons.join('; '))),
  col('attempt', (r) => r.attempt),
  col('attempt_of', (r) => r.attemptOf),
  col('unstable', (r) => (isUnstable(r) ? 'true' : 'false')),
  col('conformance_ok', (r) => (r.conformance.ok ? 'true' : 'false')),
  col('conformance_violations', (r) => text(r.conformance.violations.join('; '))),
  col('decomposition', (r) => text(r.decomposition.map((d) => `${d.component}=${d.ms}`).join('; '))),
  col('episodes', (r) => r.episodes.length),
  col('error', (r) => text(r.error)),
  col('memory_integrity', (r) => r.memoryIntegrity?.status ?? ''),
  col('memory_integrity_detail', (r) => text(r.memoryIntegrity === undefined ? undefined
    : `${r.memoryIntegrity.detail} (${r.memoryIntegrity.method})`)),
  col('thresholds', (r) => text((r.judgements ?? []).map((j) => `${j.threshold}=${j.outcome}`).join('; '))),
  col('path_via_old_site', (r) => (r.path?.viaOldSite === undefined ? '' : String(r.path.viaOldSite))),
  col('path_hops', (r) => text(r.path === undefined ? undefined : pathHopsCell(r.path))),
  col('arp_nd_suppression', (r) => r.flooding?.suppression ?? ''),
];

/** `after client→198.18.10.100: coreA>coreB>torB>198.18.10.100; before …` (`*` for a silent TTL). */
function pathHopsCell(p: NonNullable<RunRecord['path']>): string {
  const order = [...p.traces].sort((a, b) => (a.when === b.when ? 0 : a.when === 'after' ? -1 : 1));
  return order.map((t) => `${t.when} ${t.from}→${t.to}: ${t.hops.map((h) => h.device ?? h.address ?? '*').join('>')}`
    + (t.reached ? '' : ' (not reached)')).join('; ');
}

/** runs.csv columns, in order. */
export const RUN_COLUMNS: readonly string[] = RUN_TABLE.map((c) => c.name);

export const EPISODE_COLUMNS: readonly string[] = [
  'run_id', 'scenario', 'attempt', 'flow', 'start_ms', 'end_ms', 'duration_ms', 'first_seq', 'last_seq', 'lost',
];

export const TIMELINE_COLUMNS: readonly string[] = [
  'run_id', 'scenario', 'attempt', 't_ms', 'wall_iso', 'wall_ms', 'source', 'host', 'kind', 'detail',
];

/** Neutralises spreadsheet formulas in text cells (see module comment). */
export function safeText(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

function text(s: string | undefined): string {
  return s === undefined ? '' : safeText(s);
}

/** ISO time of an epoch-ms value; empty when out of the Date range. */
export function isoOrEmpty(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

function csv(columns: readonly string[], rows: readonly Cell[][]): string {
  return stringify(rows as Cell[][], { header: true, columns: [...columns], record_delimiter: 'unix' });
}

export function runRow(r: RunRecord): Cell[] {
  return RUN_TABLE.map((c) => c.cell(r));
}

/** One row per migration attempt. */
export function renderRunsCsv(runs: readonly RunRecord[]): string {
  return csv(RUN_COLUMNS, runs.map(runRow));
}

/** One row per loss episode of every attempt. */
export function renderEpisodesCsv(runs: readonly RunRecord[]): string {
  const rows = runs.flatMap((r) => r.episodes.map((e): Cell[] => [
    text(r.runId), text(r.scenario), r.attempt, text(e.flow), e.startMs, e.endMs, e.endMs - e.startMs,
    e.firstSeq, e.lastSeq, e.lost,
  ]));
  return csv(EPISODE_COLUMNS, rows);
}

/** One row per timeline event of every attempt, in time order within an attempt. */
export function renderTimelineCsv(runs: readonly RunRecord[]): string {
  const rows = runs.flatMap((r) => [...r.timeline].sort((a, b) => a.tMs - b.tMs).map((e): Cell[] => [
    text(r.runId), text(r.scenario), r.attempt, e.tMs, isoOrEmpty(e.wallMs), e.wallMs, e.source,
    text(e.host), text(e.kind), text(e.detail),
  ]));
  return csv(TIMELINE_COLUMNS, rows);
}

/** verdicts.csv columns (docs/report-columns.md): one row per threshold judged. */
export const VERDICT_COLUMNS = ['scope', 'scenario', 'run_id', 'attempt', 'threshold', 'expression', 'source', 'value',
  'n', 'ci95_low', 'ci95_high', 'outcome', 'message'] as const;

/** A statistic judged over a scenario's repetitions, as verdicts.csv needs it. */
export type StatisticVerdict = Pick<Judgement, 'scenario' | 'threshold' | 'expression' | 'source' | 'value' | 'n'
  | 'interval' | 'outcome' | 'message'>;

/** Every per-attempt judgement of the records, then every statistic judged over a scenario's repetitions. */
export function renderVerdictsCsv(runs: readonly RunRecord[], statistics: readonly StatisticVerdict[]): string {
  const attempts = runs.flatMap((r) => (r.judgements ?? []).map((j): Cell[] => [
    'attempt', text(r.scenario), text(r.runId), r.attempt, text(j.threshold), text(j.expression), text(j.source),
    j.value ?? '', 1, '', '', j.outcome, text(j.message),
  ]));
  const stats = statistics.map((s): Cell[] => [
    'scenario', text(s.scenario), '', '', text(s.threshold), text(s.expression), text(s.source), s.value ?? '', s.n,
    s.interval?.low ?? '', s.interval?.high ?? '', text(s.outcome), text(s.message),
  ]);
  return csv(VERDICT_COLUMNS, [...attempts, ...stats]);
}

/** One probe packet for samples.csv: flow, sequence, send and receive stamps (controller monotonic, ms). */
export interface SampleRow {
  readonly runId: string;
  readonly attempt: number;
  readonly flow: string;
  readonly seq: number;
  readonly txMs: number;
  /** undefined: never answered (lost). */
  readonly rxMs: number | undefined;
  readonly dupCount: number;
}

/** samples.csv columns (docs/report-columns.md). */
export const SAMPLE_COLUMNS = ['run_id', 'attempt', 'flow', 'seq', 'tx_ms', 'rx_ms', 'duplicates'] as const;

/** One row per probe packet, full precision; `rx_ms` is empty for a lost packet. */
export function renderSamplesCsv(rows: readonly SampleRow[]): string {
  return csv(SAMPLE_COLUMNS, rows.map((x): Cell[] =>
    [text(x.runId), x.attempt, text(x.flow), x.seq, x.txMs, x.rxMs ?? '', x.dupCount]));
}

/** statistics.csv columns (docs/report-columns.md): every metric's spread per scenario over its repetitions. */
export const STATISTICS_COLUMNS = ['scenario', 'metric', 'unit', 'n', 'median', 'p95', 'min', 'max',
  'median_ci95_low', 'median_ci95_high', 'p95_ci95_low', 'p95_ci95_high', 'resolution_ms', 'methods'] as const;

/**
 * One row per scenario × runs.csv metric with at least one value: median, p95, min, max and the 95 %
 * bootstrap intervals of median and p95 (measure/stats.ts) over the scenario's measured attempts (ERRORED
 * attempts and moves made only to re-measure are left out, as for verdicts).
 */
export function renderStatisticsCsv(runs: readonly RunRecord[]): string {
  const byScenario = new Map<string, RunRecord[]>();
  for (const r of runs) if (judgeable(r)) byScenario.set(r.scenario, [...(byScenario.get(r.scenario) ?? []), r]);
  const rows: Cell[][] = [];
  for (const scenario of [...byScenario.keys()].sort()) {
    const rs = byScenario.get(scenario) as RunRecord[];
    for (const name of METRIC_NAMES) {
      const ms = rs.flatMap((r) => r.metrics.filter((m) => m.name === name && m.value !== null));
      const s = describe(ms.map((m) => m.value as number));
      if (s === undefined) continue;
      const res = coarsestResolutionMs(ms);
      rows.push([text(scenario), name, metricUnit(name), s.n, s.median, s.p95, s.min, s.max,
        s.medianCi95?.low ?? '', s.medianCi95?.high ?? '', s.p95Ci95?.low ?? '', s.p95Ci95?.high ?? '', res ?? '',
        text([...new Set(ms.map((m) => m.method))].join(' + '))]);
    }
  }
  return csv(STATISTICS_COLUMNS, rows);
}
