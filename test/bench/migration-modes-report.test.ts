// The pure part of bench/migration-modes.ts (the unit project runs src/ and test/ only).
import { expect, test } from '@playwright/test';
import { figureOf, moveLine, moveRow, notConvergedWhy, showFigure, valuesOf } from '../../bench/migration-modes-report.js';

const ctx = { mode: 'precopy', rateMiBs: 64, bandwidthMiBs: 48 };

test('a move stopped at the migrate deadline did not converge; other failures keep their reason', () => {
  expect(notConvergedWhy('step migrate exceeded 20000 ms', ctx)).toBe(
    'did not converge (precopy, dirty 64 > bandwidth 48 MiB/s)');
  expect(notConvergedWhy('step migrate exceeded 20000 ms', { ...ctx, mode: 'multifd', rateMiBs: 32 })).toBe(
    'did not converge within 20 s (multifd, dirty 32 ≤ bandwidth 48 MiB/s)');
  expect(notConvergedWhy('step migrate exceeded 20000 ms', { ...ctx, mode: 'postcopy' })).toBeUndefined();
  expect(notConvergedWhy('libvirt: operation failed', ctx)).toBeUndefined();
  const r = moveRow({ verdict: 'rolled-back', metrics: {},
    attempts: [{ failure: { reason: 'step migrate exceeded 20000 ms' } }] }, ctx);
  expect(r).toMatchObject({ ok: false, notConverged: true, why: 'did not converge (precopy, dirty 64 > bandwidth 48 MiB/s)' });
  expect(moveRow({ verdict: 'failed', metrics: {}, attempts: [{ failure: { reason: 'guest silent' } }] }, ctx))
    .toMatchObject({ ok: false, why: 'failed: guest silent' });
});

test('figures the record lacks print "n/a (why)", never undefined, and stay out of the medians', () => {
  const r = moveRow({ verdict: 'migrated', attempts: [], metrics: {
    hypervisor_downtime_ms: { value: 7 },
    migration_total_ms: { value: null, note: "time_elapsed absent from libvirt's completed job stats of both hosts" },
    iterations: { value: 3 },
    dirty_rate_mibs: { value: null, note: 'QEMU gave no dirty rate' },
  } }, { ...ctx, mode: 'postcopy' }, ['dirty stop failed: x']);
  const line = moveLine({ ...r, keptMiBs: { value: 63.9 } });
  expect(line).not.toContain('undefined');
  expect(line).toBe("downtime 7 ms, total n/a (time_elapsed absent from libvirt's completed job stats of both hosts), "
    + 'n/a (not in the record), 3 passes, QEMU n/a (QEMU gave no dirty rate), kept 63.9 MiB/s [dirty stop failed: x]');
  expect(valuesOf([r], 'totalMs')).toEqual([]);
  expect(valuesOf([r], 'downtimeMs')).toEqual([7]);
  expect(valuesOf([{ ...r, ok: false }], 'downtimeMs')).toEqual([]);
  expect(figureOf({ value: null })).toEqual({ why: 'not measured' });
  expect(figureOf({ value: 0 })).toEqual({ value: 0 });
  expect(showFigure(undefined)).toBe('n/a (not taken)');
  expect(moveLine({ ok: false, why: 'not run: the dirtier did not start', notes: ['dirty start failed: t'] }))
    .toBe('not migrated: not run: the dirtier did not start [dirty start failed: t]');
});
