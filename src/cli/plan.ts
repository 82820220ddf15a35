import { loadTestbed } from '../inventory/load.js';
import { formatPlan, planMigration } from '../migration/plan.js';
import { parseFamilies, parseStrategy } from './migrate.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './commands.js';
import { UsageError } from '../errors/classes.js';

const USAGE = 'vmmi plan VM --to HOST [--from HOST] [--strategy S] [--family 4|6] [--testbed testbeds/local.yaml]';

/** `vmmi plan`: prints the ordered device operations and config diffs of a migration; touches nothing. */
export const planCommand: Command = {
  summary: 'print the device operations and config diffs a migration would make (touches nothing)',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      to: { type: 'string' }, from: { type: 'string' }, strategy: { type: 'string' },
      family: { type: 'string', multiple: true }, testbed: { type: 'string', default: 'testbeds/local.yaml' },
    }, USAGE);
    if (values.help === true) {
      console.log(`usage: ${USAGE}`);
      return 0;
    }
    const [vm] = positionals;
    if (vm === undefined || values.to === undefined || positionals.length > 1) throw new UsageError(`usage: ${USAGE}`);
    const testbed = await loadTestbed(values.testbed);
    const families = parseFamilies(values.family);
    const strategy = parseStrategy(values.strategy);
    const plan = planMigration(testbed, vm, values.to, {
      ...(values.from === undefined ? {} : { from: values.from }),
      ...(strategy === undefined ? {} : { strategy }),
      ...(families === undefined ? {} : { families }),
    });
    console.log(formatPlan(plan));
    return 0;
  },
};
