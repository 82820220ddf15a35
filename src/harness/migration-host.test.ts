import { expect, test } from '@playwright/test';
import { toJobStats } from './migration-host.js';

const completed = (fields: Record<string, number>) => ({ type: 'completed' as const, typeCode: 3, fields });
const at = { wallMs: 0, monoNs: 0n };

test('job stats: the dirty rate in MiB/s from pages/s × page size of the completed job', () => {
  const s = toJobStats(completed({ downtime: 40, memory_iteration: 6, memory_dirty_rate: 8192,
    memory_page_size: 4096 }));
  expect(s).toMatchObject({ downtimeMs: 40, memoryIterations: 6, memoryDirtyRatePps: 8192, memoryPageSizeBytes: 4096,
    dirtyRateMiBs: 32, dirtyRateFrom: 'completed' });
});

test('job stats: without a completed rate the last polled one is used; the mode and its traces are kept', () => {
  const s = toJobStats(completed({ downtime: 5, memory_dirty_rate: 0 }), {
    mode: 'postcopy', samples: 12, lastDirtyRatePps: 2560, maxDirtyRatePps: 4000, pageSizeBytes: 4096,
    postcopySwitch: { at, iteration: 2, reason: '1 precopy pass(es) completed (after 1)' }, maxThrottlePct: 0,
  });
  expect(s).toMatchObject({ dirtyRateMiBs: 10, dirtyRateFrom: 'running', mode: 'postcopy', postcopySwitchIteration: 2,
    maxThrottlePct: 0 });
  // No page size anywhere: no MiB/s figure rather than a guessed one.
  expect(toJobStats(completed({ memory_dirty_rate: 100 })).dirtyRateMiBs).toBeUndefined();
  expect(toJobStats(undefined)).toEqual({});
});
