import pg from 'pg';
import { ConnectionError, ReportError } from '../errors/classes.js';
import { isVmmiError } from '../errors/vmmi-error.js';
import { throwIfAborted, withDeadline } from '../util/abort.js';
import { redact, registerSecret } from '../util/redact.js';
import type {
  HistoryBackend, HistoryOpenOptions, HistoryQuery, HistoryRows, SuiteRow,
} from './history-backend.js';
import { META_TABLE_SQL, migrationStatements, pendingMigrations, HISTORY_SCHEMA_VERSION } from './history-migrations.js';
import {
  insertRunSql, parseRunRows, parseSuiteRows, POSTGRES_PLACEHOLDER, runValues, SELECT_SUITES_SQL, selectRunsSql,
  upsertSuiteSql, type RunRow, type SuiteDbRow,
} from './history-sql.js';
import type { RunManifest, RunRecord } from './record.js';

/**
 * History in PostgreSQL (sole `pg` importer), for many labs writing to one database at once. One
 * connection per store; every append is its own autocommitted upsert on UNIQUE (run_id, attempt), so
 * concurrent writers never lose rows and a crash keeps every committed attempt. The schema comes from
 * the migration list shared with SQLite; concurrent first openers serialise on an advisory lock.
 *
 * Limits: the connect (and schema check) has `connectTimeoutMs`, each query `queryTimeoutMs` (also sent
 * as the server's statement_timeout). A timeout or an abort closes the connection (its state is then
 * unknown); later calls reject. The URL's password is registered with util/redact and never printed.
 */

const DEFAULTS = { connectTimeoutMs: 10_000, queryTimeoutMs: 30_000 } as const;
/** Key of the advisory lock migrations hold (any constant; "vmmi" in ASCII). */
const MIGRATION_LOCK = 0x766d6d69;

