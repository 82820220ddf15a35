import { expect, test } from '@playwright/test';
import { parseMoveArgs } from './move-args.js';
import { MIGRATE, PLAN } from './specs.js';

const parse = (...a: string[]) => parseMoveArgs(['vm1', '--to', 'hv2', ...a], MIGRATE);

test('vmmi migrate: --mode and its settings become the move\'s migration overrides', () => {
  expect(parse()?.migration).toBeUndefined();
  expect(parse('--mode', 'postcopy', '--max-downtime', '50', '--postcopy-after', '2', '--postcopy-stall=3')?.migration)
    .toEqual({ mode: 'postcopy', maxDowntimeMs: 50, postcopyAfterIterations: 2, postcopyStallIterations: 3 });
  expect(parse('--mode', 'multifd', '--multifd-channels', '8', '--bandwidth', '256')?.migration)
    .toEqual({ mode: 'multifd', multifdChannels: 8, bandwidthMiBs: 256 });
  expect(parse('--auto-converge-initial', '20', '--auto-converge-increment', '5', '--xbzrle-cache', '64')?.migration)
    .toEqual({ autoConvergeInitialPct: 20, autoConvergeIncrementPct: 5, xbzrleCacheMiB: 64 });
});

test('vmmi migrate: bad mode values name the flag and what is allowed', () => {
  expect(() => parse('--mode', 'hybrid')).toThrow(
    '--mode: unknown migration mode "hybrid"; allowed: precopy, postcopy, auto-converge, multifd, xbzrle');
  expect(() => parse('--multifd-channels', '0')).toThrow('--multifd-channels: "0" is not allowed; allowed: an integer from 1 to 255');
  expect(() => parse('--max-downtime', '12ms')).toThrow(/--max-downtime: "12ms" is not allowed; allowed: an integer/);
  expect(() => parse('--auto-converge-initial', '100')).toThrow(/--auto-converge-initial: .* 1 to 99/);
  expect(() => parseMoveArgs(['vm1', '--to', 'hv2', '--mode', 'postcopy'], PLAN)).toThrow(/unknown option --mode/);
});
