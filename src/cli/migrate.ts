import { randomUUID } from 'node:crypto';
import { MigrationError } from '../errors/classes.js';
import { fileJournal } from '../harness/journal-file.js';
import { formatRecovery, recoverRuns } from '../harness/recover.js';
import { loadTestbed } from '../inventory/load.js';
import { formatResult } from '../migration/format.js';
import { runMigration, type MigrationDrivers, type RunMigrationOptions } from '../migration/run.js';
import type { Testbed } from '../model/testbed.js';
import type { Command } from './command.js';
import { parseMoveArgs } from './move-args.js';
import { defined } from '../model/defined.js';

const USAGE = 'vmmi migrate VM --to HOST [--from HOST] [--strategy S] [--family 4|6] [--testbed testbeds/local.yaml]';

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
 * metrics. SIGINT aborts the run, which rolls back. Exit 0 only when the VM migrated and the
 * measurement is not errored.
 */
export function createMigrateCommand(openDrivers: DriverFactory): Command {
  return {
    summary: 'live-migrate a VM with all observers and print timeline, decomposition and metrics',
    usage: USAGE,
    async run(args) {
      const move = parseMoveArgs(args, USAGE);
      if (move === undefined) return 0;
      const { vm, strategy, families } = move;
      const values = { to: move.to, from: move.from, testbed: move.testbed };
      const testbed = await loadTestbed(values.testbed);
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
        const result = await runMigration(testbed, {
          vm, to: values.to,
          ...defined({ from, strategy, families }),
        }, opened.drivers, { ...opened.options, signal: ac.signal, journal: fileJournal(), runId: randomUUID() });
        console.log(formatResult(result));
        return result.verdict === 'migrated' && result.health.health !== 'errored' ? 0 : 1;
      } finally {
        process.removeListener('SIGINT', onSigint);
        await opened.close();
      }
    },
  };
}
