import { loadTestbed } from '../inventory/load.js';
import { formatPlan, PHASES, planMigration, type MigrationPlan } from '../migration/plan.js';
import { describeOp } from '../migration/strategies/ops.js';
import type { DeviceOp } from '../migration/strategies/types.js';
import type { Command } from './command.js';
import { EXIT } from './exit-codes.js';
import { checkMoveNames, parseMoveArgs } from './move-args.js';
import { PLAN } from './specs.js';
import { defined } from '../model/defined.js';

const opJson = (op: DeviceOp): DeviceOp & { text: string } => ({ ...op, text: describeOp(op) });

/** The `--json` form of a plan (docs/cli.md): the testbed and VM objects reduced to their names. */
export function planJson(p: MigrationPlan): Record<string, unknown> {
  return {
    vm: p.vm.name, source: p.source, destination: p.destination, strategy: p.strategy.strategy,
    families: p.families,
    transactions: Object.fromEntries(PHASES.map((ph) =>
      [ph, p.transactions[ph].map((tx) => ({ device: tx.device, ops: tx.ops.map(opJson) }))])),
    diffs: p.diffs, rollback: p.rollback.map(opJson), notes: p.strategy.notes,
    ...defined({ destinationSubnet: p.destinationSubnet, gateway: p.strategy.gateway,
      extraRttMs: p.strategy.extraRttMs }),
  };
}

/** `vmmi plan`: prints the ordered device operations and config diffs of a migration; touches nothing. */
export const planCommand: Command = {
  summary: PLAN.summary,
  usage: PLAN.usage,
  async run(args) {
    const move = parseMoveArgs(args, PLAN);
    if (move === undefined) return EXIT.ok;
    const testbed = await loadTestbed(move.testbed.path);
    checkMoveNames(testbed, move, move.testbed.given);
    const plan = planMigration(testbed, move.vm, move.to, {
      ...defined({ from: move.from, strategy: move.strategy, families: move.families }),
    });
    console.log(move.json ? JSON.stringify(planJson(plan), null, 2) : formatPlan(plan));
    return EXIT.ok;
  },
};
