/**
 * The one option parser of `vmmi` (node:util parseArgs) and the help text built from the same spec.
 * Every command and subcommand parses through `parseCommandArgs`: `--x=v` and `--x v` both work, an
 * unknown option is named together with the valid ones, a missing value is a usage error (exit 2).
 * Light on purpose: `vmmi --help` loads it without any command module.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { UsageError } from '../errors/classes.js';

/** One option: parseArgs' config plus what `--help` prints. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly default?: string | boolean | string[] | boolean[];
  /** One line for `--help`. */
  readonly description: string;
  /** Placeholder of the value in `--help` (`FILE`, `HOST`). */
  readonly valueName?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** What a command (or one subcommand) accepts; `--help` is always added. */
export interface ArgSpec {
  /** `vmmi lab status`: the words before the options. */
  readonly name: string;
  /** Usage lines without the leading `usage: `. */
  readonly usage: string;
  readonly summary: string;
  readonly options: OptionSpecs;
  /** Names of the positionals, for the error message of a stray word (none: no positional accepted). */
  readonly positionals?: readonly string[];
  /** Any number of positionals (the legacy `parseCommandArgs` callers). */
  readonly anyPositionals?: boolean;
  /** Everything after `--` is handed over uninterpreted (`ParsedArgs.passthrough`) instead of as positionals. */
  readonly passthrough?: boolean;
  /** Shape of the `--json` output, for `--help` (docs/cli.md has the full table). */
  readonly json?: string;
  /** Further lines of `--help` (exit codes, examples). */
  readonly notes?: readonly string[];
}

/** `--help` / `-h` exists on every command; a spec may not redefine it. */
const HELP = { type: 'boolean', short: 'h', description: 'print this help and exit 0' } as const satisfies OptionSpec;

type NodeOptions = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends OptionSpecs> = ReturnType<typeof parseArgs<{
  options: O & { help: typeof HELP }; allowPositionals: true; strict: true;
}>>;

export interface ParsedArgs<O extends OptionSpecs> {
  readonly values: Parsed<O>['values'];
  readonly positionals: string[];
  /** Arguments after `--` when the spec allows passthrough (empty otherwise). */
  readonly passthrough: string[];
  readonly help: boolean;
}

const flag = (name: string, o: OptionSpec): string => `--${name}`
  + (o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : '') + (o.short === undefined ? '' : `, -${o.short}`);

const optionList = (spec: ArgSpec): string =>
  [...Object.keys(spec.options), 'help'].map((n) => `--${n}`).join(', ');

function nodeOptions(options: OptionSpecs): NodeOptions {
  return Object.fromEntries(Object.entries({ ...options, help: HELP }).map(([n, o]: [string, OptionSpec]) => [n, {
    type: o.type,
    ...(o.short === undefined ? {} : { short: o.short }),
    ...(o.multiple === undefined ? {} : { multiple: o.multiple }),
    ...(o.default === undefined ? {} : { default: o.default }),
  }])) as NodeOptions;
}

/** Checks the tokens of a lenient parse so every mistake is reported in vmmi's words. */
function checkTokens(spec: ArgSpec, args: readonly string[], options: NodeOptions): void {
  const { tokens } = parseArgs({ args: [...args], options, allowPositionals: true, strict: false, tokens: true });
  const usage = `usage: ${spec.usage.split('\n').join('\n       ')}`;
  let positionals = 0;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') {
      if (spec.passthrough === true) return;
      continue;
    }
    if (t.kind === 'positional') {
      positionals++;
      if (spec.anyPositionals !== true && positionals > (spec.positionals?.length ?? 0)) {
        const want = spec.positionals === undefined || spec.positionals.length === 0
          ? 'takes no arguments' : `takes ${spec.positionals.join(' ')}`;
        throw new UsageError(`unexpected argument "${t.value}": ${spec.name} ${want}; options: ${optionList(spec)}`,
          { hint: usage });
      }
      continue;
    }
    const o = options[t.name];
    if (o === undefined)
      throw new UsageError(`unknown option ${t.rawName}; options: ${optionList(spec)}`, { hint: usage });
    if (o.type === 'string' && (t.value === undefined || (!t.inlineValue && t.value.startsWith('-'))))
      throw new UsageError(`${t.rawName} needs a value (${t.rawName} VALUE or --${t.name}=VALUE)`, { hint: usage });
    if (o.type === 'boolean' && t.inlineValue === true)
      throw new UsageError(`${t.rawName} takes no value, got "${t.rawName}=${t.value}"`, { hint: usage });
  }
}

