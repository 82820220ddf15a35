/**
 * Metrics of one run (pure), each naming its method, resolution and clock (measurement.md): hypervisor
 * blackout (QEMU downtime and the SUSPENDED→RESUMED event gap), control-plane reconvergence (dst
 * RESUMED → route change at the gateway), data-plane recovery (→ first reply, → stable rate), the
 * per-flow figures measure/ computed (outage, loss, RTT), session survival, migration total/setup
 * time, memory transferred, iterations. Names come from measure/'s metric catalogue.
 */
import { createMetric, type Metric, type MetricName } from '../measure/metric-catalogue.js';
import { findDisagreements } from '../measure/method-guide.js';
import { formatMetricValue } from '../measure/precision.js';
import { CONTROLLER_CLOCK } from '../util/stamp.js';
import { flowView } from './flow-view.js';
import { findEvent, msBetween } from './timeline.js';
import type { FlowMeasurement, JobStats, TimelineEvent } from './types.js';

export type { Metric } from '../measure/metric-catalogue.js';

export interface MetricsInput {
  readonly timeline: readonly TimelineEvent[];
  readonly stats?: JobStats;
  readonly flows: readonly FlowMeasurement[];
  readonly source: string;
  readonly destination: string;
  /** Router whose route change ends control-plane reconvergence. */
  readonly gateway?: string;
  /** Resolution of the route observer: 1 for `ip -ts monitor`, the poll interval when polling. */
  readonly routeResolutionMs: number;
}

const HYPERVISOR_CLOCK = 'libvirt (source and destination host clocks; exact when they share one)';

function perFlow(f: FlowMeasurement, resumed: TimelineEvent | undefined): Metric[] {
  const v = flowView(f);
  const rate = v.achievedPps > 0 ? v.achievedPps : v.ratePps;
  const res = 1000 / rate;
  const m = (name: MetricName, value: number, method: string, resolutionMs: number): Metric =>
    ({ ...createMetric(name, value, method, resolutionMs, CONTROLLER_CLOCK), flow: v.flow });
  // Outage, loss and RTT figures: measure/'s, unchanged, tagged with their flow.
  const out: Metric[] = f.result.metrics.map((x) => ({ ...x, flow: v.flow }));
  if (resumed !== undefined && v.firstReplyAfterNs !== undefined) {
    const ms = Number(v.firstReplyAfterNs - resumed.t.monoNs) / 1e6;
    out.push(m('first_reply_ms', ms, 'dst RESUMED → first probe reply', res));
  }
  if (resumed !== undefined && v.stableAfterNs !== undefined) {
    out.push(m('stable_rate_ms', Number(v.stableAfterNs - resumed.t.monoNs) / 1e6,
      'dst RESUMED → rate stays ≥ 95 % of baseline (RFC 6413)', Math.max(10, 10_000 / rate)));
  }
  if (v.tcp?.ok === true) {
    const t = v.tcp;
    out.push(m('tcp_survived', t.survived ? 1 : 0, 'one TCP connection to the echo port across the run, every message '
      + `echoed in order (${t.echoed}/${t.sent}, ${t.resets} resets, ${t.reconnects} reconnects)`, 0));
    out.push(m('tcp_longest_stall_ms', t.longestStallMs, 'longest interval without an echo while messages were '
      + `outstanding (message every ${t.intervalMs} ms)`, t.intervalMs));
  }
  return out;
}

/** Why a job-stats figure is missing from stats that exist: the reason a null metric carries. */
export function missingStatReason(s: JobStats, field: 'time_elapsed' | 'memory_processed' | 'memory_iteration'
  | 'memory_dirty_rate'): string {
  if (field === 'memory_dirty_rate') {
    if (s.memoryDirtyRatePps === 0) {
      return 'QEMU gave no dirty rate: memory_dirty_rate was 0 in the completed job and in every polled sample '
        + '(0 means not computed yet, not a measured 0)';
    }
    if (s.memoryDirtyRatePps !== undefined) return 'no memory_page_size to turn memory_dirty_rate into MiB/s';
    return 'memory_dirty_rate absent from the completed job and from every polled sample';
  }
  return `${field} absent from libvirt's completed job stats of both hosts`
    + (s.mode === 'postcopy' ? ' (postcopy move)' : '');
}

