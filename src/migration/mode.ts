/**
 * Migration modes (pure): the settings a move runs with, from the testbed's `defaults.migration` and
 * a request's or the command line's overrides, validated with errors that name the field and the
 * allowed values. docs/migration-modes.md describes each mode.
 */
import { UsageError } from '../errors/classes.js';
import {
  MIGRATION_MODES, type MigrationDefaults, type MigrationMode, type MigrationModeSettings,
} from '../model/testbed.js';

export { MIGRATION_MODES, type MigrationMode, type MigrationModeSettings };

/** Defaults of each mode's settings. */
export const MODE_DEFAULTS: MigrationModeSettings = {
  mode: 'precopy',
  postcopy: { afterIterations: 1, stallIterations: 2 },
  autoConverge: {},
  multifd: { channels: 4 },
  xbzrle: {},
};

/**
 * What a request or the command line may change about a move's migration (all optional): the testbed's
 * own settings, with the mode as the user wrote it (validated here).
 */
export type MigrationOverrides = { readonly mode?: string } & Partial<Pick<MigrationDefaults,
  'maxDowntimeMs' | 'bandwidthMiBs' | 'postcopyAfterIterations' | 'postcopyStallIterations' | 'autoConvergeInitialPct'
  | 'autoConvergeIncrementPct' | 'multifdChannels' | 'xbzrleCacheMiB'>>;

/** Inclusive integer bounds of each numeric setting (libvirt/QEMU limits where they exist). */
const BOUNDS: Readonly<Record<Exclude<keyof MigrationOverrides, 'mode'>, readonly [number, number]>> = {
  maxDowntimeMs: [1, 2_000_000],
  bandwidthMiBs: [1, 1_048_576],
  postcopyAfterIterations: [0, 1000],
  postcopyStallIterations: [1, 1000],
  autoConvergeInitialPct: [1, 99],
  autoConvergeIncrementPct: [1, 99],
  multifdChannels: [1, 255],
  xbzrleCacheMiB: [1, 1_048_576],
};

export function isMigrationMode(v: string): v is MigrationMode {
  return (MIGRATION_MODES as readonly string[]).includes(v);
}

/** Throws UsageError naming `field` and what it allows. */
export function checkModeName(v: string, field = 'mode'): MigrationMode {
  if (!isMigrationMode(v)) {
    throw new UsageError(`${field}: unknown migration mode "${v}"; allowed: ${MIGRATION_MODES.join(', ')}`, {
      operation: 'migration mode', hint: `choose one of ${MIGRATION_MODES.join(', ')}`,
    });
  }
  return v;
}

function checkNumber(field: keyof typeof BOUNDS, v: number, where: string): number {
  const [lo, hi] = BOUNDS[field];
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new UsageError(`${where}${field}: ${String(v)} is not allowed; allowed: an integer from ${lo} to ${hi}`, {
      operation: 'migration mode',
    });
  }
  return v;
}

/** Validates overrides (every field named as `${where}${field}`); returns them unchanged. */
export function checkMigrationOverrides(o: MigrationOverrides, where = ''): MigrationOverrides {
  if (o.mode !== undefined) checkModeName(o.mode, `${where}mode`);
  for (const k of Object.keys(BOUNDS) as (keyof typeof BOUNDS)[]) {
    const v = o[k];
    if (v !== undefined) checkNumber(k, v, where);
  }
  return o;
}

/** The mode settings of the testbed's migration defaults, with each mode's defaults filled in. */
export function modeSettingsOf(m: MigrationDefaults): MigrationModeSettings {
  const d = MODE_DEFAULTS;
  return {
    mode: m.mode ?? d.mode,
    postcopy: {
      afterIterations: m.postcopyAfterIterations ?? d.postcopy.afterIterations,
      stallIterations: m.postcopyStallIterations ?? d.postcopy.stallIterations,
    },
    autoConverge: {
      ...(m.autoConvergeInitialPct === undefined ? {} : { initialPct: m.autoConvergeInitialPct }),
      ...(m.autoConvergeIncrementPct === undefined ? {} : { incrementPct: m.autoConvergeIncrementPct }),
    },
    multifd: { channels: m.multifdChannels ?? d.multifd.channels },
    xbzrle: m.xbzrleCacheMiB === undefined ? {} : { cacheMiB: m.xbzrleCacheMiB },
  };
}

/** The testbed's migration defaults with validated overrides applied (`where` prefixes field names). */
export function applyMigrationOverrides(m: MigrationDefaults, o: MigrationOverrides | undefined,
  where = ''): MigrationDefaults {
  if (o === undefined) return m;
  checkMigrationOverrides(o, where);
  const out: Record<string, unknown> = { ...m };
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as unknown as MigrationDefaults;
}

/**
 * The mode's settings that distinguish a scenario, for its name (`mode=postcopy`, `multifd_channels=4`,
 * `max_downtime_ms=300`): derived from the parameters, never hand-typed.
 */
export function modeVariant(m: MigrationDefaults): Record<string, string | number> {
  const s = modeSettingsOf(m);
  const v: Record<string, string | number> = { mode: s.mode, max_downtime_ms: m.maxDowntimeMs };
  if (s.mode === 'postcopy') {
    v['postcopy_after_iterations'] = s.postcopy.afterIterations;
    v['postcopy_stall_iterations'] = s.postcopy.stallIterations;
  }
  if (s.mode === 'auto-converge') {
    if (s.autoConverge.initialPct !== undefined) v['auto_converge_initial_pct'] = s.autoConverge.initialPct;
    if (s.autoConverge.incrementPct !== undefined) v['auto_converge_increment_pct'] = s.autoConverge.incrementPct;
  }
  if (s.mode === 'multifd') v['multifd_channels'] = s.multifd.channels;
  if (s.mode === 'xbzrle' && s.xbzrle.cacheMiB !== undefined) v['xbzrle_cache_mib'] = s.xbzrle.cacheMiB;
  return v;
}

/** One line for logs and run records: `postcopy (after 1 pass or a 2-pass stall), max downtime 300 ms`. */
export function describeMode(m: MigrationDefaults): string {
  const s = modeSettingsOf(m);
  const extra = s.mode === 'postcopy'
    ? ` (after ${s.postcopy.afterIterations} pass(es) or a ${s.postcopy.stallIterations}-pass stall)`
    : s.mode === 'multifd' ? ` (${s.multifd.channels} channels)`
      : s.mode === 'auto-converge' && (s.autoConverge.initialPct !== undefined || s.autoConverge.incrementPct !== undefined)
        ? ` (initial ${s.autoConverge.initialPct ?? 'default'} %, increment ${s.autoConverge.incrementPct ?? 'default'} %)`
        : s.mode === 'xbzrle' && s.xbzrle.cacheMiB !== undefined ? ` (cache ${s.xbzrle.cacheMiB} MiB)` : '';
  return `${s.mode}${extra}, max downtime ${m.maxDowntimeMs} ms, bandwidth ${m.bandwidthMiBs} MiB/s`;
}
