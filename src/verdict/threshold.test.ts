import { expect, test } from '@playwright/test';
import { appliesTo, formatThreshold, parseThreshold, testbedThresholds } from './threshold.js';

test('expressions: statistic, alias or catalogue name, both operator spellings, unit checked', () => {
  expect(parseThreshold('p95(outage) <= 500 ms', 'p')).toMatchObject({
    statistic: 'p95', metric: 'loss_derived_ms', op: '<=', bound: 500, source: 'p' });
  expect(parseThreshold('median(loss_pct) ≤ 2.5 %', 'p')).toMatchObject({ metric: 'loss_pct', bound: 2.5 });
  expect(parseThreshold('max(reconvergence_ms)<1500ms', 'p')).toMatchObject({ statistic: 'max', op: '<=', bound: 1500 });
  expect(parseThreshold('min(tcp_survived) >= 1', 'p')).toMatchObject({ op: '>=', bound: 1 });
  expect(formatThreshold(parseThreshold('p95(outage) <= 500 ms', 'p'))).toBe('p95(loss_derived_ms) ≤ 500 ms');
});

test('a bad expression says what is wrong and what is accepted', () => {
  expect(() => parseThreshold('p95 outage < 5', 'p')).toThrow(/expected STAT\(METRIC\) OP BOUND/);
  expect(() => parseThreshold('p99(outage) <= 5 ms', 'p')).toThrow(/unknown statistic "p99" \(one of value, median, p95, min, max\)/);
  expect(() => parseThreshold('p95(outgae) <= 5 ms', 'p')).toThrow(/unknown metric "outgae"/);
  expect(() => parseThreshold('p95(outage) <= 5 %', 'p')).toThrow(/unit "%" is not the unit of loss_derived_ms \(ms\)/);
});

test('the testbed\'s four bounds, each named for its key; the RTT step beyond the expected one bounds every move', () => {
  const ts = testbedThresholds({ maxOutageMs: 2000, maxLossPct: 50, maxReconvergenceMs: 1500, maxRttStepMs: 5,
    statistics: ['p95(outage) <= 900 ms'] });
  expect(ts.map((t) => `${t.id} ${formatThreshold(t)} ${t.source}`)).toEqual([
    'maxOutageMs loss_derived_ms ≤ 2000 ms testbed defaults.thresholds.maxOutageMs',
    'maxLossPct loss_pct ≤ 50 % testbed defaults.thresholds.maxLossPct',
    'maxReconvergenceMs reconvergence_ms ≤ 1500 ms testbed defaults.thresholds.maxReconvergenceMs',
    'maxRttStepMs rtt_step_excess_ms ≤ 5 ms testbed defaults.thresholds.maxRttStepMs',
    'p95(outage) <= 900 ms p95(loss_derived_ms) ≤ 900 ms testbed defaults.thresholds.statistics[0]',
  ]);
  const step = ts[3];
  // the tunnel's detour and a WAN move's new distance are subtracted (rtt-expectation.ts): judged everywhere
  expect(step !== undefined && appliesTo(step, 'cross-subnet/tunnel/ipv4', 'tunnel')).toBe(true);
  expect(step !== undefined && appliesTo(step, 'same-subnet/l2/ipv4', 'l2')).toBe(true);
  expect(step !== undefined && appliesTo(step, 'cross-subnet/host-route-static/ipv4/wan_delay_ms=30', 'host-route-static'))
    .toBe(true);
  const scoped = parseThreshold('p95(outage) <= 1 ms', 'p', { scenarios: ['wan/'] });
  expect(appliesTo(scoped, 'wan/host-route-bgp/ipv4/wan_delay_ms=10', 'host-route-bgp')).toBe(true);
  expect(appliesTo(scoped, 'cross-subnet/host-route-bgp/ipv4', 'host-route-bgp')).toBe(false);
});
