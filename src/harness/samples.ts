/**
 * The probe packets of a run as samples.csv rows (pure): every attempt's flows, send and receive stamps
 * on the controller's monotonic clock. Shared by `vmmi migrate --samples` and the reporter's `samples`.
 */
import type { MigrationResult } from '../migration/run.js';
import type { SampleRow } from '../report/render-csv.js';

export function sampleRows(runId: string, result: Pick<MigrationResult, 'attempts'>): SampleRow[] {
  const rows: SampleRow[] = [];
  for (const a of result.attempts) {
    for (const f of a.flows) {
      for (const x of f.samples ?? []) {
        rows.push({ runId, attempt: a.attempt, flow: f.spec.name, seq: x.seq, txMs: f.baseMonoMs + x.txMs,
          rxMs: x.rxMs === undefined ? undefined : f.baseMonoMs + x.rxMs, dupCount: x.dupCount });
      }
    }
  }
  return rows;
}
