import type { HistoryRows, SuiteRow } from './history-backend.js';
import type { RunRecord } from './record.js';

/**
 * Several histories as one (pure): shards' and labs' stores read by `vmmi report --history A --history B`.
 * Attempts are de-duplicated by (run id, attempt), a later source winning (as a later append replaces an
 * earlier one in one store); suites by suite id, likewise. Order: start time, then source order.
 */

export interface HistoryPart {
  /** The store, as printed (a file path or a redacted URL). */
  readonly source: string;
  readonly rows: HistoryRows;
  readonly suites: readonly SuiteRow[];
}

export interface MergedHistory {
  readonly records: RunRecord[];
  /** Unreadable rows of every source, named by source. */
  readonly skipped: readonly { readonly source: string; readonly id: number; readonly error: string }[];
  /** Newest first. */
  readonly suites: SuiteRow[];
  /** Attempts found in more than one source (counted once in `records`). */
  readonly duplicates: number;
  /** The suite run each attempt was recorded by (key: history-sql.ts attemptKey), where known. */
  readonly suiteOf: ReadonlyMap<string, string>;
}

export function mergeHistories(parts: readonly HistoryPart[]): MergedHistory {
  const byKey = new Map<string, { record: RunRecord; order: number }>();
  let duplicates = 0;
  let order = 0;
  for (const p of parts) {
    for (const r of p.rows.records) {
      const key = `${r.runId}\u0000${r.attempt}`;
      const seen = byKey.get(key);
      if (seen !== undefined) duplicates++;
      // a replaced attempt keeps its first position, as an upsert keeps the row's id
      byKey.set(key, { record: r, order: seen?.order ?? order++ });
    }
  }
  const records = [...byKey.values()]
    .sort((a, b) => Date.parse(a.record.startedWall) - Date.parse(b.record.startedWall) || a.order - b.order)
    .map((e) => e.record);
  const suiteOf = new Map<string, string>();
  for (const p of parts) for (const [k, v] of p.rows.suiteOf ?? []) suiteOf.set(k, v);
  const suites = new Map<string, SuiteRow>();
  for (const p of parts) for (const s of p.suites) suites.set(s.suiteId, s);
  return {
    records,
    skipped: parts.flatMap((p) => p.rows.skipped.map((s) => ({ source: p.source, ...s }))),
    suites: [...suites.values()].sort((a, b) => (a.manifest.startedWall < b.manifest.startedWall ? 1
      : a.manifest.startedWall > b.manifest.startedWall ? -1 : 0)),
    duplicates,
    suiteOf,
  };
}