/** `postgres://` or `postgresql://`: a `--history` / VMMI_HISTORY_URL value that names PostgreSQL. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(target);
}

/** The URL with its password replaced by `***` (the user stays: it helps find a wrong role). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/?#@]*:)[^/?#]*@/i, '$1***@');
}

/** The password in the URL, decoded (undefined when there is none). */
function passwordOf(url: string): string | undefined {
  const m = /^[a-z]+:\/\/[^:/?#@]*:([^/?#]*)@/i.exec(url);
  if (m === null || m[1] === undefined || m[1] === '') return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

export class PostgresHistory implements HistoryBackend {
  private broken: Error | null = null;
  private readonly detach: () => void;

  private constructor(private readonly client: pg.Client, readonly target: string,
    private readonly o: Required<Omit<HistoryOpenOptions, 'signal'>> & { signal?: AbortSignal }) {
    const onAbort = (): void => this.breakOff(new Error('aborted'));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    this.detach = () => o.signal?.removeEventListener('abort', onAbort);
  }

  /** Connects, then migrates (writers) or checks the version (read-only). Rejects with a VmmiError. */
  static async open(url: string, options: HistoryOpenOptions = {}): Promise<PostgresHistory> {
    const o = { ...DEFAULTS, readonly: false, ...options };
    throwIfAborted(o.signal, { device: redactUrl(url), operation: 'open history' });
    const password = passwordOf(url);
    if (password !== undefined) registerSecret(password);
    // the URL may carry it percent-encoded: hide that spelling too
    if (password !== undefined && encodeURIComponent(password) !== password) {
      registerSecret(encodeURIComponent(password));
    }
    const target = redactUrl(url);
    const client = new pg.Client({
      connectionString: url, connectionTimeoutMillis: o.connectTimeoutMs, query_timeout: o.queryTimeoutMs,
      statement_timeout: o.queryTimeoutMs, application_name: 'vmmi-history',
      ...(o.readonly ? { options: '-c default_transaction_read_only=on' } : {}),
    });
    // an idle connection that dies must not crash the process: the next call reports it
    client.on('error', () => undefined);
    const store = new PostgresHistory(client, target, o);
    try {
      await withDeadline(observed(client.connect()), 'connect', {
        timeoutMs: o.connectTimeoutMs, ...(o.signal === undefined ? {} : { signal: o.signal }),
        onCancel: (e) => store.breakOff(e), ctx: { device: target, operation: 'open history' },
      });
    } catch (e) {
      await store.close().catch(() => undefined);
      if (isVmmiError(e)) throw e;
      throw new ConnectionError(redact(`cannot connect: ${e instanceof Error ? e.message : String(e)}`), {
        device: target, operation: 'open history', cause: e,
        hint: 'check the URL, that the server runs and that the role may log in (VMMI_HISTORY_URL or --history)',
      });
    }
    try {
      if (o.readonly) await store.checkReadable();
      else await store.migrate();
      return store;
    } catch (e) {
      await store.close().catch(() => undefined);
      throw e;
    }
  }

  async append(record: RunRecord, suiteId: string | null = null): Promise<void> {
    await this.run('append run', insertRunSql(POSTGRES_PLACEHOLDER), runValues(record, suiteId));
  }

  async putSuite(suiteId: string, manifest: RunManifest): Promise<void> {
    await this.run('store suite', upsertSuiteSql(POSTGRES_PLACEHOLDER),
      [suiteId, manifest.startedWall, manifest.endedWall, JSON.stringify(manifest)]);
  }

  async query(q: HistoryQuery = {}): Promise<HistoryRows> {
    const { sql, args } = selectRunsSql(q, POSTGRES_PLACEHOLDER);
    return parseRunRows(await this.run<RunRow>('query runs', sql, args));
  }

  async suites(sinceMs?: number): Promise<SuiteRow[]> {
    return parseSuiteRows(await this.run<SuiteDbRow>('query suites', SELECT_SUITES_SQL, []), sinceMs);
  }

  async schemaVersion(): Promise<number> {
    const exists = await this.run<{ t: string | null }>('read schema version', "SELECT to_regclass('meta')::text AS t", []);
    if (exists[0]?.t == null) return 0;
    const rows = await this.run<{ value: string }>('read schema version',
      "SELECT value FROM meta WHERE key = 'schema_version'", []);
    return rows[0] === undefined ? 0 : Number(rows[0].value);
  }

  async close(): Promise<void> {
    this.detach();
    if (this.broken !== null) return;
    this.broken = new Error('closed');
    await this.client.end();
  }

  /** Each pending migration in its own transaction, under an advisory lock, re-reading the version there. */
  private async migrate(): Promise<void> {
    for (const m of pendingMigrations(await this.schemaVersion(), this.target)) {
      await this.run('migrate history', 'BEGIN', []);
      try {
        await this.run('migrate history', `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`, []);
        await this.run('migrate history', META_TABLE_SQL, []);
        if (await this.schemaVersion() < m.version) {
          for (const sql of migrationStatements(m, 'postgres')) await this.run('migrate history', sql, []);
          await this.run('migrate history', `INSERT INTO meta (key, value) VALUES ('schema_version', $1)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [String(m.version)]);
        }
        await this.run('migrate history', 'COMMIT', []);
      } catch (e) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    }
  }

  private async checkReadable(): Promise<void> {
    const version = await this.schemaVersion();
    if (pendingMigrations(version, this.target).length === 0) return;
    throw new ReportError(version === 0 ? 'not a vmmi history database (no schema version)'
      : `history schema version ${version} is older than this vmmi's (${HISTORY_SCHEMA_VERSION})`, {
      device: this.target, operation: 'open history',
      hint: version === 0 ? 'check the URL\'s database' : 'let a writer (vmmi run with VMMI_HISTORY_URL) open it once',
    });
  }

  /** One statement with the query limit and the signal; errors become ReportErrors without the password. */
  private async run<R>(operation: string, sql: string, args: readonly unknown[]): Promise<R[]> {
    if (this.broken !== null) {
      throw new ReportError(`the connection is closed (${this.broken.message})`, { device: this.target, operation });
    }
    try {
      const res = await withDeadline(observed(this.client.query(sql, [...args])), operation, {
        timeoutMs: this.o.queryTimeoutMs, ...(this.o.signal === undefined ? {} : { signal: this.o.signal }),
        onCancel: (e) => this.breakOff(e), ctx: { device: this.target, operation },
      });
      return res.rows as R[];
    } catch (e) {
      if (isVmmiError(e)) throw e;
      throw new ReportError(redact(e instanceof Error ? e.message : String(e)), {
        device: this.target, operation, cause: e, hint: 'check the server and the role\'s rights on the database',
      });
    }
  }

  /** After a timeout or an abort the connection's state is unknown: drop it. */
  private breakOff(reason: Error): void {
    if (this.broken !== null) return;
    this.broken = reason;
    this.detach();
    this.client.end().catch(() => undefined);
  }
}

/** The promise itself, with its rejection marked handled: after a timeout or an abort nobody awaits it. */
function observed<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
