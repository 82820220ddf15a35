import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ReportError } from '../errors/classes.js';
import { parseRunRecord } from './record-parse.js';
import type { RunManifest, RunRecord } from './record.js';

/**
 * Nightly history in SQLite (sole better-sqlite3 importer). Each finished attempt is appended in its own
 * committed transaction (WAL, synchronous=FULL), so a crash mid-suite keeps every run finished before it.
 * better-sqlite3 is synchronous by design; one insert takes microseconds, which is why this store is not
 * wrapped in promises. The schema is versioned in `meta.schema_version`; a newer file is refused.
 *
 * Tables: `suites` (one row per suite run, with its manifest), `runs` (one row per attempt, the full
 * record as JSON plus indexed columns for queries).
 */

export const HISTORY_SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS suites (
  suite_id TEXT PRIMARY KEY, started_wall TEXT NOT NULL, ended_wall TEXT, manifest_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, suite_id TEXT, run_id TEXT NOT NULL, attempt INTEGER NOT NULL,
  started_wall TEXT NOT NULL, started_ms INTEGER NOT NULL, scenario TEXT NOT NULL, strategy TEXT NOT NULL,
  vm TEXT NOT NULL, verdict TEXT NOT NULL, health TEXT NOT NULL, record_json TEXT NOT NULL,
  UNIQUE (run_id, attempt));
CREATE INDEX IF NOT EXISTS runs_started ON runs (started_ms);
CREATE INDEX IF NOT EXISTS runs_scenario ON runs (scenario, started_ms);
`;

export interface HistoryQuery {
  /** Only attempts started at or after this time (epoch ms). */
  readonly sinceMs?: number;
  readonly scenario?: string;
}

export interface HistoryRows {
  readonly records: RunRecord[];
  /** Rows that no longer parse (written by a buggy or older writer): listed, never silently dropped. */
  readonly skipped: readonly { readonly id: number; readonly error: string }[];
}

export interface SuiteRow {
  readonly suiteId: string;
  readonly manifest: RunManifest;
}

export class HistoryStore {
  private constructor(private readonly db: Database.Database, readonly file: string) {}

  /** Opens (creating when missing) the history file; refuses a schema newer than this vmmi knows. */
  static open(file: string): HistoryStore {
    let db: Database.Database | undefined;
    try {
      if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
      db = new Database(file, { timeout: 5000 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      const store = new HistoryStore(db, file);
      store.migrate();
      return store;
    } catch (e) {
      db?.close();
      if (e instanceof ReportError) throw e;
      throw new ReportError(`cannot open history database: ${e instanceof Error ? e.message : String(e)}`, {
        device: file, operation: 'open history', cause: e, hint: 'check the path and its permissions (--history FILE)',
      });
    }
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
      { value: string } | undefined;
    const version = row === undefined ? 0 : Number(row.value);
    if (version > HISTORY_SCHEMA_VERSION) {
      throw new ReportError(
        `history schema version ${version} is newer than this vmmi supports (${HISTORY_SCHEMA_VERSION})`,
        {
          device: this.file,
          operation: 'open history',
          hint: 'upgrade vmmi or use another --history file',
        },
      );
    }
    if (version < 1) {
      this.db.transaction(() => {
        this.db.exec(SCHEMA_V1);
        this.db
          .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)")
          .run(String(HISTORY_SCHEMA_VERSION));
      })();
    }
  }

  schemaVersion(): number {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string };
    return Number(row.value);
  }

  /** Records (or updates) a suite run and its manifest. */
  putSuite(suiteId: string, manifest: RunManifest): void {
    this.write('store suite', () => this.db.prepare(
      `INSERT INTO suites (suite_id, started_wall, ended_wall, manifest_json) VALUES (?, ?, ?, ?)
       ON CONFLICT (suite_id) DO UPDATE SET ended_wall = excluded.ended_wall, manifest_json = excluded.manifest_json`,
    ).run(suiteId, manifest.startedWall, manifest.endedWall, JSON.stringify(manifest)));
  }

  /** Appends one finished attempt; the same run id + attempt replaces the earlier row. Committed on return. */
  append(record: RunRecord, suiteId: string | null = null): void {
    const startedMs = Date.parse(record.startedWall);
    this.write('append run', () => this.db.prepare(
      `INSERT OR REPLACE INTO runs (suite_id, run_id, attempt, started_wall, started_ms, scenario, strategy, vm,
       verdict, health, record_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(suiteId, record.runId, record.attempt, record.startedWall, startedMs, record.scenario, record.strategy,
      record.vm, record.verdict, record.health, JSON.stringify(record)));
  }

  /** Attempts in start-time order, each re-validated with `parseRunRecord`. */
  query(q: HistoryQuery = {}): HistoryRows {
    const where: string[] = [];
    const args: (number | string)[] = [];
    if (q.sinceMs !== undefined) {
      where.push('started_ms >= ?');
      args.push(q.sinceMs);
    }
    if (q.scenario !== undefined) {
      where.push('scenario = ?');
      args.push(q.scenario);
    }
    const sql = `SELECT id, record_json FROM runs ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      ORDER BY started_ms, id`;
    const rows = this.read(
      'query runs',
      () => this.db.prepare(sql).all(...args) as { id: number; record_json: string }[],
    );
    const records: RunRecord[] = [];
    const skipped: { id: number; error: string }[] = [];
    for (const row of rows) {
      try {
        records.push(parseRunRecord(JSON.parse(row.record_json)));
      } catch (e) {
        skipped.push({ id: row.id, error: e instanceof Error ? e.message : String(e) });
      }
    }
    return { records, skipped };
  }

  /** Suites with their manifests, newest first, optionally only those started since `sinceMs`. */
  suites(sinceMs?: number): SuiteRow[] {
    const rows = this.read('query suites', () => this.db.prepare(
      'SELECT suite_id, started_wall, manifest_json FROM suites ORDER BY started_wall DESC').all() as
      { suite_id: string; started_wall: string; manifest_json: string }[]);
    return rows.filter((r) => sinceMs === undefined || Date.parse(r.started_wall) >= sinceMs)
      .map((r) => ({ suiteId: r.suite_id, manifest: JSON.parse(r.manifest_json) as RunManifest }));
  }

  close(): void {
    this.db.close();
  }

  private write(operation: string, f: () => unknown): void {
    this.read(operation, f);
  }

  private read<T>(operation: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw new ReportError(e instanceof Error ? e.message : String(e), {
        device: this.file, operation, cause: e, hint: 'check the disk and that no other process holds a lock on it',
      });
    }
  }
}
