import { formatRecovery, recoverRuns } from '../harness/recover.js';
import { openTestbed } from '../harness/open.js';
import { loadTestbed } from '../inventory/load.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';

const USAGE = 'vmmi recover [--testbed testbeds/local.yaml]';

/**
 * `vmmi recover`: finishes what an interrupted controller left (open run journals): the VM is located
 * on every hypervisor and the network rolled back or forward to match. `vmmi migrate` and the suites
 * run the same recovery before they start. Exit 1 when a journal still needs a human.
 */
export const recoverCommand: Command = {
  summary: 'recover runs interrupted by a dead controller (run journals): network back or forward to match the VM',
  usage: USAGE,
  async run(args) {
    const { values } = parseCommandArgs(args, { testbed: { type: 'string', default: 'testbeds/local.yaml' } }, USAGE);
    if (values.help === true) {
      console.log(`usage: ${USAGE}`);
      return 0;
    }
    const tb = await loadTestbed(values.testbed ?? 'testbeds/local.yaml');
    const opened = await openTestbed(tb);
    try {
      const rs = await recoverRuns(tb, opened.drivers, { log: (l) => console.log(l) });
      console.log(formatRecovery(rs));
      return rs.every((r) => r.done || r.decision.action === 'skipped') ? 0 : 1;
    } finally {
      await opened.close();
    }
  },
};
