import { expect, test } from '@playwright/test';
import { completedJobStats, toJobStats } from './migration-host.js';

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

test('job stats: a 0 dirty rate in the completed job and every polled sample is no rate, never 0 MiB/s', () => {
  const s = toJobStats(completed({ downtime: 30, memory_dirty_rate: 0, memory_page_size: 4096 }),
    { mode: 'precopy', samples: 30, pageSizeBytes: 4096 });
  expect(s.dirtyRateMiBs).toBeUndefined();
  expect(s.dirtyRateFrom).toBeUndefined();
  expect(s.memoryDirtyRatePps).toBe(0);
  expect(toJobStats(completed({ memory_dirty_rate: 0, memory_page_size: 4096 }),
    { mode: 'multifd', samples: 3, lastDirtyRatePps: 0 }).dirtyRateMiBs).toBeUndefined();
  expect(toJobStats(completed({ memory_page_size: 4096 })).dirtyRateMiBs).toBeUndefined();
});

test('completed stats: the destination\'s, each missing field from the source\'s job-completed event', () => {
  const src = completed({ operation: 5, downtime: 7, time_elapsed: 2900, memory_processed: 130e6,
    memory_iteration: 3 });
  // After a postcopy switch the destination's completed stats came back empty.
  const empty = { type: 'none' as const, typeCode: 0, fields: {} };
  expect(completedJobStats(empty, src)).toEqual(src);
  expect(toJobStats(completedJobStats(empty, src))).toMatchObject({ downtimeMs: 7, timeElapsedMs: 2900,
    memoryProcessedBytes: 130e6, memoryIterations: 3 });
  // Precopy: the destination's values win (downtime computed across both hosts), the source fills gaps.
  const dst = completed({ operation: 4, downtime: 9, time_elapsed: 2950 });
  expect(completedJobStats(dst, src)?.fields).toEqual({ operation: 4, downtime: 9, time_elapsed: 2950,
    memory_processed: 130e6, memory_iteration: 3 });
  expect(completedJobStats(dst, undefined)).toBe(dst);
  expect(completedJobStats(undefined, src)).toBe(src);
  expect(completedJobStats(undefined, undefined)).toBeUndefined();
  expect(completedJobStats(empty, undefined)).toBe(empty);
});
