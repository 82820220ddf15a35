import { formatPlain } from '../measure/precision.js';
import { median } from '../measure/util.js';
import { metricUnit, type MetricName, type RunRecord } from './record.js';
import { HEADLINE_METRICS } from './summary.js';
import { detectChangePoints, type TrendOptions } from './trend.js';

/**
 * Night-to-night level shifts of the headline metrics (pure), for `vmmi report --fail-on-change-point`.
 * Series: one point per night (the UTC date of `startedWall`), the median of that night's attempts,
 * per scenario × strategy × family × metric; attempts with health `errored` and unmeasured values are
 * left out (they are not measurements of the network). Each series goes through `detectChangePoints`
 * (trend.ts), so one odd night cannot raise a shift on its own and a series needs 2 × window nights.
 */

export interface NightShift {
  readonly metric: MetricName;
  /** The record's scenario name (`<topology>/<strategy>/<family>[/variant]`). */
  readonly scenario: string;
  readonly strategy: string;
  readonly family: string;
  /** The first night (YYYY-MM-DD) at the new level. */
  readonly night: string;
  readonly before: number;
  readonly after: number;
  readonly nights: number;
}

/** Per-night medians of one metric over `records`, oldest night first. */
export function nightlyMedians(records: readonly RunRecord[], metric: MetricName): { night: string; value: number }[] {
  const byNight = new Map<string, number[]>();
  for (const r of records) {
    if (r.health === 'errored') continue;
    const v = r.metrics.find((m) => m.name === metric)?.value;
    if (v === null || v === undefined) continue;
    const night = r.startedWall.slice(0, 10);
    byNight.set(night, [...(byNight.get(night) ?? []), v]);
  }
  return [...byNight.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([night, values]) => ({ night, value: median(values) as number }));
}

export function findNightShifts(records: readonly RunRecord[], options: TrendOptions = {}): NightShift[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const key = `${r.scenario}\u0000${r.strategy}\u0000${r.addressFamily}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const shifts: NightShift[] = [];
  for (const key of [...groups.keys()].sort()) {
    const runs = groups.get(key) as RunRecord[];
    const first = runs[0] as RunRecord;
    for (const [metric] of HEADLINE_METRICS) {
      const series = nightlyMedians(runs, metric);
      const points = series.map((p) => ({ runId: p.night, startedWall: p.night, value: p.value }));
      for (const c of detectChangePoints(points, options)) {
        shifts.push({ metric, scenario: first.scenario, strategy: first.strategy, family: first.addressFamily,
          night: c.runId, before: c.medianBefore, after: c.medianAfter, nights: series.length });
      }
    }
  }
  return shifts;
}

/** `gap_rx_ms in wan/host-route/ipv4 from night 2026-11-20: median 120 ms → 480 ms (+360 ms)`. */
export function formatNightShift(s: NightShift): string {
  const unit = metricUnit(s.metric);
  const v = (x: number): string => `${formatPlain(x)} ${unit}`;
  const d = s.after - s.before;
  return `${s.metric} in ${s.scenario} from night ${s.night}: median ${v(s.before)} → ${v(s.after)} `
    + `(${d >= 0 ? '+' : ''}${v(d)}, ${s.nights} nights)`;
}
