import type { HistoryBackend, HistoryOpenOptions } from './history-backend.js';
import { isPostgresUrl, PostgresHistory } from './history-postgres.js';
import { SqliteHistory } from './history.js';

/**
 * Opens the history store a target names: a `postgres://` / `postgresql://` URL is PostgreSQL
 * (history-postgres.ts), anything else a SQLite file (history.ts, the default). Callers hold the
 * returned `HistoryBackend` and do not care which one it is.
 */

/** Environment variable naming a fleet-wide history: a PostgreSQL URL (wins over the default file). */
export const HISTORY_URL_ENV = 'VMMI_HISTORY_URL';

export async function openHistory(target: string, options: HistoryOpenOptions = {}): Promise<HistoryBackend> {
  if (isPostgresUrl(target)) return PostgresHistory.open(target, options);
  return SqliteHistory.open(target, options.readonly === true ? { readonly: true } : {});
}

export { isPostgresUrl, redactUrl } from './history-postgres.js';
