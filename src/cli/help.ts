/** Help texts built from the specs (specs.ts), shared by the dispatcher and the command modules. */
import { formatHelp, type ArgSpec } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CommandSpec } from './specs.js';

/** Help of a command group with subcommands: usage, summary, one line per subcommand. */
export function groupHelp(spec: CommandSpec): string {
  const subs = Object.entries(spec.subcommands ?? {});
  const width = Math.max(...subs.map(([n]) => n.length));
  return [`usage: ${spec.usage.split('\n').join('\n       ')}`, '', spec.summary, '', 'subcommands:',
    ...subs.map(([n, s]) => `  ${n.padEnd(width)}  ${s.summary}`), '',
    `${spec.name} <subcommand> --help for its options`].join('\n');
}

/**
 * Prints `text` (a spec's help when given one): on stdout with exit 0 when it was asked for, on stderr
 * with exit 2 when the arguments were incomplete.
 */
export function showHelp(text: string | ArgSpec, asked: boolean): number {
  const out = typeof text === 'string' ? text : formatHelp(text);
  if (asked) console.log(out);
  else console.error(out);
  return asked ? EXIT.ok : EXIT.usage;
}
