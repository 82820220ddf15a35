import { expect, test } from '@playwright/test';
import { detectChangePoints, mad, median, type TrendPoint } from './trend.js';

function series(values: readonly number[]): TrendPoint[] {
  return values.map((value, i) => ({
    runId: `night-${String(i + 1).padStart(2, '0')}`,
    startedWall: new Date(Date.UTC(2026, 9, 1 + i, 6)).toISOString(),
    value,
  }));
}

/** Deterministic noise in [-amp, amp] (no Math.random in tests). */
function noise(i: number, amp: number): number {
  return (((i * 7919) % 13) / 12 - 0.5) * 2 * amp;
}

test('median and MAD', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 2, 3])).toBe(2.5);
  expect(mad([1, 2, 3, 4, 100])).toBe(1);
});

test('a level shift in noisy nightly data is flagged at the first run after it', () => {
  const v = Array.from({ length: 24 }, (_, i) => (i < 14 ? 200 : 380) + noise(i, 20));
  const cps = detectChangePoints(series(v));
  expect(cps).toHaveLength(1);
  expect(cps[0]!.index).toBe(14);
  expect(cps[0]!.runId).toBe('night-15');
  expect(cps[0]!.shift).toBeGreaterThan(150);
  expect(cps[0]!.shift).toBeLessThan(210);
});

test('a downward shift is found as well', () => {
  const v = Array.from({ length: 20 }, (_, i) => (i < 8 ? 400 : 210) + noise(i, 15));
  const cps = detectChangePoints(series(v));
  expect(cps.map((c) => c.index)).toEqual([8]);
  expect(cps[0]!.shift).toBeLessThan(0);
});

test('noise alone and one outlier night raise no change point', () => {
  const flat = Array.from({ length: 30 }, (_, i) => 200 + noise(i, 25));
  expect(detectChangePoints(series(flat))).toEqual([]);
  const spike = [...flat];
  spike[12] = 2000;
  expect(detectChangePoints(series(spike))).toEqual([]);
});

test('a shift smaller than the practical minimum is ignored even on flat data', () => {
  const v = Array.from({ length: 20 }, (_, i) => (i < 10 ? 200 : 205));
  expect(detectChangePoints(series(v))).toEqual([]);
  expect(detectChangePoints(series(v), { minRelShift: 0.01 }).map((c) => c.index)).toEqual([10]);
});

test('two shifts are both reported, each at its first run', () => {
  const v = Array.from({ length: 36 }, (_, i) => (i < 12 ? 100 : i < 24 ? 300 : 150) + noise(i, 10));
  expect(detectChangePoints(series(v)).map((c) => c.runId)).toEqual(['night-13', 'night-25']);
});

test('too short a series gives no detection; a bad window is a TypeError', () => {
  expect(detectChangePoints(series([1, 2, 3, 100, 100, 100]))).toEqual([]);
  expect(() => detectChangePoints(series([1, 2]), { window: 0 })).toThrow(TypeError);
});