/**
 * Parses `args` (the words after the command and subcommand) against `spec`. Usage mistakes are
 * UsageErrors (exit 2) naming the offending word and the valid options.
 */
export function parseCommand<O extends OptionSpecs>(
  args: readonly string[], spec: ArgSpec & { readonly options: O },
): ParsedArgs<O> {
  const options = nodeOptions(spec.options);
  const end = args.indexOf('--');
  const own = spec.passthrough === true && end >= 0 ? args.slice(0, end) : args;
  const passthrough = spec.passthrough === true && end >= 0 ? args.slice(end + 1) : [];
  // Help wins over every other mistake: `vmmi plan --help` needs no VM.
  if (wantsHelp(args)) {
    return { values: { help: true } as unknown as Parsed<O>['values'], positionals: [], passthrough, help: true };
  }
  checkTokens(spec, own, options);
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: [...own], options, allowPositionals: true, strict: true }) as Parsed<O>;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}; options: ${optionList(spec)}`, { hint: `usage: ${spec.usage}` });
  }
  return { values: parsed.values, positionals: parsed.positionals, passthrough, help: false };
}

/** `--help` or `-h` before any `--`. */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  const own = end >= 0 ? args.slice(0, end) : args;
  return own.includes('--help') || own.includes('-h');
}

type LegacyOptions = Readonly<Record<string, Omit<OptionSpec, 'description'> & { readonly description?: string }>>;

/**
 * The former signature: parseArgs options and a usage line, any number of positionals. New commands
 * declare an ArgSpec (specs.ts) and call `parseCommand`.
 */
export function parseCommandArgs<O extends LegacyOptions>(args: readonly string[], options: O, usage: string) {
  const spec = {
    name: 'vmmi', usage, summary: '', anyPositionals: true,
    options: Object.fromEntries(Object.entries(options).map(([n, o]) => [n, { description: '', ...o }])) as OptionSpecs,
  };
  const r = parseCommand(args, spec);
  return { values: r.values as Parsed<{ [K in keyof O]: O[K] & { description: string } }>['values'],
    positionals: r.positionals };
}

/** `--help` text of a command or subcommand: usage, summary, options, `--json` shape, notes. */
export function formatHelp(spec: ArgSpec): string {
  const entries: [string, OptionSpec][] = Object.entries({ ...spec.options, help: HELP });
  const width = Math.max(...entries.map(([n, o]) => flag(n, o).length));
  const lines = [`usage: ${spec.usage.split('\n').join('\n       ')}`, '', spec.summary, '', 'options:'];
  for (const [n, o] of entries) {
    const def = o.default === undefined || o.type === 'boolean' ? '' : ` (default ${String(o.default)})`;
    lines.push(`  ${flag(n, o).padEnd(width)}  ${o.description}${def}`);
  }
  if (spec.json !== undefined) lines.push('', `--json prints one object: ${spec.json}`, '(shapes: docs/cli.md)');
  for (const n of spec.notes ?? []) lines.push('', n);
  return lines.join('\n');
}

/** The testbed option every command that takes a testbed shares. */
export const TESTBED_OPTION = {
  type: 'string', valueName: 'FILE',
  description: 'testbed file (default: $VMMI_TESTBED, else testbeds/local.yaml)',
} as const satisfies OptionSpec;

export const JSON_OPTION = {
  type: 'boolean', description: 'print exactly one JSON object on stdout (progress goes to stderr)',
} as const satisfies OptionSpec;

/** A testbed as the user named it (for messages) and as a path from the current folder (for reading). */
export interface TestbedRef {
  readonly given: string;
  readonly path: string;
  /** Where the name came from. */
  readonly from: '--testbed' | 'VMMI_TESTBED' | 'default';
}

export const DEFAULT_TESTBED = 'testbeds/local.yaml';

/** `--testbed`, then `$VMMI_TESTBED`, then `./testbeds/local.yaml`; relative names from the current folder. */
export function resolveTestbed(option: string | undefined, env: NodeJS.ProcessEnv = process.env): TestbedRef {
  const fromEnv = env.VMMI_TESTBED === undefined || env.VMMI_TESTBED === '' ? undefined : env.VMMI_TESTBED;
  const [given, from] = option !== undefined ? [option, '--testbed' as const]
    : fromEnv !== undefined ? [fromEnv, 'VMMI_TESTBED' as const] : [DEFAULT_TESTBED, 'default' as const];
  return { given, path: resolve(given), from };
}
