import { isVmmiError } from '../errors/vmmi-error.js';
import { redact } from '../util/redact.js';
import { formatHelp, wantsHelp } from './args.js';
import { commands, type CommandEntry } from './commands.js';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.js';
import { groupHelp } from './help.js';
import { packageVersion } from './version.js';

export function topHelp(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    'usage: vmmi <command> [options]', '', 'commands:', ...lines,
    `  ${'version'.padEnd(10)} print the vmmi version`, '',
    'options:', '  --help, -h     print this help', '  --version, -V  print the vmmi version', '',
    EXIT_CODES_HELP, '', 'vmmi <command> --help for details; testbed: --testbed, else $VMMI_TESTBED, '
      + 'else testbeds/local.yaml',
  ].join('\n');
}

class Usage extends Error {}

/** The help text `args` ask for, answered from the registry's spec (undefined: run the command). */
function helpText(name: string, c: CommandEntry, args: readonly string[]): string | undefined {
  const spec = c.spec;
  if (spec === undefined) return undefined;
  const subs = spec.subcommands;
  if (subs === undefined) return wantsHelp(args) ? formatHelp(spec) : undefined;
  const [sub, ...rest] = args;
  if (sub === undefined) throw new Usage(groupHelp(spec));
  if (sub === '--help' || sub === '-h') return groupHelp(spec);
  const s = Object.hasOwn(subs, sub) ? subs[sub] : undefined;
  if (s === undefined) {
    throw new Usage(`vmmi ${name}: unknown subcommand "${sub}"; subcommands: ${Object.keys(subs).join(', ')}`);
  }
  return wantsHelp(rest) ? formatHelp(s) : undefined;
}

function reportError(group: string, e: unknown, json: boolean): number {
  const vmmi = isVmmiError(e);
  const code = vmmi ? exitCodeFor(e.code) : EXIT.errored;
  const message = vmmi ? e.message : `unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  console.error(redact(`vmmi ${group}: ${message}`));
  if (json) {
    const error = { code: vmmi ? e.code : 'INTERNAL', message: vmmi ? e.message : String(e), exit: code,
      ...(vmmi && e.hint !== undefined ? { hint: e.hint } : {}) };
    console.log(redact(JSON.stringify({ error })));
  }
  return code;
}

/**
 * `vmmi` entry: dispatches `vmmi <command> [<subcommand>] ...` to the command registry, loading only
 * the module of the command that runs. Returns the exit code (exit-codes.ts).
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [group, ...rest] = argv;
  if (group === undefined) {
    console.error(topHelp());
    return EXIT.usage;
  }
  if (group === '--help' || group === '-h' || group === 'help') {
    console.log(topHelp());
    return EXIT.ok;
  }
  if (group === '--version' || group === '-V' || group === 'version') {
    console.log(packageVersion());
    return EXIT.ok;
  }
  const cmd = Object.hasOwn(commands, group) ? commands[group] : undefined;
  if (cmd === undefined) {
    const what = group.startsWith('-') ? `unknown option ${group}; options: --help, --version`
      : `unknown command "${group}"; commands: ${[...Object.keys(commands), 'version'].join(', ')}`;
    console.error(`vmmi: ${what}`);
    return EXIT.usage;
  }
  const end = rest.indexOf('--');
  const json = (end >= 0 ? rest.slice(0, end) : rest).includes('--json');
  try {
    const help = helpText(group, cmd, rest);
    if (help !== undefined) {
      console.log(help);
      return EXIT.ok;
    }
    return await (await cmd.load()).run(rest);
  } catch (e) {
    if (e instanceof Usage) {
      console.error(e.message);
      return EXIT.usage;
    }
    return reportError(group, e, json);
  }
}
