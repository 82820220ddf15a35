import { randomUUID } from 'node:crypto';
import { MigrationError } from '../errors/classes.js';
import { fileJournal } from '../harness/journal-file.js';
import { formatRecovery, recoverRuns } from '../harness/recover.js';
import { loadTestbed } from '../inventory/load.js';
import { formatResult } from '../migration/format.js';
import { runMigration, type MigrationDrivers, type RunMigrationOptions } from '../migration/run.js';
import type { Testbed } from '../model/testbed.js';
import type { Command } from './command.js';
import { EXIT } from './exit-codes.js';
import { migrateJson } from './migrate-json.js';
import { checkMoveNames, parseMoveArgs } from './move-args.js';
import { MIGRATE } from './specs.js';
import { defined } from '../model/defined.js';


/** Opened drivers for one run, adapted to the executor's consumer interfaces, and how to release them. */
export interface OpenedDrivers {
  readonly drivers: MigrationDrivers;
  /** Extra executor options the drivers imply (route monitor resolution, clock sync, fresh-VM retry). */
  readonly options?: Omit<RunMigrationOptions, 'signal'>;
  close(): Promise<void>;
}

/** Builds the drivers for a testbed (injected by the composition root that owns the driver registries). */
export type DriverFactory = (testbed: Testbed, signal: AbortSignal) => Promise<OpenedDrivers>;

/**
 * `vmmi migrate`: one migration with all observers; prints timeline, decomposition, conformance and
 * metrics (`--json`: one object, migrate-json.ts). SIGINT aborts the run, which rolls back. Exit 0 when
 * the VM migrated and the measurement is not errored, 3 when the measurement errored or the
 * infrastructure failed, else 1.
 */
export function createMigrateCommand(openDrivers: DriverFactory): Command {
  return {
    summary: MIGRATE.summary,
    usage: MIGRATE.usage,
    async run(args) {
      const move = parseMoveArgs(args, MIGRATE);
      if (move === undefined) return EXIT.ok;
      const { vm, strategy, families } = move;
      const values = { to: move.to, from: move.from };
      const testbed = await loadTestbed(move.testbed.path);
      checkMoveNames(testbed, move, move.testbed.given);
      const ac = new AbortController();
      const onSigint = (): void => {
        console.error('vmmi migrate: interrupt: aborting the migration and rolling back (Ctrl-C again to force)');
        ac.abort(new Error('SIGINT'));
        process.removeListener('SIGINT', onSigint);
      };
      process.on('SIGINT', onSigint);
      const opened = await openDrivers(testbed, ac.signal);
      try {
        // A run interrupted earlier (controller killed) is recovered first; one that still needs a
        // human blocks new migrations on this testbed.
        const recovered = await recoverRuns(testbed, opened.drivers, {
          signal: ac.signal,
          log: (l) => console.error(l),
        });
        const stuck = recovered.filter((r) => !r.done && r.decision.action !== 'skipped');
        if (stuck.length > 0) {
          throw new MigrationError(
            `an interrupted run needs attention before a new migration: ${formatRecovery(stuck)}`,
            {
              operation: 'recover',
              hint: 'fix what the line says, then run vmmi recover',
            },
          );
        }
        // Without --from, the source is wherever the VM runs now (not necessarily its home).
        let from = values.from;
        for (const hv of from === undefined ? testbed.hypervisors : []) {
          if (
            await opened.drivers
              .host(hv.name)
              .isRunning(vm, { timeoutMs: 10_000 })
              .catch(() => false)
          )
            from = hv.name;
        }
        const runId = randomUUID();
        const result = await runMigration(testbed, {
          vm, to: values.to,
          ...defined({ from, strategy, families }),
        }, opened.drivers, { ...opened.options, signal: ac.signal, journal: fileJournal(), runId });
        console.log(move.json ? JSON.stringify(migrateJson(result, runId), null, 2) : formatResult(result));
        if (result.health.health === 'errored' || result.health.infrastructure) return EXIT.errored;
        return result.verdict === 'migrated' ? EXIT.ok : EXIT.failed;
      } finally {
        process.removeListener('SIGINT', onSigint);
        await opened.close();
      }
    },
  };
}
