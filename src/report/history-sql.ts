import type { HistoryRows, SuiteRow } from './history-backend.js';
import { parseRunRecord } from './record-parse.js';
import type { RunManifest, RunRecord } from './record.js';

/**
 * The statements both history stores run, written once (pure). They differ only in placeholders
 * (`?` in SQLite, `$n` in PostgreSQL), which `placeholders` fills in. Both stores write with an upsert
 * on a UNIQUE key and never read-modify-write, so concurrent writers cannot lose each other's rows.
 */

export type Placeholder = (n: number) => string;
export const SQLITE_PLACEHOLDER: Placeholder = () => '?';
export const POSTGRES_PLACEHOLDER: Placeholder = (n) => `$${n}`;

const RUN_COLUMNS = ['suite_id', 'run_id', 'attempt', 'started_wall', 'started_ms', 'scenario', 'strategy', 'vm',
  'verdict', 'health', 'record_json'] as const;

const placeholders = (count: number, p: Placeholder): string =>
  Array.from({ length: count }, (_, i) => p(i + 1)).join(', ');

/** Appends an attempt; the same run id + attempt replaces the row's values and keeps its id (and order). */
export function insertRunSql(p: Placeholder): string {
  const updates = RUN_COLUMNS.filter((c) => c !== 'run_id' && c !== 'attempt').map((c) => `${c} = excluded.${c}`);
  return `INSERT INTO runs (${RUN_COLUMNS.join(', ')}) VALUES (${placeholders(RUN_COLUMNS.length, p)})
    ON CONFLICT (run_id, attempt) DO UPDATE SET ${updates.join(', ')}`;
}

/** The values of `insertRunSql`, in its column order. */
export function runValues(record: RunRecord, suiteId: string | null): (string | number | null)[] {
  return [suiteId, record.runId, record.attempt, record.startedWall, Date.parse(record.startedWall), record.scenario,
    record.strategy, record.vm, record.verdict, record.health, JSON.stringify(record)];
}

/** Records a suite run; a second call (its end) updates the end time and the manifest. */
export function upsertSuiteSql(p: Placeholder): string {
  return `INSERT INTO suites (suite_id, started_wall, ended_wall, manifest_json) VALUES (${placeholders(4, p)})
    ON CONFLICT (suite_id) DO UPDATE SET ended_wall = excluded.ended_wall, manifest_json = excluded.manifest_json`;
}

/** Attempts in start-time order (ties: insertion order), with the query's filters. */
export function selectRunsSql(q: { readonly sinceMs?: number; readonly scenario?: string },
  p: Placeholder): { sql: string; args: (number | string)[] } {
  const where: string[] = [];
  const args: (number | string)[] = [];
  if (q.sinceMs !== undefined) {
    args.push(q.sinceMs);
    where.push(`started_ms >= ${p(args.length)}`);
  }
  if (q.scenario !== undefined) {
    args.push(q.scenario);
    where.push(`scenario = ${p(args.length)}`);
  }
  const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  return { sql: `SELECT id, suite_id, record_json FROM runs ${filter} ORDER BY started_ms, id`, args };
}

export const SELECT_SUITES_SQL = 'SELECT suite_id, started_wall, manifest_json FROM suites ORDER BY started_wall DESC';

export interface RunRow {
  readonly id: number | string;
  readonly suite_id?: string | null;
  readonly record_json: string;
}
export interface SuiteDbRow { readonly suite_id: string; readonly started_wall: string; readonly manifest_json: string }

/** Rows → records, each re-validated; a row that does not parse is listed as skipped, never dropped silently. */
export function parseRunRows(rows: readonly RunRow[]): HistoryRows {
  const records: RunRecord[] = [];
  const skipped: { id: number; error: string }[] = [];
  const suiteOf = new Map<string, string>();
  for (const row of rows) {
    try {
      const r = parseRunRecord(JSON.parse(row.record_json));
      records.push(r);
      if (row.suite_id !== undefined && row.suite_id !== null) suiteOf.set(attemptKey(r), row.suite_id);
    } catch (e) {
      // PostgreSQL returns BIGSERIAL ids as strings (they may exceed 2^53; a history will not)
      skipped.push({ id: Number(row.id), error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { records, skipped, suiteOf };
}

/** The key of one attempt in a history: run id and attempt number. */
export function attemptKey(r: Pick<RunRecord, 'runId' | 'attempt'>): string {
  return `${r.runId}\u0000${r.attempt}`;
}

export function parseSuiteRows(rows: readonly SuiteDbRow[], sinceMs: number | undefined): SuiteRow[] {
  return rows.filter((r) => sinceMs === undefined || Date.parse(r.started_wall) >= sinceMs)
    .map((r) => ({ suiteId: r.suite_id, manifest: JSON.parse(r.manifest_json) as RunManifest }));
}
