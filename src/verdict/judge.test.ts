import { expect, test } from '@playwright/test';
import { sampleRecord } from '../../test/fixtures/report/sample-records.js';
import type { RunRecord } from '../report/record.js';
import { judgeRecord, judgeScenarios, verdictOf } from './judge.js';
import { parseThreshold, testbedThresholds } from './threshold.js';

const tb = (maxOutageMs: number, more = {}) => testbedThresholds({ maxOutageMs, maxLossPct: 100,
  maxReconvergenceMs: 100_000, maxRttStepMs: 1000, ...more });
const outage = (r: RunRecord): number => r.metrics.find((m) => m.name === 'loss_derived_ms')?.value ?? NaN;

test('a figure over its bound fails; the message names the threshold, the value, the method, the resolution and the clock', () => {
  const r = sampleRecord({ downtimeMs: 600 }); // loss-derived outage 620 ms at 1 ms resolution
  const js = judgeRecord(r, tb(500));
  const j = js.find((x) => x.threshold === 'maxOutageMs');
  expect(j?.outcome).toBe('fail');
  expect(j?.message).toContain(`threshold maxOutageMs (loss_derived_ms ≤ 500 ms, testbed defaults.thresholds.maxOutageMs) FAILED: loss_derived_ms = ${outage(r)} ms > 500 ms`);
  expect(j?.message).toMatch(/method loss-derived @1 kpps, resolution 1 ms, clock controller-monotonic/);
  expect(j?.message).toContain('cross-subnet/host-route-static/ipv4, vm1 hv1 → hv2, attempt 1/1');
  expect(verdictOf(js)).toBe('fail');
  expect(verdictOf(judgeRecord(r, tb(5000)))).toBe('pass');
});

test('within one resolution of the bound is inconclusive, on either side', () => {
  const r = sampleRecord({ downtimeMs: 180 }); // 200 ms, resolution 1 ms
  const v = outage(r);
  for (const bound of [v - 1, v, v + 1]) {
    const j = judgeRecord(r, tb(bound)).find((x) => x.threshold === 'maxOutageMs');
    expect(j?.outcome, `bound ${bound}`).toBe('inconclusive');
    expect(j?.message).toContain('INCONCLUSIVE');
  }
  expect(judgeRecord(r, tb(v - 1.5)).find((x) => x.threshold === 'maxOutageMs')?.outcome).toBe('fail');
  expect(judgeRecord(r, tb(v + 1.5)).find((x) => x.threshold === 'maxOutageMs')?.outcome).toBe('pass');
});

test('an ERRORED record is not judged; a figure recorded as null is not-measured, not passed', () => {
  expect(judgeRecord(sampleRecord({ health: 'errored', downtimeMs: 9000 }), tb(1))).toEqual([]);
  const r = sampleRecord();
  const nulled = { ...r, metrics: r.metrics.map((m) => (m.name === 'loss_derived_ms' ? { ...m, value: null } : m)) };
  const j = judgeRecord(nulled, tb(500)).find((x) => x.threshold === 'maxOutageMs');
  expect(j?.outcome).toBe('not-measured');
  expect(j?.message).toMatch(/not measured/);
});

test('statistics over repetitions: p95 judged per scenario with its interval; errored repetitions left out', () => {
  const v4 = { topology: 'cross-subnet', strategy: 'host-route-bgp', addressFamily: 'ipv4' } as const;
  const runs = [
    ...[100, 110, 120, 130, 140, 150, 160, 170, 180, 700].map((d, i) => sampleRecord({ runId: `r${i}`, params: v4, downtimeMs: d })),
    sampleRecord({ runId: 'e', params: v4, downtimeMs: 50_000, health: 'errored' }),
  ];
  const p95 = parseThreshold('p95(outage) <= 500 ms', 'profile x@1');
  // one slow move in ten: p95 reads 720 ms, but its interval reaches down past the bound
  const [one] = judgeScenarios(runs, [p95]);
  expect(one).toMatchObject({ scenario: 'cross-subnet/host-route-bgp/ipv4', n: 10, value: 720, outcome: 'inconclusive' });
  expect(one?.message).toMatch(/p95\(loss_derived_ms\) = 720 ms ≈ 500 ms \(the bound lies inside the 95 % interval\).*n=10, 95 % CI/);
  // most moves slow: conclusively over
  const slow = runs.map((r, i) => (i < 7 ? sampleRecord({ runId: `s${i}`, params: v4, downtimeMs: 800 + i }) : r));
  const [j] = judgeScenarios(slow, [p95]);
  expect(j?.outcome).toBe('fail');
  expect(j?.message).toMatch(/p95\(loss_derived_ms\) = \d+ ms > 500 ms .*n=10, 95 % CI/);
  // every move fast: conclusively within
  expect(judgeScenarios(runs.slice(0, 9), [p95])[0]?.outcome).toBe('pass');
  const med = judgeScenarios(runs, [parseThreshold('median(outage) <= 500 ms', 'p')])[0];
  expect(med?.outcome).toBe('pass');
  // a bound inside the median's interval cannot be told apart: inconclusive
  const near = judgeScenarios(runs, [parseThreshold(`median(outage) <= ${med?.value ?? 0} ms`, 'p')])[0];
  expect(near?.outcome).toBe('inconclusive');
  // per-attempt thresholds are not statistics
  expect(judgeScenarios(runs, tb(1))).toEqual([]);
});
