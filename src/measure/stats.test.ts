import { expect, test } from '@playwright/test';
import { describe, MIN_BOOTSTRAP_N } from './stats.js';
import { baselineLossSpan, longestBurstBefore } from './summarize.js';
import type { ProbeSample } from './types.js';

test('median, p95, min and max of repetitions in any order', () => {
  const s = describe([30, 10, 20, 50, 40]);
  expect(s).toMatchObject({ n: 5, median: 30, p95: 50, min: 10, max: 50 });
  expect(describe([4, 2])).toEqual({ n: 2, median: 3, p95: 4, min: 2, max: 4 });
  expect(describe([])).toBeUndefined();
});

test(`no interval below ${MIN_BOOTSTRAP_N} values; the interval holds the median and is the same on every call`, () => {
  expect(describe([1, 2])?.medianCi95).toBeUndefined();
  const xs = [120, 135, 128, 410, 131, 126, 140, 133, 129, 137];
  const a = describe(xs);
  const b = describe([...xs].reverse());
  expect(a?.medianCi95).toEqual(b?.medianCi95);
  expect(a?.medianCi95?.low).toBeLessThanOrEqual(a?.median ?? NaN);
  expect(a?.medianCi95?.high).toBeGreaterThanOrEqual(a?.median ?? NaN);
  // the one slow move widens p95's interval, not the median's
  const width = (i: { low: number; high: number } | undefined): number => (i?.high ?? 0) - (i?.low ?? 0);
  expect(width(a?.p95Ci95)).toBeGreaterThan(width(a?.medianCi95));
});

test('the median interval covers the true median about 95 % of the time (exponential outages, n = 25)', () => {
  // A seeded exponential source with median ln 2 × 100 ms; 300 independent sets of 25 repetitions.
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed + 0.5) / 4294967296;
  };
  const truth = Math.LN2 * 100;
  let covered = 0;
  const sets = 300;
  for (let k = 0; k < sets; k++) {
    const xs = Array.from({ length: 25 }, () => -Math.log(rnd()) * 100);
    const ci = describe(xs, 500)?.medianCi95;
    if (ci !== undefined && ci.low <= truth && truth <= ci.high) covered++;
  }
  // percentile bootstrap of a median is slightly liberal at n = 25; far from 95 % would be a bug
  expect(covered / sets).toBeGreaterThan(0.88);
  expect(covered / sets).toBeLessThan(0.995);
});

test('a non-finite value is refused, not averaged away', () => {
  expect(() => describe([1, NaN, 3])).toThrow(/non-finite/);
  expect(() => describe([1, Infinity])).toThrow(/non-finite/);
});

test('the longest run of consecutive baseline losses, and how long before the trigger it ended', () => {
  const lost = new Set([3, 10, 11, 12, 13, 14, 30]);
  const samples: ProbeSample[] = Array.from({ length: 40 }, (_, seq) => ({ flow: 'f', seq, txMs: seq, dupCount: 0,
    rxMs: lost.has(seq) ? undefined : seq + 0.5, arrival: lost.has(seq) ? undefined : seq }));
  expect(longestBurstBefore(samples, 25)).toEqual({ lost: 5, firstTxMs: 10, lastTxMs: 14, endedBeforeTriggerMs: 11 });
  expect(longestBurstBefore(samples, 5)).toEqual({ lost: 1, firstTxMs: 3, lastTxMs: 3, endedBeforeTriggerMs: 2 });
  expect(longestBurstBefore(samples, 2)).toBeUndefined();
});

test('where the baseline losses sat: first and last before the trigger, and the baseline\'s length', () => {
  const lost = new Set([3, 10, 11, 12, 13, 14, 30]);
  const samples: ProbeSample[] = Array.from({ length: 40 }, (_, seq) => ({ flow: 'f', seq, txMs: 100 + seq,
    dupCount: 0, rxMs: lost.has(seq) ? undefined : 100 + seq + 0.5, arrival: lost.has(seq) ? undefined : seq }));
  expect(baselineLossSpan(samples, 125)).toEqual({ firstBeforeTriggerMs: 22, lastBeforeTriggerMs: 11, baselineMs: 25 });
  expect(baselineLossSpan(samples, 103)).toBeUndefined();
});
