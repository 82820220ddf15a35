import { expect, test } from '@playwright/test';
import { assembleMetrics, missingStatReason } from './metrics.js';

const base = { timeline: [], flows: [], source: 'hv1', destination: 'hv2', routeResolutionMs: 1 };

test('job stats without total, bytes, passes or a dirty rate give null metrics that say why', () => {
  const ms = assembleMetrics({ ...base, stats: { downtimeMs: 7, memoryDirtyRatePps: 0, mode: 'postcopy' } });
  const get = (n: string) => ms.find((m) => m.name === n);
  expect(get('hypervisor_downtime_ms')?.value).toBe(7);
  for (const n of ['migration_total_ms', 'memory_transferred_bytes', 'iterations', 'dirty_rate_mibs']) {
    expect(get(n), n).toMatchObject({ value: null });
    expect(get(n)?.note?.length ?? 0, n).toBeGreaterThan(20);
  }
  expect(get('migration_total_ms')?.note).toBe("time_elapsed absent from libvirt's completed job stats of both hosts "
    + '(postcopy move)');
  expect(get('dirty_rate_mibs')?.note).toMatch(/0 means not computed yet, not a measured 0/);
  // Figures not every libvirt reports stay absent.
  expect(get('setup_ms')).toBeUndefined();
  expect(get('hypervisor_downtime_net_ms')).toBeUndefined();
  // No stats at all: nothing from the hypervisor.
  expect(assembleMetrics(base)).toEqual([]);
});

test('a measured dirty rate is a value; the reasons tell absent from 0 and from a missing page size', () => {
  const ms = assembleMetrics({ ...base, stats: { timeElapsedMs: 4000, memoryProcessedBytes: 2e8, memoryIterations: 8,
    dirtyRateMiBs: 22.2, dirtyRateFrom: 'running' } });
  expect(ms.find((m) => m.name === 'dirty_rate_mibs')).toMatchObject({ value: 22.2,
    method: expect.stringMatching(/last sample while running/) as unknown as string });
  expect(missingStatReason({}, 'memory_dirty_rate')).toMatch(/absent from the completed job and from every polled/);
  expect(missingStatReason({ memoryDirtyRatePps: 100 }, 'memory_dirty_rate')).toMatch(/no memory_page_size/);
  expect(missingStatReason({ mode: 'precopy' }, 'memory_iteration')).toBe(
    "memory_iteration absent from libvirt's completed job stats of both hosts");
});
