import type { RunManifest, RunRecord } from './record.js';

/**
 * What the reporter and `vmmi report` need of a history store, whichever it is: SQLite (history.ts, the
 * default, one file per lab) or PostgreSQL (history-postgres.ts, many labs writing at once). Every
 * method is async so both fit; each `append` is committed when its promise resolves.
 */

export interface HistoryQuery {
  /** Only attempts started at or after this time (epoch ms). */
  readonly sinceMs?: number;
  readonly scenario?: string;
}

export interface HistoryRows {
  readonly records: RunRecord[];
  /** Rows that no longer parse (written by a buggy or older writer): listed, never silently dropped. */
  readonly skipped: readonly { readonly id: number; readonly error: string }[];
  /** The suite run each attempt was recorded by (key: history-sql.ts attemptKey), where it was. */
  readonly suiteOf?: ReadonlyMap<string, string>;
}

export interface SuiteRow {
  readonly suiteId: string;
  readonly manifest: RunManifest;
}

export interface HistoryBackend {
  /** Where it lives, safe to print: a file path or a URL with its password replaced by `***`. */
  readonly target: string;
  /** Appends one finished attempt; the same run id + attempt replaces the earlier row. Committed on return. */
  append(record: RunRecord, suiteId?: string | null): Promise<void>;
  /** Records (or updates) a suite run and its manifest. */
  putSuite(suiteId: string, manifest: RunManifest): Promise<void>;
  /** Attempts in start-time order, each re-validated with `parseRunRecord`. */
  query(q?: HistoryQuery): Promise<HistoryRows>;
  /** Suites with their manifests, newest first, optionally only those started since `sinceMs`. */
  suites(sinceMs?: number): Promise<SuiteRow[]>;
  close(): Promise<void>;
}

/** Per-call limits of a store that talks over the network (SQLite ignores them). */
export interface HistoryOpenOptions {
  /** Open read-only (`vmmi report`): a missing SQLite file is an error, not created. */
  readonly readonly?: boolean;
  /** Connect (and schema check) limit, ms (default 10 000). */
  readonly connectTimeoutMs?: number;
  /** Limit of each query, ms (default 30 000). */
  readonly queryTimeoutMs?: number;
  /** Aborting closes the connection: pending calls reject with an AbortedError. */
  readonly signal?: AbortSignal;
}
