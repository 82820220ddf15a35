import { formatPlain } from '../measure/precision.js';
import { median } from '../measure/util.js';
import { metricUnit, type MetricName, type RunRecord } from './record.js';
import { HEADLINE_METRICS } from './summary.js';
import { detectChangePoints, type TrendOptions } from './trend.js';
import { attemptKey } from './history-sql.js';

/**
 * Night-to-night level shifts of the headline metrics and the settled RTT (pure), for `vmmi report
 * --fail-on-change-point`. Series: one point per night (the UTC date of `startedWall`), or with
 * `per: 'run'` one point per suite run (a nightly job that runs several times a night, or a lab that
 * wants its runs compared one by one; attempts recorded outside a suite are a point each), the median of
 * its attempts, per scenario × strategy × family × metric; attempts with health `errored` and
 * unmeasured values are left out (they are not measurements of the network). Each series goes through
 * `detectChangePoints` (trend.ts), so one odd night cannot raise a shift on its own and a series needs
 * 2 × window points.
 */

/** What a shift is looked for in: the outage figures, and the settled RTT (a longer path after a move). */
export const SHIFT_METRICS: readonly MetricName[] = [...HEADLINE_METRICS.map(([m]) => m), 'rtt_after_ms'];

export interface ShiftOptions extends TrendOptions {
  /** One point per night (default) or per suite run. */
  readonly per?: 'night' | 'run';
  /** The suite run of each attempt (history-sql.ts attemptKey), for `per: 'run'`. */
  readonly suiteOf?: ReadonlyMap<string, string>;
}

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

/**
 * Per-night (or per-run) medians of one metric over `records`, oldest first. A run's label is the start
 * of its first attempt (ISO), so the line names when the shifted run began.
 */
export function nightlyMedians(records: readonly RunRecord[], metric: MetricName,
  o: Pick<ShiftOptions, 'per' | 'suiteOf'> = {}): { night: string; value: number }[] {
  const byPoint = new Map<string, { label: string; values: number[] }>();
  for (const r of records) {
    if (r.health === 'errored') continue;
    const v = r.metrics.find((m) => m.name === metric)?.value;
    if (v === null || v === undefined) continue;
    const key = o.per === 'run' ? o.suiteOf?.get(attemptKey(r)) ?? `run ${r.runId}` : r.startedWall.slice(0, 10);
    const p = byPoint.get(key) ?? { label: o.per === 'run' ? r.startedWall : key, values: [] };
    if (r.startedWall < p.label && o.per === 'run') p.label = r.startedWall;
    p.values.push(v);
    byPoint.set(key, p);
  }
  return [...byPoint.values()].sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
    .map((p) => ({ night: p.label, value: median(p.values) as number }));
}

export function findNightShifts(records: readonly RunRecord[], options: ShiftOptions = {}): NightShift[] {
  const { per, suiteOf, ...trend } = options;
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const key = `${r.scenario}\u0000${r.strategy}\u0000${r.addressFamily}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const shifts: NightShift[] = [];
  for (const key of [...groups.keys()].sort()) {
    const runs = groups.get(key) as RunRecord[];
    const first = runs[0] as RunRecord;
    for (const metric of SHIFT_METRICS) {
      const series = nightlyMedians(runs, metric, { ...(per === undefined ? {} : { per }),
        ...(suiteOf === undefined ? {} : { suiteOf }) });
      const points = series.map((p) => ({ runId: p.night, startedWall: p.night, value: p.value }));
      for (const c of detectChangePoints(points, trend)) {
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
  const run = s.night.length > 10;
  return `${s.metric} in ${s.scenario} from ${run ? 'the run of' : 'night'} ${s.night}: median ${v(s.before)} → `
    + `${v(s.after)} (${d >= 0 ? '+' : ''}${v(d)}, ${s.nights} ${run ? 'runs' : 'nights'})`;
}
