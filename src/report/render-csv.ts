import { stringify } from 'csv-stringify/sync';
import { effectiveVerdict, metricOf } from './model.js';
import { METRIC_NAMES, isUnstable, type RunRecord } from './record.js';

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

/** runs.csv columns, in order. */
export const RUN_COLUMNS: readonly string[] = [
  'run_id', 'started_wall', 'scenario', 'strategy', 'vm', 'source', 'destination', 'address_family',
  ...METRIC_NAMES.flatMap((n) => [n, `${n}_method`, `${n}_resolution_ms`]),
  'verdict', 'reported_verdict', 'health', 'health_reasons', 'attempt', 'attempt_of', 'unstable',
  'conformance_ok', 'conformance_violations', 'decomposition', 'episodes', 'error',
  'memory_integrity', 'memory_integrity_detail',
];

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
  const metricCells = METRIC_NAMES.flatMap((n): Cell[] => {
    const m = metricOf(r, n);
    if (m === undefined) return ['', '', ''];
    return [m.value ?? '', text(m.method), m.resolutionMs ?? ''];
  });
  return [
    text(r.runId), text(r.startedWall), text(r.scenario), text(r.strategy), text(r.vm), text(r.source),
    text(r.destination), r.addressFamily, ...metricCells,
    effectiveVerdict(r), r.verdict, r.health, text(r.healthReasons.join('; ')), r.attempt, r.attemptOf,
    isUnstable(r) ? 'true' : 'false', r.conformance.ok ? 'true' : 'false', text(r.conformance.violations.join('; ')),
    text(r.decomposition.map((d) => `${d.component}=${d.ms}`).join('; ')), r.episodes.length, text(r.error),
    r.memoryIntegrity?.status ?? '', text(r.memoryIntegrity === undefined ? undefined : `${r.memoryIntegrity.detail} (${r.memoryIntegrity.method})`),
  ];
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
