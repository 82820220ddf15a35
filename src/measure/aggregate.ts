import { combineHealth } from './health.js';
import type { FlowResult } from './summarize.js';
import type { MeasurementHealth, Metric, MetricName } from './types.js';

export interface MetricSpread {
  readonly name: MetricName;
  readonly min: number;
  readonly avg: number;
  readonly max: number;
  /** Flows the figure came from (errored flows are left out and listed in `excluded`). */
  readonly flows: number;
  /** Coarsest resolution among the contributing flows, ms. */
  readonly resolutionMs: number;
  readonly method: string;
}

export interface FlowsSummary {
  readonly health: MeasurementHealth;
  /** RFC 6412 route-specific view: min/avg/max of each metric over the usable flows. */
  readonly spread: readonly MetricSpread[];
  /** Flows left out of the spread because their measurement is ERRORED. */
  readonly excluded: readonly string[];
}

/** Aggregates per-flow results; errored flows never feed a figure but keep the run's health errored. */
export function aggregateFlows(results: readonly FlowResult[]): FlowsSummary {
  const usable = results.filter((r) => r.health.status !== 'errored');
  const byName = new Map<MetricName, (Metric & { readonly value: number })[]>();
  for (const r of usable) {
    for (const m of r.metrics)
      if (m.value !== null) byName.set(m.name, [...(byName.get(m.name) ?? []), { ...m, value: m.value }]);
  }
  const spread = [...byName.entries()].map(([name, ms]): MetricSpread => {
    const v = ms.map((m) => m.value);
    return {
      name, flows: ms.length, method: (ms[0] as Metric).method,
      min: Math.min(...v), max: Math.max(...v), avg: v.reduce((a, b) => a + b, 0) / v.length,
      resolutionMs: Math.max(...ms.map((m) => m.resolutionMs ?? 0)),
    };
  });
  const health =
    results.length === 0
      ? {
          status: 'errored' as const,
          reasons: [{ rule: 'empty-stream' as const, status: 'errored' as const, detail: 'no flow results' }],
        }
      : combineHealth(results.map((r) => r.health));
  return { health, spread, excluded: results.filter((r) => r.health.status === 'errored').map((r) => r.flow) };
}
