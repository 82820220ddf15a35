import { expect, test } from '@playwright/test';
import {
  decimalsFor, formatAtResolution, formatMetricValue, formatMs, formatPlain, formatPps, roundResolution,
} from './precision.js';

test('values print to the digit their resolution supports', () => {
  expect(formatMs(1487.973, 1)).toBe('1488 ms ± 1 ms');
  expect(formatMs(1487.973, 0.9999405150828656)).toBe('1488 ms ± 1 ms');
  expect(formatMs(12391.4, 10)).toBe('12390 ms ± 10 ms');
  expect(formatMs(3.14159, 0.1)).toBe('3.1 ms ± 0.1 ms');
  expect(formatMs(-0.171, 0.001)).toBe('-0.171 ms ± 0.001 ms');
  expect(formatMs(-0.04, 1)).toBe('0 ms ± 1 ms');
  expect(formatMs(513.06, 0.0123)).toBe('513.06 ms ± 0.01 ms');
  expect(formatMs(200.4, null)).toBe('200 ms');
  expect(formatMs(-0.0746, 0)).toBe('-0.075 ms'); // no stated resolution: never below the µs stamps
  expect(formatMs(-0.000589, null)).toBe('-0.001 ms');
  expect(roundResolution(0.9999405150828656)).toBe(1);
  expect(roundResolution(12.5)).toBe(10);
  expect(roundResolution(0)).toBe(0);
  expect(decimalsFor(0.1)).toBe(1);
  expect(decimalsFor(100)).toBe(0);
  expect(formatAtResolution(1234.5, 100)).toBe('1200');
});

test('rates, counts and plain values never print float noise', () => {
  expect(formatPps(1000.0196584856142)).toBe('1 kpps');
  expect(formatPps(999.99)).toBe('1 kpps');
  expect(formatPps(250)).toBe('250 pps');
  expect(formatPlain(0.123456)).toBe('0.123');
  expect(formatPlain(12.3456)).toBe('12.3');
  expect(formatPlain(1487.973)).toBe('1488');
  const m = { name: 'loss_pct', unit: 'pct', resolutionMs: null } as const;
  expect(formatMetricValue({ ...m, value: 7.4399999 })).toBe('7.44 %');
  expect(formatMetricValue({ name: 'packets_lost', unit: 'packets', resolutionMs: null, value: 1488 }))
    .toBe('1488 packets');
  expect(formatMetricValue({ name: 'tcp_survived', unit: 'bool', resolutionMs: null, value: 1 })).toBe('yes');
  expect(formatMetricValue({ name: 'gap_rx_ms', unit: 'ms', resolutionMs: 0.9999, value: null })).toBe('not measured');
});

test('no printed figure carries more digits than its resolution', () => {
  for (let i = 0; i < 500; i++) {
    const res = 10 ** (-3 + (i % 5)) * (1 + (i % 7) / 7);
    const v = (i * 7919.123457) % 20000 - 500;
    const text = formatMs(v, res);
    const [value = '', pm = ''] = text.replace(/ ms/g, '').split(' ± ');
    const decimals = (value.split('.')[1] ?? '').length;
    const resDecimals = (pm.split('.')[1] ?? '').length;
    expect(decimals).toBe(resDecimals);
    const slack = Number(pm) >= 10 ? Number(pm) : 0; // tens: the value rounds to the resolution's step
    expect(Math.abs(Number(value) - v)).toBeLessThanOrEqual(Number(pm) / 2 + 1e-9 + slack);
  }
});
