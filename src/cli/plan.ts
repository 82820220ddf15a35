import { loadTestbed } from '../inventory/load.js';
import { formatPlan, planMigration } from '../migration/plan.js';
import type { Command } from './command.js';
import { parseMoveArgs } from './move-args.js';
import { defined } from '../model/defined.js';

const USAGE = 'vmmi plan VM --to HOST [--from HOST] [--strategy S] [--family 4|6] [--testbed testbeds/local.yaml]';

/** `vmmi plan`: prints the ordered device operations and config diffs of a migration; touches nothing. */
export const planCommand: Command = {
  summary: 'print the device operations and config diffs a migration would make (touches nothing)',
  usage: USAGE,
  async run(args) {
    const move = parseMoveArgs(args, USAGE);
    if (move === undefined) return 0;
    const testbed = await loadTestbed(move.testbed);
    const plan = planMigration(testbed, move.vm, move.to, {
      ...defined({ from: move.from, strategy: move.strategy, families: move.families }),
    });
    console.log(formatPlan(plan));
    return 0;
  },
};
