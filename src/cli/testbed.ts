import { formatIssue } from '../errors/classes.js';
import { validateTestbedFile } from '../inventory/load.js';
import { testbedJsonSchema } from '../inventory/schema.js';
import { redact } from '../util/redact.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';

const USAGE = `vmmi testbed validate FILE   check a testbed file; every problem as file:line:col  path: message
vmmi testbed show FILE       print the resolved testbed (secrets shown as references)
vmmi testbed schema          print the JSON Schema of testbed files (for editors)`;

/** Exit codes: 0 valid, 2 invalid or usage error. */
export const testbedCommand: Command = {
  summary: 'validate, show or export the schema of a testbed file',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {}, USAGE);
    const [sub, file, ...extra] = positionals;
    if (values.help === true || sub === undefined) {
      console.log(USAGE);
      return values.help === true ? 0 : 2;
    }
    if (sub === 'schema') {
      console.log(JSON.stringify(testbedJsonSchema(), null, 2));
      return 0;
    }
    if ((sub !== 'validate' && sub !== 'show') || file === undefined || extra.length > 0) {
      console.error(`usage:\n${USAGE}`);
      return 2;
    }
    const r = await validateTestbedFile(file);
    if (!r.ok) {
      for (const i of r.issues) console.error(redact(formatIssue(i)));
      console.error(`${file}: ${r.issues.length} problem(s)`);
      return 2;
    }
    if (sub === 'validate') {
      const t = r.testbed;
      console.log(
        `${file}: valid — ${t.sites.length} sites, ${t.hypervisors.length} hypervisors, ${t.switches.length} switches, ` +
          `${t.links.length} links, ${t.subnets.length} subnets, ${t.vms.length} VMs`,
      );
    } else {
      // Secret's toJSON prints its reference; redact() is a second guard for anything resolved.
      console.log(redact(JSON.stringify(r.testbed, null, 2)));
    }
    return 0;
  },
};
