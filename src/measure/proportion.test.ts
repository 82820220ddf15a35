import { expect, test } from '@playwright/test';
import { wilsonInterval } from './proportion.js';

test('Wilson interval: known values, bounded in [0, 1]', () => {
  // 0 of 100: the upper bound is the "rule of three"-like 3.7 %.
  const none = wilsonInterval(0, 100);
  expect(none.low).toBe(0);
  expect(none.high).toBeCloseTo(0.037, 3);
  // 10 of 100: 5.5 % to 17.4 % (textbook value).
  const ten = wilsonInterval(10, 100);
  expect(ten.low).toBeCloseTo(0.0552, 3);
  expect(ten.high).toBeCloseTo(0.1744, 3);
  const all = wilsonInterval(20, 20);
  expect(all.high).toBe(1);
  expect(all.low).toBeGreaterThan(0.8);
  expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
});

test('Wilson interval refuses counts that are not a proportion', () => {
  expect(() => wilsonInterval(3, 2)).toThrow(/0 ≤ k ≤ n/);
  expect(() => wilsonInterval(-1, 2)).toThrow(RangeError);
  expect(() => wilsonInterval(1.5, 2)).toThrow(RangeError);
});
