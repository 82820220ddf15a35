/**
 * Turns a migration result (one or more attempts) and the probe measurements into the report's
 * RunRecords: one per attempt, for the address family the scenario measured. Metric names map onto
 * the report's fixed column names; every value keeps its method, resolution and clock.
 */
import type { MigrationResult } from '../migration/run.js';
import type { Metric as RunMetric } from '../migration/metrics.js';
import type { TimelineEvent as RunEvent } from '../migration/types.js';
import {
  createRunRecord, metricUnit, type AddressFamily, type Metric, type MetricName, type RunRecord, type ScenarioParams,
} from '../report/model.js';
import type { MeasuredFlow } from './probe-session.js';

/** migration/metrics.ts names → report column names. */
const NAME_MAP: Readonly<Record<string, MetricName>> = {
  hypervisor_blackout_qemu_ms: 'hypervisor_downtime_ms',
  hypervisor_blackout_event_gap_ms: 'event_gap_ms',
  outage_loss_derived_ms: 'loss_derived_ms',
  loss_packets: 'packets_lost',
  loss_episodes: 'episodes_count',
  control_plane_reconvergence_ms: 'reconvergence_ms',
  recovery_first_reply_ms: 'first_reply_ms',
  recovery_stable_rate_ms: 'stable_rate_ms',
  rtt_before_ms: 'rtt_before_ms',
  rtt_after_ms: 'rtt_after_ms',
  rtt_step_ms: 'rtt_step_ms',
  tcp_survived: 'tcp_survived',
  tcp_longest_stall_ms: 'tcp_longest_stall_ms',
  migration_total_ms: 'migration_total_ms',
  migration_setup_ms: 'setup_ms',
  memory_transferred_bytes: 'memory_transferred_bytes',
  memory_iterations: 'iterations',
};

/** measure/ names of the full flow measurement → report columns the executor does not compute. */
const FLOW_MAP: Readonly<Record<string, MetricName>> = {
  downtime_gap_tx_ms: 'gap_tx_ms',
  downtime_gap_rx_ms: 'gap_rx_ms',
  convergence_rate_ms: 'rate_derived_ms',
  loss_pct: 'loss_pct',
};

export interface RecordContext {
  readonly runId: string;
  readonly params: ScenarioParams;
  readonly vm: string;
  readonly startedWall: string;
  /** Full flow measurements of the last attempt (probe session). */
  readonly measured: readonly MeasuredFlow[];
  /** Pass/fail from thresholds (decided by the caller); errored health overrides it in the report. */
  readonly verdict: (r: MigrationResult) => 'pass' | 'fail';
}

const familyOf = (af: AddressFamily): 4 | 6 => (af === 'ipv4' ? 4 : 6);

function toMetric(m: RunMetric, name: MetricName): Metric {
  return { name, value: m.value, unit: metricUnit(name), method: m.method, resolutionMs: m.resolutionMs, clock: m.clock };
}

function relEvents(tl: readonly RunEvent[]): { t0: bigint; events: RunRecord['timeline'] } {
  const t0 = tl.reduce((a, e) => (e.t.monoNs < a ? e.t.monoNs : a), tl[0]?.t.monoNs ?? 0n);
  return {
    t0,
    events: tl.map((e) => ({
      tMs: Number(e.t.monoNs - t0) / 1e6, wallMs: e.t.wallMs, source: e.source, host: e.host, kind: e.kind,
      detail: Object.entries(e.detail ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(' '),
    })),
  };
}

export function toRunRecords(result: MigrationResult, ctx: RecordContext): RunRecord[] {
  const fam = familyOf(ctx.params.addressFamily);
  const attempts = result.attempts.length;
  return result.attempts.map((a, i) => {
    const last = i === attempts - 1;
    const { t0, events } = relEvents(a.timeline);
    const flow = last ? ctx.measured.find((m) => m.spec.family === fam) : undefined;
    const metrics: Metric[] = [];
    const seen = new Set<MetricName>();
    const push = (m: Metric): void => { if (!seen.has(m.name)) { seen.add(m.name); metrics.push(m); } };
    for (const m of a.metrics) {
      const name = NAME_MAP[m.name];
      if (name !== undefined && (m.flow === undefined || m.flow === flow?.spec.name)) push(toMetric(m, name));
    }
    for (const m of flow?.full.metrics ?? []) {
      const name = FLOW_MAP[m.name];
      if (name !== undefined) push({ name, value: m.value, unit: metricUnit(name), method: m.method, resolutionMs: m.resolutionMs, clock: m.clock });
    }
    const rel = (ms: number): number => ms + (flow === undefined ? 0 : flow.baseMonoMs - Number(t0) / 1e6);
    const d = a.decomposition;
    const healthOf = a.health.health;
    const failedRun = a.outcome !== 'migrated';
    return createRunRecord({
      runId: ctx.runId, params: ctx.params, vm: a.vm, source: a.source, destination: a.destination,
      startedWall: ctx.startedWall, metrics,
      // A refusal and a corrupt guest are findings about the system under test (fail); other failed runs
      // are measurements that could not be made (errored).
      verdict: failedRun ? (a.outcome === 'refused' || a.memoryIntegrity?.status === 'corrupt' ? 'fail' : 'errored')
        : last ? ctx.verdict(result) : 'errored',
      health: healthOf, healthReasons: a.health.reasons,
      attempt: a.attempt, attemptOf: attempts,
      episodes: (flow?.full.episodes ?? []).map((e) => ({
        flow: flow?.spec.name ?? '', startMs: rel(e.startMs), endMs: rel(e.endMs), firstSeq: e.firstSeq, lastSeq: e.lastSeq, lost: e.lost,
      })),
      timeline: events,
      decomposition: d === undefined ? [] : [
        ...d.components.map((c) => ({ component: c.name, ms: c.inOutageMs })),
        ...(d.residualMs === undefined ? [] : [{ component: 'residual', ms: d.residualMs }]),
      ],
      conformance: { ok: a.conformance?.ok ?? false, violations: (a.conformance?.violations ?? []).map((v) => v.message ?? v.label) },
      rates: flow?.full.rate === undefined ? [] : [{
        flow: flow.spec.name,
        samples: flow.full.rate.bins.map((b) => ({ tMs: rel(b.startMs), pps: flow.full.rate?.basis === 'tx' ? b.value * flow.full.achievedRatePps : b.value })),
      }],
      ...(a.memoryIntegrity === undefined ? {} : { memoryIntegrity: a.memoryIntegrity }),
      ...(a.error === undefined ? {} : { error: a.error.message }),
    });
  });
}
