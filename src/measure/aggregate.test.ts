import { expect, test } from '@playwright/test';
import { aggregateFlows } from './aggregate.js';
import { formatMetric, formatRate } from './format.js';
import { summarizeFlow } from './summarize.js';
import type { ProbeSample } from './types.js';

function flow(name: string, lostFrom: number, lostTo: number): ProbeSample[] {
  return Array.from({ length: 2000 }, (_, seq) => {
    const txMs = seq;
    const lost = seq >= lostFrom && seq < lostTo;
    return { flow: name, seq, txMs, rxMs: lost ? undefined : txMs + 0.1, dupCount: 0, arrival: lost ? undefined : seq };
  });
}
const spec = (name: string) => ({ name, ratePps: 1000, plannedPackets: 2000, clock: 'c' });

test('route-specific min/avg/max over flows; errored flows excluded but keep the run errored', () => {
  const a = summarizeFlow({
    spec: spec('a'),
    samples: flow('a', 1200, 1250),
    end: { reason: 'complete', sent: 2000 },
    triggerMs: 1100,
  });
  const b = summarizeFlow({
    spec: spec('b'),
    samples: flow('b', 1200, 1350),
    end: { reason: 'complete', sent: 2000 },
    triggerMs: 1100,
  });
  const bad = summarizeFlow({
    spec: spec('bad'),
    samples: flow('bad', 500, 510),
    end: { reason: 'complete', sent: 2000 },
    triggerMs: 1100,
  });
  const s = aggregateFlows([a, b, bad]);
  const d = s.spread.find((x) => x.name === 'loss_derived_ms');
  expect(d).toMatchObject({ min: 50, max: 150, avg: 100, flows: 2, method: 'loss-derived L/R @1 kpps (RFC 6412)' });
  expect(s.excluded).toEqual(['bad']);
  expect(s.health.status).toBe('errored');
  expect(aggregateFlows([]).health.status).toBe('errored');
});

test('report cell names value, resolution, method, rate and clock', () => {
  expect(
    formatMetric(
      {
        name: 'loss_derived_ms',
        value: 26.04,
        unit: 'ms',
        method: 'loss-derived',
        resolutionMs: 1,
        clock: 'host-monotonic',
      },
      1000,
    ),
  ).toBe('26 ms ± 1 ms, loss-derived @1 kpps, clock host-monotonic');
  expect(
    formatMetric(
      { name: 'gap_tx_ms', value: 3.14159, unit: 'ms', method: 'gap_tx', resolutionMs: 0.1, clock: 'c' },
      10_000,
    ),
  ).toBe('3.1 ms ± 0.1 ms, timestamp gap (tx) @10 kpps, clock c');
  expect(formatRate(100)).toBe('100 pps');
});
