import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ReportError } from '../errors/classes.js';
import type { HistoryBackend, HistoryQuery, HistoryRows, SuiteRow } from './history-backend.js';
import {
  HISTORY_SCHEMA_VERSION, META_TABLE_SQL, migrationStatements, pendingMigrations,
} from './history-migrations.js';
import {
  insertRunSql, parseRunRows, parseSuiteRows, runValues, SELECT_SUITES_SQL, selectRunsSql, SQLITE_PLACEHOLDER,
  upsertSuiteSql, type RunRow, type SuiteDbRow,
} from './history-sql.js';
import type { RunManifest, RunRecord } from './record.js';

/**
 * Nightly history in SQLite (sole better-sqlite3 importer). Each finished attempt is appended in its own
 * committed transaction (WAL, synchronous=FULL), so a crash mid-suite keeps every run finished before it.
 * better-sqlite3 is synchronous by design; one insert takes microseconds, which is why this store is not
 * wrapped in promises here; `SqliteHistory` below is the async `HistoryBackend` over it. The schema is
 * versioned in `meta.schema_version` and built by the migration list shared with PostgreSQL
 * (history-migrations.ts); a newer file is refused.
 *
 * Tables: `suites` (one row per suite run, with its manifest), `runs` (one row per attempt, the full
 * record as JSON plus indexed columns for queries).
 */

export { HISTORY_SCHEMA_VERSION };
export type { HistoryQuery, HistoryRows, SuiteRow };

export interface HistoryStoreOptions {
  /** Open an existing file read-only (no WAL switch, no migration): `vmmi report` merging shards' files. */
  readonly readonly?: boolean;
}

export class HistoryStore {
  private constructor(private readonly db: Database.Database, readonly file: string) {}

  /** Opens (creating when missing) the history file; refuses a schema newer than this vmmi knows. */
  static open(file: string, options: HistoryStoreOptions = {}): HistoryStore {
    let db: Database.Database | undefined;
    try {
      if (options.readonly === true) {
        db = new Database(file, { timeout: 5000, readonly: true, fileMustExist: true });
        const store = new HistoryStore(db, file);
        store.checkReadable();
        return store;
      }
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

  private storedVersion(): number {
    const meta = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    if (meta === undefined) return 0;
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
      { value: string } | undefined;
    return row === undefined ? 0 : Number(row.value);
  }

  /** Applies the pending migrations, each in its own IMMEDIATE transaction (a second opener waits). */
  private migrate(): void {
    this.db.exec(META_TABLE_SQL);
    for (const m of pendingMigrations(this.storedVersion(), this.file)) {
      this.db.transaction(() => {
        // re-read under the write lock: another process may have applied it meanwhile
        if (this.storedVersion() >= m.version) return;
        for (const sql of migrationStatements(m, 'sqlite')) this.db.exec(sql);
        this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)")
          .run(String(m.version));
      }).immediate();
    }
  }

  /** A read-only store cannot migrate: it must already be at this code's version. */
  private checkReadable(): void {
    const version = this.storedVersion();
    if (pendingMigrations(version, this.file).length > 0) {
      throw new ReportError(version === 0 ? 'not a vmmi history file (no schema version)'
        : `history schema version ${version} is older than this vmmi's (${HISTORY_SCHEMA_VERSION})`, {
        device: this.file, operation: 'open history',
        hint: version === 0 ? 'check the --history path' : 'open it once with a writer (vmmi run or vmmi migrate --history)',
      });
    }
  }

  schemaVersion(): number {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string };
    return Number(row.value);
  }

  /** Records (or updates) a suite run and its manifest. */
  putSuite(suiteId: string, manifest: RunManifest): void {
    this.write('store suite', () => this.db.prepare(upsertSuiteSql(SQLITE_PLACEHOLDER))
      .run(suiteId, manifest.startedWall, manifest.endedWall, JSON.stringify(manifest)));
  }

  /**
   * Appends one finished attempt; the same run id + attempt replaces the earlier row (an upsert on the
   * UNIQUE key, as in PostgreSQL: the row keeps its id, so the order of equal start times stays). Committed
   * on return.
   */
  append(record: RunRecord, suiteId: string | null = null): void {
    this.write('append run', () => this.db.prepare(insertRunSql(SQLITE_PLACEHOLDER)).run(...runValues(record, suiteId)));
  }

  /** Attempts in start-time order, each re-validated with `parseRunRecord`. */
  query(q: HistoryQuery = {}): HistoryRows {
    const { sql, args } = selectRunsSql(q, SQLITE_PLACEHOLDER);
    return parseRunRows(this.read('query runs', () => this.db.prepare(sql).all(...args) as RunRow[]));
  }

  /** Suites with their manifests, newest first, optionally only those started since `sinceMs`. */
  suites(sinceMs?: number): SuiteRow[] {
    return parseSuiteRows(this.read('query suites', () => this.db.prepare(SELECT_SUITES_SQL).all() as SuiteDbRow[]),
      sinceMs);
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

/** The async `HistoryBackend` over a `HistoryStore` (each call still commits before it resolves). */
export class SqliteHistory implements HistoryBackend {
  private constructor(private readonly store: HistoryStore) {}

  static open(file: string, options: HistoryStoreOptions = {}): SqliteHistory {
    return new SqliteHistory(HistoryStore.open(file, options));
  }

  get target(): string {
    return this.store.file;
  }

  append(record: RunRecord, suiteId: string | null = null): Promise<void> {
    return settle(() => this.store.append(record, suiteId));
  }

  putSuite(suiteId: string, manifest: RunManifest): Promise<void> {
    return settle(() => this.store.putSuite(suiteId, manifest));
  }

  query(q: HistoryQuery = {}): Promise<HistoryRows> {
    return settle(() => this.store.query(q));
  }

  suites(sinceMs?: number): Promise<SuiteRow[]> {
    return settle(() => this.store.suites(sinceMs));
  }

  close(): Promise<void> {
    return settle(() => this.store.close());
  }
}

/** A synchronous call as a promise: a throw becomes a rejection, never an exception of the caller. */
function settle<T>(f: () => T): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e as Error);
  }
}
