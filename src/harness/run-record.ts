/**
 * Turns a migration result (one or more attempts) into the report's RunRecords: one per attempt, for
 * the address family the scenario measured. Metrics keep the names of measure/'s catalogue (which are
 * the report's columns), with their method, resolution and clock; each attempt's flow measurements
 * come from the attempt itself.
 */
import { isReportMetric } from '../measure/metric-catalogue.js';
import type { MigrationResult } from '../migration/run.js';
import type { FlowMeasurement, TimelineEvent as RunEvent } from '../migration/types.js';
import {
  createRunRecord, type AddressFamily, type Metric, type RunRecord, type ScenarioParams,
} from '../report/model.js';
import { defined } from '../model/defined.js';

export interface RecordContext {
  readonly runId: string;
  readonly params: ScenarioParams;
  readonly vm: string;
  readonly startedWall: string;
  /** Pass/fail from thresholds (decided by the caller); errored health overrides it in the report. */
  readonly verdict: (r: MigrationResult) => 'pass' | 'fail';
}

const familyOf = (af: AddressFamily): 4 | 6 => (af === 'ipv4' ? 4 : 6);

/** The attempt's run-wide metrics and those of `flow`, once per name, as the report keeps them. */
function recordMetrics(all: readonly Metric[], flow: string | undefined): Metric[] {
  const out: Metric[] = [];
  const seen = new Set<string>();
  for (const m of all) {
    if (!isReportMetric(m.name) || seen.has(m.name) || (m.flow !== undefined && m.flow !== flow)) continue;
    seen.add(m.name);
    const { name, value, unit, method, resolutionMs, clock } = m;
    out.push({ name, value, unit, method, resolutionMs, clock });
  }
  return out;
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
    const flow: FlowMeasurement | undefined = a.flows.find((m) => m.spec.family === fam);
    const metrics = recordMetrics(a.metrics, flow?.spec.name);
    const rel = (ms: number): number => ms + (flow === undefined ? 0 : flow.baseMonoMs - Number(t0) / 1e6);
    const d = a.decomposition;
    const healthOf = a.health.health;
    const failedRun = a.outcome !== 'migrated';
    return createRunRecord({
      runId: ctx.runId,
      params: ctx.params,
      vm: a.vm,
      source: a.source,
      destination: a.destination,
      startedWall: ctx.startedWall,
      metrics,
      // A refusal and a corrupt guest are findings about the system under test (fail); other failed runs
      // are measurements that could not be made (errored).
      verdict: failedRun
        ? a.outcome === 'refused' || a.memoryIntegrity?.status === 'corrupt'
          ? 'fail'
          : 'errored'
        : last
          ? ctx.verdict(result)
          : 'errored',
      health: healthOf,
      healthReasons: a.purpose === 'reposition'
        ? ['reposition: the VM moved back to re-measure a starved attempt; not the scenario\'s measurement',
          ...a.health.reasons]
        : a.health.reasons,
      attempt: a.attempt,
      attemptOf: attempts,
      episodes: (flow?.result.episodes ?? []).map((e) => ({
        flow: flow?.spec.name ?? '',
        startMs: rel(e.startMs),
        endMs: rel(e.endMs),
        firstSeq: e.firstSeq,
        lastSeq: e.lastSeq,
        lost: e.lost,
      })),
      timeline: events,
      decomposition:
        d === undefined
          ? []
          : [
              ...d.components.map((c) => ({ component: c.name, ms: c.inOutageMs })),
              ...(d.residualMs === undefined ? [] : [{ component: 'residual', ms: d.residualMs }]),
            ],
      conformance: {
        ok: a.conformance?.ok ?? false,
        violations: (a.conformance?.violations ?? []).map((v) => v.message ?? v.label),
      },
      rates:
        flow?.result.rate === undefined
          ? []
          : [
              {
                flow: flow.spec.name,
                samples: flow.result.rate.bins.map((b) => ({
                  tMs: rel(b.startMs),
                  pps: flow.result.rate?.basis === 'tx' ? b.value * flow.result.achievedRatePps : b.value,
                })),
              },
            ],
      ...defined({ memoryIntegrity: a.memoryIntegrity, path: a.path, flooding: a.flooding }),
      ...(a.error === undefined ? {} : { error: a.error.message }),
    });
  });
}
