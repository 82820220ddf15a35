import { expect, test } from '@playwright/test';
import { sampleRecord } from '../../test/fixtures/report/sample-records.js';
import { findNightShifts, formatNightShift, nightlyMedians } from './history-shifts.js';
import type { RunRecord } from './record.js';

const night = (n: number, h: number): string => `2026-11-${String(1 + n).padStart(2, '0')}T0${h}:00:00.000Z`;

/** Three attempts a night around each value (±1 ms). */
function series(values: readonly number[]): RunRecord[] {
  return values.flatMap((v, n) => [1, 2, 3].map((h) =>
    sampleRecord({ runId: `r${n}-${h}`, startedWall: night(n, h), downtimeMs: v + h - 2 })));
}

test('per-night medians: one point per UTC date, errored attempts and unmeasured values left out', () => {
  const rs = [...series([100, 200]),
    sampleRecord({ runId: 'bad', startedWall: night(0, 4), downtimeMs: 9000, health: 'errored' })];
  expect(nightlyMedians(rs, 'hypervisor_downtime_ms')).toEqual([
    { night: '2026-11-01', value: 100 }, { night: '2026-11-02', value: 200 }]);
  expect(nightlyMedians(rs, 'gap_rx_ms')).toEqual([]); // not measured by these records
});

test('a step is found once per metric at its first night; one odd night and short series are not', () => {
  const step = findNightShifts(series([180, 181, 179, 180, 182, 180, 400, 401, 399, 402, 400, 400]));
  const downtime = step.filter((s) => s.metric === 'hypervisor_downtime_ms');
  expect(downtime).toHaveLength(1);
  expect(downtime[0]).toMatchObject({ night: '2026-11-07', scenario: 'cross-subnet/host-route-static/ipv4',
    before: 180, after: 400, nights: 12 });
  expect(formatNightShift(downtime[0]!)).toBe(
    'hypervisor_downtime_ms in cross-subnet/host-route-static/ipv4 from night 2026-11-07: median 180 ms → 400 ms (+220 ms, 12 nights)');
  expect(findNightShifts(series([180, 181, 179, 180, 182, 900, 180, 181, 179, 180, 182, 180]))).toEqual([]);
  expect(findNightShifts(series([180, 180, 180, 400, 400, 400]))).toEqual([]);
});

test('per run: several suite runs in one night are points of their own, labelled by their first attempt', () => {
  // six short runs on one day, two attempts each; the WAN got longer before the fourth
  const rs = [100, 101, 99, 400, 401, 399].flatMap((v, n) => [0, 1].map((k) =>
    sampleRecord({ runId: `s${n}-${k}`, startedWall: `2026-12-07T15:${String(10 + n * 2).padStart(2, '0')}:${k}0.000Z`,
      downtimeMs: v + k })));
  const suiteOf = new Map(rs.map((r) => [`${r.runId}\u0000${r.attempt}`, `suite-${r.runId.slice(1, 2)}`]));
  expect(findNightShifts(rs, { window: 3 })).toEqual([]); // one night: no series
  const shifts = findNightShifts(rs, { per: 'run', suiteOf, window: 3 }).filter((s) => s.metric === 'hypervisor_downtime_ms');
  expect(shifts).toHaveLength(1);
  expect(shifts[0]).toMatchObject({ night: '2026-12-07T15:16:00.000Z', before: 100.5, after: 400.5, nights: 6 });
  expect(formatNightShift(shifts[0]!)).toBe('hypervisor_downtime_ms in cross-subnet/host-route-static/ipv4 from the run of '
    + '2026-12-07T15:16:00.000Z: median 101 ms → 401 ms (+300 ms, 6 runs)');
});
