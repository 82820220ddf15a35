import { expect, test } from '@playwright/test';
import type { MigrationDefaults } from '../model/testbed.js';
import { applyMigrationOverrides, checkMigrationOverrides, describeMode, modeSettingsOf, modeVariant } from './mode.js';

const m: MigrationDefaults = { bandwidthMiBs: 4096, maxDowntimeMs: 300, strategy: 'l2', timeoutMs: 120_000 };

test('mode settings: precopy by default, each mode\'s defaults filled in', () => {
  expect(modeSettingsOf(m)).toEqual({ mode: 'precopy', postcopy: { afterIterations: 1, stallIterations: 2 },
    autoConverge: {}, multifd: { channels: 4 }, xbzrle: {} });
  expect(modeSettingsOf({ ...m, mode: 'multifd', multifdChannels: 2, autoConvergeInitialPct: 5 })).toMatchObject({
    mode: 'multifd', multifd: { channels: 2 }, autoConverge: { initialPct: 5 } });
});

test('overrides: applied over the testbed, max downtime and bandwidth included', () => {
  const r = applyMigrationOverrides(m, { mode: 'postcopy', maxDowntimeMs: 50, postcopyAfterIterations: 3 });
  expect(r).toMatchObject({ mode: 'postcopy', maxDowntimeMs: 50, postcopyAfterIterations: 3, bandwidthMiBs: 4096 });
  expect(applyMigrationOverrides(m, undefined)).toBe(m);
  expect(describeMode(r)).toBe('postcopy (after 3 pass(es) or a 2-pass stall), max downtime 50 ms, bandwidth 4096 MiB/s');
});

test('bad values name the field and what is allowed', () => {
  expect(() => checkMigrationOverrides({ mode: 'hybrid' })).toThrow(
    'mode: unknown migration mode "hybrid"; allowed: precopy, postcopy, auto-converge, multifd, xbzrle');
  expect(() => checkMigrationOverrides({ multifdChannels: 0 }, 'request.migration.')).toThrow(
    'request.migration.multifdChannels: 0 is not allowed; allowed: an integer from 1 to 255');
  expect(() => checkMigrationOverrides({ autoConvergeInitialPct: 100 })).toThrow(/autoConvergeInitialPct: 100 .* 1 to 99/);
  expect(() => checkMigrationOverrides({ maxDowntimeMs: 1.5 })).toThrow(/maxDowntimeMs/);
  expect(() => applyMigrationOverrides(m, { postcopyStallIterations: 0 })).toThrow(/postcopyStallIterations/);
});

test('scenario variant: derived from the mode\'s parameters', () => {
  expect(modeVariant(m)).toEqual({ mode: 'precopy', max_downtime_ms: 300 });
  expect(modeVariant({ ...m, mode: 'multifd', multifdChannels: 8 })).toEqual({ mode: 'multifd', max_downtime_ms: 300,
    multifd_channels: 8 });
  expect(modeVariant({ ...m, mode: 'postcopy' })).toEqual({ mode: 'postcopy', max_downtime_ms: 300,
    postcopy_after_iterations: 1, postcopy_stall_iterations: 2 });
});
