import { formatIssue } from '../errors/classes.js';
import { validateTestbedFile } from '../inventory/load.js';
import { testbedJsonSchema } from '../inventory/schema.js';
import { redact } from '../util/redact.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { EXIT } from './exit-codes.js';
import { groupHelp, showHelp } from './help.js';
import { TESTBED_GROUP, TESTBED_SCHEMA, TESTBED_SHOW, TESTBED_VALIDATE } from './specs.js';

/**
 * JSON.stringify escapes C0 controls but leaves DEL, C1 controls (a raw 0x9b is a CSI on some terminals) and
 * the bidirectional overrides: those from a description or a key are printed as \u escapes too (still JSON).
 */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const json = (o: unknown): void => console.log(redact(JSON.stringify(o, null, 2)
  .replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)));

async function validate(args: readonly string[]): Promise<number> {
  const { values, positionals, help } = parseCommand(args, TESTBED_VALIDATE);
  if (help) return showHelp(TESTBED_VALIDATE, true);
  const [file] = positionals;
  if (file === undefined) return showHelp(TESTBED_VALIDATE, false);
  const r = await validateTestbedFile(file).catch((e: unknown) => {
    if (values.json !== true) throw e;
    return { ok: false as const, issues: [{ path: '', message: (e as Error).message, file }] };
  });
  if (!r.ok) {
    if (values.json === true) json({ file, valid: false, issues: r.issues });
    for (const i of r.issues) console.error(redact(formatIssue(i)));
    console.error(`${file}: ${r.issues.length} problem(s)`);
    return EXIT.usage;
  }
  const t = r.testbed;
  const counts = { sites: t.sites.length, hypervisors: t.hypervisors.length, switches: t.switches.length,
    links: t.links.length, subnets: t.subnets.length, vms: t.vms.length };
  if (values.json === true) json({ file, valid: true, name: t.name, counts });
  else {
    console.log(`${file}: valid — ${Object.entries(counts).map(([k, n]) => `${n} ${k === 'vms' ? 'VMs' : k}`)
      .join(', ')}`);
  }
  return EXIT.ok;
}

/** `vmmi testbed validate|show|schema`. Exit codes: 0 valid, 2 invalid or usage error. */
export const testbedCommand: Command = {
  summary: TESTBED_GROUP.summary,
  usage: TESTBED_GROUP.usage,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'validate') return validate(rest);
    if (sub === 'schema') {
      if (parseCommand(rest, TESTBED_SCHEMA).help) return showHelp(TESTBED_SCHEMA, true);
      console.log(JSON.stringify(testbedJsonSchema(), null, 2));
      return EXIT.ok;
    }
    if (sub !== 'show') return showHelp(groupHelp(TESTBED_GROUP), sub === '--help' || sub === '-h');
    const { positionals, help } = parseCommand(rest, TESTBED_SHOW);
    const [file] = positionals;
    if (help || file === undefined) return showHelp(TESTBED_SHOW, help);
    const r = await validateTestbedFile(file);
    if (!r.ok) {
      for (const i of r.issues) console.error(redact(formatIssue(i)));
      console.error(`${file}: ${r.issues.length} problem(s)`);
      return EXIT.usage;
    }
    // Secret's toJSON prints its reference; redact() is a second guard for anything resolved.
    json(r.testbed);
    return EXIT.ok;
  },
};
