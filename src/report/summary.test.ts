import { expect, test } from '@playwright/test';
import { sampleRecord } from '../../test/fixtures/report/sample-records.js';
import { effectiveVerdict } from './model.js';
import { scenarioSummary } from './summary.js';
import { labelWidth, placeLabels } from './html-timeline.js';
import type { TimelineEvent } from './record.js';

test('one row per scenario × strategy × family, median and p95 over attempts, reasons counted, errored left out', () => {
  const v4 = { topology: 'cross-subnet', strategy: 'host-route-bgp', addressFamily: 'ipv4' } as const;
  const runs = [
    ...Array.from({ length: 20 }, (_, i) => sampleRecord({ runId: `a${i}`, params: v4, downtimeMs: 100 + i * 10,
      healthReasons: i % 2 === 0 ? ['f: sender paused 14 ms'] : [], health: i % 2 === 0 ? 'degraded' : 'ok' })),
    sampleRecord({ runId: 'e', params: v4, downtimeMs: 9000, health: 'errored', healthReasons: ['no baseline'] }),
    sampleRecord({ runId: 'b', params: { ...v4, addressFamily: 'ipv6' } }),
    sampleRecord({ runId: 'c', params: { ...v4, strategy: 'host-route-static' } }),
  ];
  const rows = scenarioSummary(runs, { verdictOf: effectiveVerdict });
  expect(rows.map((r) => `${r.scenario} ${r.strategy} ${r.family} ${r.attempts}`)).toEqual([
    'cross-subnet host-route-bgp ipv4 21', 'cross-subnet host-route-bgp ipv6 1', 'cross-subnet host-route-static ipv4 1',
  ]);
  const down = rows[0]!.figures.find((f) => f.metric === 'hypervisor_downtime_ms')!;
  expect(down.n).toBe(20); // the errored attempt is not a measurement
  expect(down.median).toBe(195);
  expect(down.p95).toBe(280);
  expect(rows[0]!.verdicts.errored).toBe(1);
  expect(rows[0]!.reasons).toEqual([['f: sender paused 14 ms', 10], ['no baseline', 1]]);
});

test('the sparkline follows per-night medians from history, oldest first, last nights only', () => {
  const day = 86_400_000;
  const hist = Array.from({ length: 40 }, (_, i) => sampleRecord({ runId: `h${i}`,
    startedWall: new Date(Date.UTC(2026, 9, 1) + i * day).toISOString(), networkMs: i }));
  const rows = scenarioSummary([sampleRecord({ runId: 'now', startedWall: '2026-11-20T06:00:00.000Z' })],
    { history: hist, verdictOf: effectiveVerdict, nights: 30 });
  expect(rows[0]!.spark).toHaveLength(30);
  expect(rows[0]!.spark.at(-1)!.night).toBe('2026-11-20');
  expect(rows[0]!.spark[0]!.night < rows[0]!.spark[1]!.night).toBe(true);
});

test('timeline labels never overlap: crowded events lose their label, not their marker', () => {
  const ev = (tMs: number, kind: string): TimelineEvent =>
    ({ tMs, wallMs: tMs, source: 'control-plane', host: 'r', kind, detail: '' });
  const events = Array.from({ length: 60 }, (_, i) => ev(800 + i * 3, i % 3 === 0 ? 'route-installed' : 'fib-change'));
  const xs = { d0: 0, d1: 2000, r0: 118, r1: 1136 };
  const placed = placeLabels(events, xs);
  expect(placed).toHaveLength(60);
  const boxes = placed.filter((p) => p.start !== undefined)
    .map((p) => ({ row: p.row, a: p.start as number, b: (p.start as number) + labelWidth(p.e.kind) }));
  expect(boxes.length).toBeGreaterThan(2);
  expect(boxes.length).toBeLessThan(60);
  for (const x of boxes) {
    expect(x.a).toBeGreaterThanOrEqual(118);
    expect(x.b).toBeLessThanOrEqual(1136);
    for (const y of boxes) if (x !== y && x.row === y.row) expect(x.b <= y.a || y.b <= x.a).toBe(true);
  }
});
