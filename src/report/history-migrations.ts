import { ReportError } from '../errors/classes.js';

/**
 * The ONE list of history schema migrations, shared by the SQLite and the PostgreSQL store (pure).
 * Migration N takes a store from version N − 1 to N; its SQL is given per dialect where they differ.
 * A store applies each pending migration in one transaction together with the new `meta.schema_version`,
 * so a crash leaves either version N − 1 or N, never half of N. A store newer than the code is refused.
 *
 * Rules for a new migration: append it (never edit a published one), keep the columns the queries of
 * older versions read, and give both dialects.
 */

export type HistoryDialect = 'sqlite' | 'postgres';

export interface HistoryMigration {
  readonly version: number;
  /** What it changes, for the log of a store that applies it. */
  readonly description: string;
  /** Statements separated by `;`, per dialect. */
  readonly sql: Readonly<Record<HistoryDialect, string>>;
}

/** Created before any migration: where the version lives. Same text in both dialects. */
export const META_TABLE_SQL = 'CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)';

const V1_INDEXES = `
CREATE INDEX IF NOT EXISTS runs_started ON runs (started_ms);
CREATE INDEX IF NOT EXISTS runs_scenario ON runs (scenario, started_ms);`;

export const HISTORY_MIGRATIONS: readonly HistoryMigration[] = [
  {
    version: 1,
    description: 'suites and runs (record JSON plus indexed columns), UNIQUE (run_id, attempt)',
    sql: {
      sqlite: `
CREATE TABLE IF NOT EXISTS suites (
  suite_id TEXT PRIMARY KEY, started_wall TEXT NOT NULL, ended_wall TEXT, manifest_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, suite_id TEXT, run_id TEXT NOT NULL, attempt INTEGER NOT NULL,
  started_wall TEXT NOT NULL, started_ms INTEGER NOT NULL, scenario TEXT NOT NULL, strategy TEXT NOT NULL,
  vm TEXT NOT NULL, verdict TEXT NOT NULL, health TEXT NOT NULL, record_json TEXT NOT NULL,
  UNIQUE (run_id, attempt));${V1_INDEXES}`,
      // BIGSERIAL/BIGINT: ids and epoch milliseconds outgrow a 32-bit INTEGER
      postgres: `
CREATE TABLE IF NOT EXISTS suites (
  suite_id TEXT PRIMARY KEY, started_wall TEXT NOT NULL, ended_wall TEXT, manifest_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id BIGSERIAL PRIMARY KEY, suite_id TEXT, run_id TEXT NOT NULL, attempt INTEGER NOT NULL,
  started_wall TEXT NOT NULL, started_ms BIGINT NOT NULL, scenario TEXT NOT NULL, strategy TEXT NOT NULL,
  vm TEXT NOT NULL, verdict TEXT NOT NULL, health TEXT NOT NULL, record_json TEXT NOT NULL,
  UNIQUE (run_id, attempt));${V1_INDEXES}`,
    },
  },
];

/** The version this code writes: the last migration's. */
export const HISTORY_SCHEMA_VERSION = (HISTORY_MIGRATIONS[HISTORY_MIGRATIONS.length - 1] as HistoryMigration).version;

/** Checks the list itself: versions 1, 2, 3… in order (a unit test runs it; stores trust it). */
export function checkMigrationList(list: readonly HistoryMigration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`history migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
}

/**
 * The migrations a store at `current` needs, oldest first (none when up to date). A store newer than
 * this code is refused: its rows may mean something this vmmi does not know.
 */
export function pendingMigrations(current: number, store: string,
  list: readonly HistoryMigration[] = HISTORY_MIGRATIONS): HistoryMigration[] {
  const latest = list.length === 0 ? 0 : (list[list.length - 1] as HistoryMigration).version;
  if (!Number.isInteger(current) || current < 0) {
    throw new ReportError(`history schema version "${current}" is not a version number`, {
      device: store, operation: 'open history', hint: 'this is not a vmmi history; use another --history',
    });
  }
  if (current > latest) {
    throw new ReportError(`history schema version ${current} is newer than this vmmi supports (${latest})`, {
      device: store, operation: 'open history', hint: 'upgrade vmmi or use another --history file',
    });
  }
  return list.filter((m) => m.version > current);
}

/** The statements of one migration in one dialect, split at `;` (none of them holds a literal `;`). */
export function migrationStatements(m: HistoryMigration, dialect: HistoryDialect): string[] {
  return m.sql[dialect].split(';').map((s) => s.trim()).filter((s) => s !== '');
}
