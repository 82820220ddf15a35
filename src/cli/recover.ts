import { formatRecovery, recoverRuns } from '../harness/recover.js';
import { openJournals, journalDir } from '../harness/journal-file.js';
import { openTestbed } from '../harness/open.js';
import { loadTestbed } from '../inventory/load.js';
import { parseCommand, resolveTestbed } from './args.js';
import type { Command } from './command.js';
import { EXIT } from './exit-codes.js';
import { showHelp } from './help.js';
import { RECOVER } from './specs.js';

/**
 * `vmmi recover`: finishes what an interrupted controller left (open run journals): the VM is located
 * on every hypervisor and the network rolled back or forward to match. `vmmi migrate` and the suites
 * run the same recovery before they start. Exit 1 when a journal still needs a human.
 */
export const recoverCommand: Command = {
  summary: RECOVER.summary,
  usage: RECOVER.usage,
  async run(args) {
    const { values, help } = parseCommand(args, RECOVER);
    if (help) return showHelp(RECOVER, true);
    const json = values.json === true;
    const ref = resolveTestbed(values.testbed);
    const tb = await loadTestbed(ref.path);
    // Nothing interrupted: say so without connecting to any device.
    if ((await openJournals()).length === 0) {
      if (json) console.log(JSON.stringify({ testbed: ref.given, runs: [] }, null, 2));
      else console.log(`vmmi recover: nothing to recover (no open run journal in ${journalDir()})`);
      return EXIT.ok;
    }
    const opened = await openTestbed(tb);
    try {
      // With --json the progress lines go to stderr: stdout holds the one object.
      const rs = await recoverRuns(tb, opened.drivers, { log: (l) => (json ? console.error(l) : console.log(l)) });
      if (json) {
        console.log(JSON.stringify({
          testbed: ref.given,
          runs: rs.map((r) => ({ runId: r.runId, vm: r.vm, action: r.decision.action, why: r.decision.why,
            done: r.done, ...(r.error === undefined ? {} : { error: r.error }) })),
        }, null, 2));
      } else console.log(formatRecovery(rs));
      return rs.every((r) => r.done || r.decision.action === 'skipped') ? EXIT.ok : EXIT.failed;
    } finally {
      await opened.close();
    }
  },
};
