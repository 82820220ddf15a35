import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { migrateVm } from '../harness/migrate.js';
import type { MigrateContext } from '../harness/migrate.js';
import { loadTestbed } from '../inventory/load.js';
import { formatResult } from '../migration/format.js';
import type { Testbed } from '../model/testbed.js';
import type { Command } from './command.js';
import { EXIT } from './exit-codes.js';
import { HistoryStore } from '../report/history.js';
import { renderSamplesCsv } from '../report/render-csv.js';
import { sampleRows } from '../harness/samples.js';
import type { MigrationResult } from '../migration/run.js';
import { migrateJson } from './migrate-json.js';
import { checkMoveNames, parseMoveArgs } from './move-args.js';
import { MIGRATE } from './specs.js';
import { defined } from '../model/defined.js';

/** Opens a testbed's drivers (injected by the composition root that owns the driver registries). */
export type TestbedOpener = (testbed: Testbed, signal: AbortSignal) =>
  Promise<MigrateContext & { close(): Promise<void> }>;

/**
 * `vmmi migrate`: one migration with all observers; prints timeline, decomposition, conformance and
 * metrics (`--json`: one object, migrate-json.ts). SIGINT aborts the run, which rolls back. Exit 0 when
 * the VM migrated and the measurement is not errored, 3 when the measurement errored or the
 * infrastructure failed, else 1.
 */
export function createMigrateCommand(openTestbed: TestbedOpener): Command {
  return {
    summary: MIGRATE.summary,
    usage: MIGRATE.usage,
    async run(args) {
      const move = parseMoveArgs(args, MIGRATE);
      if (move === undefined) return EXIT.ok;
      const testbed = await loadTestbed(move.testbed.path);
      checkMoveNames(testbed, move, move.testbed.given);
      const ac = new AbortController();
      const onSigint = (): void => {
        console.error('vmmi migrate: interrupt: aborting the migration and rolling back (Ctrl-C again to force)');
        ac.abort(new Error('SIGINT'));
        process.removeListener('SIGINT', onSigint);
      };
      process.on('SIGINT', onSigint);
      const opened = await openTestbed(testbed, ac.signal);
      try {
        // The same use case as the `migrate` fixture: recover first, locate the VM, move every family
        // it has (--family picks the one judged and printed first), retry on a fresh VM where possible.
        const out = await migrateVm(testbed, opened, {
          vm: move.vm, to: move.to,
          ...defined({ from: move.from, strategy: move.strategy, family: move.families?.[0] }),
          ...defined({ migration: move.migration }),
        }, { signal: ac.signal, log: (l) => console.error(l) });
        const { result } = out;
        if (move.json) {
          console.log(JSON.stringify({ ...migrateJson(result, out.runId), judged: out.record?.verdict ?? null,
            judgedFamily: out.families[0], timelineFile: out.timelineFile }, null, 2));
        } else {
          console.log(formatResult(result));
          console.log(`timeline: ${out.timelineFile}`);
        }
        if (move.samples !== undefined) await writeSamples(resolve(move.samples), out.runId, result);
        if (move.history !== undefined) {
          const store = HistoryStore.open(resolve(move.history));
          try {
            for (const rec of out.allRecords) store.append(rec, out.runId);
          } finally {
            store.close();
          }
          console.error(`vmmi migrate: ${out.allRecords.length} record(s) appended to ${resolve(move.history)}`);
        }
        if (result.health.health === 'errored' || result.health.infrastructure) return EXIT.errored;
        return result.verdict === 'migrated' ? EXIT.ok : EXIT.failed;
      } finally {
        process.removeListener('SIGINT', onSigint);
        await opened.close();
      }
    },
  };
}

/** samples.csv of a run: every probe packet of every attempt's flows. */
async function writeSamples(file: string, runId: string, result: MigrationResult): Promise<void> {
  const rows = sampleRows(runId, result);
  await writeFile(file, renderSamplesCsv(rows), 'utf8');
  console.error(`vmmi migrate: ${rows.length} probe packet(s) written to ${file}`);
}