function fromStats(s: JobStats): Metric[] {
  const m = (name: MetricName, v: number | undefined, method: string, resolutionMs: number): Metric[] =>
    (v === undefined ? [] : [createMetric(name, v, method, resolutionMs, HYPERVISOR_CLOCK)]);
  // A figure every completed migration has: absent from the stats, it is not measured (null, with why).
  const must = (name: MetricName, v: number | undefined, method: string, resolutionMs: number,
    field: Parameters<typeof missingStatReason>[1]): Metric[] =>
    (v === undefined
      ? [{ ...createMetric(name, null, method, resolutionMs, HYPERVISOR_CLOCK), note: missingStatReason(s, field) }]
      : m(name, v, method, resolutionMs));
  return [
    ...m('hypervisor_downtime_ms', s.downtimeMs, 'libvirt job stats downtime (src stop → dst resume)', 1),
    ...m('hypervisor_downtime_net_ms', s.downtimeNetMs, 'libvirt job stats downtime_net', 1),
    ...must('migration_total_ms', s.timeElapsedMs, 'libvirt job stats time_elapsed', 1, 'time_elapsed'),
    ...m('setup_ms', s.setupTimeMs, 'libvirt job stats setup_time', 1),
    ...must('memory_transferred_bytes', s.memoryProcessedBytes, 'libvirt job stats memory_processed', 0,
      'memory_processed'),
    ...must('iterations', s.memoryIterations, 'libvirt job stats memory_iteration', 0, 'memory_iteration'),
    ...must('dirty_rate_mibs', s.dirtyRateMiBs, s.dirtyRateFrom === 'running'
      ? 'libvirt job stats memory_dirty_rate × memory_page_size, last sample while running'
      : 'libvirt job stats memory_dirty_rate × memory_page_size, completed job', 0, 'memory_dirty_rate'),
  ];
}

export function assembleMetrics(input: MetricsInput): Metric[] {
  const tl = input.timeline;
  const out: Metric[] = input.stats === undefined ? [] : fromStats(input.stats);
  const suspended = findEvent(tl, { kind: 'suspended', host: input.source });
  const resumed = findEvent(tl, { kind: 'resumed', host: input.destination });
  if (suspended !== undefined && resumed !== undefined) {
    out.push(createMetric('event_gap_ms', msBetween(suspended, resumed),
      'src SUSPENDED → dst RESUMED lifecycle events, stamped on receipt', 0.001, CONTROLLER_CLOCK));
  }
  if (resumed !== undefined && input.gateway !== undefined) {
    const gw = input.gateway;
    const change = tl.find((e) => e.host === gw && (e.kind === 'route-add' || e.kind === 'route-del')
      && e.t.monoNs >= resumed.t.monoNs);
    if (change !== undefined) {
      out.push(createMetric('reconvergence_ms', msBetween(resumed, change), `dst RESUMED → ${change.kind} at ${gw}`,
        input.routeResolutionMs + (change.uncertaintyMs ?? 0),
        change.uncertaintyMs === undefined ? CONTROLLER_CLOCK
          : `${CONTROLLER_CLOCK}; router clock ±${change.uncertaintyMs} ms`));
    }
  }
  const call = findEvent(tl, { kind: 'migrate-call' });
  const ret = findEvent(tl, { kind: 'migrate-returned' });
  if (call !== undefined && ret !== undefined) {
    out.push(createMetric('migrate_call_wall_ms', msBetween(call, ret), 'controller: migrate call → job end', 0.001,
      CONTROLLER_CLOCK));
  }
  for (const f of input.flows) out.push(...perFlow(f, resumed));
  return out;
}

/** Metrics as text, each value printed to the digit its resolution supports (measure/precision.ts). */
export function formatMetrics(ms: readonly Metric[]): string {
  return ms.map((m) => {
    const name = m.flow === undefined ? m.name : `${m.name}[${m.flow}]`;
    return `${name.padEnd(44)} ${formatMetricValue(m)}  (${m.method})`;
  }).join('\n');
}

/**
 * The outage per flow on both bases, named: the send-side gap (send stamps, `gap_tx_ms`) and the
 * receive-side gap the application saw (arrival stamps, `gap_rx_ms`, which also holds queueing at the new
 * path), then any two methods that disagree by more than their resolutions allow.
 */
export function formatOutage(ms: readonly Metric[]): string[] {
  const lines: string[] = [];
  const flows = [...new Set(ms.filter((m) => m.name === 'gap_tx_ms' || m.name === 'gap_rx_ms').map((m) => m.flow))];
  for (const flow of flows) {
    const get = (n: MetricName): Metric | undefined => ms.find((m) => m.name === n && m.flow === flow);
    const tx = get('gap_tx_ms');
    const rx = get('gap_rx_ms');
    lines.push(`  ${flow ?? 'all flows'}: send side (gap_tx_ms) ${tx === undefined ? 'n/a' : formatMetricValue(tx)}`
      + ` · receive side, application-visible (gap_rx_ms) ${rx === undefined ? 'n/a' : formatMetricValue(rx)}`);
  }
  for (const d of findDisagreements(ms)) lines.push(`  WARNING ${d.flow ?? 'run'}: ${d.message}`);
  return lines;
}
