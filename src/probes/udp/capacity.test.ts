import { expect, test } from '@playwright/test';
import { capacityLine, cheaperBy, cpuPerKpps, parseCapacityLine } from './capacity.js';

test('cpu per kpps: ms of CPU per second of run per kpps offered; unknown inputs give NaN', () => {
  expect(cpuPerKpps(50, 10_000, 1000)).toBe(5);
  expect(cpuPerKpps(3000, 5000, 100_000)).toBeCloseTo(6, 12);
  expect(cpuPerKpps(undefined, 5000, 1000)).toBeNaN();
  expect(cpuPerKpps(10, 0, 1000)).toBeNaN();
  expect(cpuPerKpps(10, 1000, 0)).toBeNaN();
});

test('the bench line has one fixed form, and reads back', () => {
  expect(capacityLine(100_000, 0, 4.86)).toBe('probe-capacity: 100 kpps per flow, lost 0, cpu 4.9 ms/s per kpps');
  expect(capacityLine(1000, 12, 61.04)).toBe('probe-capacity: 1 kpps per flow, lost 12, cpu 61.0 ms/s per kpps');
  expect(capacityLine(500, undefined, NaN)).toBe('probe-capacity: 0.5 kpps per flow, lost all, cpu n/a ms/s per kpps');
  for (const [r, n, x] of [[100_000, 0, 4.9], [2500, 3, 12.3], [1000, undefined, NaN]] as const) {
    const back = parseCapacityLine(capacityLine(r, n, x));
    expect(back?.ratePps).toBe(r);
    expect(back?.lost).toBe(n);
    if (Number.isNaN(x)) expect(back?.cpuMsPerSPerKpps).toBeNaN();
    else expect(back?.cpuMsPerSPerKpps).toBe(x);
  }
  expect(parseCapacityLine('probe-capacity: 100 kpps per flow, lost 0')).toBeUndefined();
});

test('cheaper by: a / b, NaN when either is unknown or b is zero', () => {
  expect(cheaperBy(30, 5)).toBe(6);
  expect(cheaperBy(NaN, 5)).toBeNaN();
  expect(cheaperBy(30, 0)).toBeNaN();
});
