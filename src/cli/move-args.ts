/** Arguments of the commands that name one move (`vmmi migrate`, `vmmi plan`), parsed in one place. */
import { UsageError } from '../errors/classes.js';
import type { Family } from '../migration/strategies/types.js';
import { MIGRATION_STRATEGIES, type MigrationStrategy } from '../model/testbed.js';
import { checkMigrationOverrides, checkModeName, type MigrationOverrides } from '../migration/mode.js';
import { formatHelp, parseCommand, resolveTestbed, type TestbedRef } from './args.js';
import type { MIGRATE, PLAN } from './specs.js';
import { defined } from '../model/defined.js';

export function parseFamilies(raw: readonly string[] | undefined): Family[] | undefined {
  if (raw === undefined || raw.length === 0) return undefined;
  return raw.map((f) => {
    if (f === '4' || f === '6') return Number(f) as Family;
    throw new UsageError(`--family must be 4 or 6, got "${f}"`);
  });
}

export function parseStrategy(s: string | undefined): MigrationStrategy | undefined {
  if (s === undefined) return undefined;
  if ((MIGRATION_STRATEGIES as readonly string[]).includes(s)) return s as MigrationStrategy;
  throw new UsageError(`unknown strategy "${s}"; supported: ${MIGRATION_STRATEGIES.join(', ')}`);
}

/** Arguments shared by `vmmi migrate` and `vmmi plan`; undefined when only --help was asked for. */
export interface MoveArgs {
  readonly vm: string;
  readonly to: string;
  readonly from?: string;
  readonly strategy?: MigrationStrategy;
  readonly families?: Family[];
  readonly testbed: TestbedRef;
  readonly json: boolean;
  /** `vmmi migrate --history FILE`: append the run records to this history file. */
  readonly history?: string;
  /** `vmmi migrate --samples FILE`: write one CSV row per probe packet. */
  readonly samples?: string;
  /** `vmmi migrate --mode M --max-downtime MS …`: this move's migration mode and settings. */
  readonly migration?: MigrationOverrides;
}

/** `vmmi migrate` flags of the migration mode → MigrationOverrides fields. */
const MODE_FLAGS = {
  'max-downtime': 'maxDowntimeMs', bandwidth: 'bandwidthMiBs', 'postcopy-after': 'postcopyAfterIterations',
  'postcopy-stall': 'postcopyStallIterations', 'auto-converge-initial': 'autoConvergeInitialPct',
  'auto-converge-increment': 'autoConvergeIncrementPct', 'multifd-channels': 'multifdChannels',
  'xbzrle-cache': 'xbzrleCacheMiB',
} as const satisfies Record<string, Exclude<keyof MigrationOverrides, 'mode'>>;

/** The mode flags given, validated; errors name the flag and what it allows. */
export function parseModeFlags(values: Readonly<Record<string, unknown>>): MigrationOverrides | undefined {
  const out: Record<string, string | number> = {};
  if (typeof values['mode'] === 'string') out['mode'] = checkModeName(values['mode'], '--mode');
  for (const [flag, field] of Object.entries(MODE_FLAGS)) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    const v = /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    try {
      checkMigrationOverrides({ [field]: v });
    } catch (e) {
      throw new UsageError(`--${flag}: "${raw}" is not allowed; ${(e as Error).message.replace(/^.*; allowed/, 'allowed')}`);
    }
    out[field] = v;
  }
  return Object.keys(out).length === 0 ? undefined : (out as MigrationOverrides);
}

export function parseMoveArgs(args: readonly string[], spec: typeof PLAN | typeof MIGRATE): MoveArgs | undefined {
  const { values, positionals, help } = parseCommand(args, spec);
  if (help) {
    console.log(formatHelp(spec));
    return undefined;
  }
  const [vm] = positionals;
  if (vm === undefined || values.to === undefined) {
    throw new UsageError(`${vm === undefined ? 'VM' : '--to HOST'} is required; usage: ${spec.usage}`);
  }
  const strategy = parseStrategy(values.strategy);
  const families = parseFamilies(values.family);
  const migration = parseModeFlags(values as Readonly<Record<string, unknown>>);
  return {
    vm, to: values.to, testbed: resolveTestbed(values.testbed), json: values.json === true,
    ...defined({ from: values.from, strategy, families,
      history: 'history' in values ? (values.history as string | undefined) : undefined,
      samples: 'samples' in values ? (values.samples as string | undefined) : undefined, migration }),
  };
}

/** What `checkMoveNames` needs of a testbed: the names a move may mention. */
export interface MoveNames {
  readonly vms: readonly { readonly name: string }[];
  readonly hypervisors: readonly { readonly name: string }[];
}

/**
 * Refuses a move that names a VM or hypervisor the testbed does not have, before anything connects:
 * a typo is a usage error naming the valid names, never a connection failure to some hypervisor.
 */
export function checkMoveNames(tb: MoveNames, move: Pick<MoveArgs, 'vm' | 'to' | 'from'>, file: string): void {
  const vms = tb.vms.map((v) => v.name);
  const hosts = tb.hypervisors.map((h) => h.name);
  if (!vms.includes(move.vm)) {
    throw new UsageError(`unknown VM "${move.vm}" in ${file}; VMs: ${vms.join(', ') || 'none'}`);
  }
  for (const [flag, host] of [['--to', move.to], ['--from', move.from]] as const) {
    if (host !== undefined && !hosts.includes(host)) {
      throw new UsageError(`${flag}: unknown hypervisor "${host}" in ${file}; hypervisors: ${hosts.join(', ')}`);
    }
  }
}
