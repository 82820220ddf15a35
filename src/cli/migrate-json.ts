/**
 * The `vmmi migrate --json` object (pure; docs/cli.md): the run's verdict and health, its metrics by
 * catalogue name (measure/metric-catalogue.ts), per address family and per probe flow, and its timeline.
 */
import type { Metric } from '../measure/metric-catalogue.js';
import type { MigrationResult } from '../migration/run.js';
import { defined } from '../model/defined.js';

/** One metric without its name (the name is the key). */
export interface MetricJson {
  readonly value: number | null;
  readonly unit: string;
  readonly method: string;
  readonly resolutionMs: number | null;
  readonly clock: string;
  readonly flow?: string;
  readonly note?: string;
}

export interface MigrateJson {
  readonly verdict: string;
  readonly health: string;
  readonly healthReasons: readonly string[];
  readonly infrastructureFailure: boolean;
  readonly unstable: boolean;
  readonly runId: string;
  readonly vm: string;
  readonly source: string;
  readonly destination: string;
  readonly strategy: string;
  /** Per address family ("4", "6"): the metrics of its first probe flow, by catalogue name. */
  readonly families: Record<string, Record<string, MetricJson>>;
  /** Per probe flow: its family and every metric of it. */
  readonly flows: Record<string, { family: number; metrics: Record<string, MetricJson> }>;
  /** Metrics of the run as a whole (hypervisor downtime, event gap, reconvergence, job statistics). */
  readonly metrics: Record<string, MetricJson>;
  readonly timeline: ReadonlyArray<Record<string, unknown>>;
  readonly attempts: ReadonlyArray<Record<string, unknown>>;
  /** The outage of the judged flow split into blackout, L2 announce, overlay and L3 route (measurement.md §4). */
  readonly decomposition?: {
    readonly flow?: string;
    readonly outageMs?: number;
    readonly components: ReadonlyArray<{ name: string; observer: string; ms: number; inOutageMs: number }>;
    readonly attributedMs: number;
    readonly residualMs?: number;
    readonly notes: readonly string[];
  };
  /** The strategy's expected event order, checked on the timeline. */
  readonly conformance?: {
    readonly ok: boolean;
    readonly edges: ReadonlyArray<{ label: string; ok: boolean; skipped: boolean; deltaMs?: number; message?: string }>;
  };
}

const metricJson = (m: Metric): MetricJson => ({
  value: m.value, unit: m.unit, method: m.method, resolutionMs: m.resolutionMs, clock: m.clock,
  ...defined({ flow: m.flow, note: m.note }),
});

export function migrateJson(r: MigrationResult, runId: string): MigrateJson {
  const last = r.attempts.at(-1);
  const familyOf = new Map((last?.flows ?? []).map((f) => [f.spec.name, f.spec.family]));
  const families: MigrateJson['families'] = {};
  const flows: MigrateJson['flows'] = {};
  const metrics: MigrateJson['metrics'] = {};
  for (const m of r.metrics) {
    const family = m.flow === undefined ? undefined : familyOf.get(m.flow);
    if (m.flow === undefined || family === undefined) {
      metrics[m.name] ??= metricJson(m);
      continue;
    }
    const flow = (flows[m.flow] ??= { family, metrics: {} });
    flow.metrics[m.name] ??= metricJson(m);
    const fam = (families[String(family)] ??= {});
    // The family's first flow (the default traffic host's) speaks for it; the others are under `flows`.
    const first = Object.entries(flows).find(([, f]) => f.family === family)?.[0];
    if (first === m.flow) fam[m.name] ??= metricJson(m);
  }
  const t0 = r.timeline[0]?.t.monoNs;
  return {
    verdict: r.verdict, health: r.health.health, healthReasons: r.health.reasons,
    infrastructureFailure: r.health.infrastructure, unstable: r.unstable, runId,
    vm: last?.vm ?? '', source: last?.source ?? '', destination: last?.destination ?? '', strategy: last?.strategy ?? '',
    families, flows, metrics,
    timeline: r.timeline.map((e) => ({
      tMs: t0 === undefined ? 0 : Number(e.t.monoNs - t0) / 1e6, wall: new Date(e.t.wallMs).toISOString(),
      source: e.source, host: e.host, kind: e.kind, ...defined({ detail: e.detail, uncertaintyMs: e.uncertaintyMs }),
    })),
    attempts: r.attempts.map((a) => ({
      attempt: a.attempt, purpose: a.purpose,
      vm: a.vm, source: a.source, destination: a.destination, strategy: a.strategy,
      outcome: a.outcome, state: a.state, health: a.health.health, residue: a.residue, notes: a.notes,
      ...defined({ failure: a.failure === undefined ? undefined
        : { step: a.failure.step, kind: a.failure.kind, reason: a.failure.reason }, vmOn: a.vmOn }),
    })),
    ...defined({
      decomposition: r.decomposition === undefined ? undefined : {
        ...defined({ flow: r.decomposition.flow, outageMs: r.decomposition.outageMs,
          residualMs: r.decomposition.residualMs }),
        components: r.decomposition.components.map((c) => ({ name: c.name, observer: c.observer, ms: c.ms,
          inOutageMs: c.inOutageMs })),
        attributedMs: r.decomposition.attributedMs, notes: r.decomposition.notes,
      },
      conformance: r.conformance === undefined ? undefined : {
        ok: r.conformance.ok,
        edges: r.conformance.edges.map((e) => ({ label: e.label, ok: e.ok, skipped: e.skipped,
          ...defined({ deltaMs: e.deltaMs, message: e.message }) })),
      },
    }),
  };
}
