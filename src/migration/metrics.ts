/**
 * Metrics of one run (pure), each naming its method, resolution and clock (measurement.md): hypervisor
 * blackout (QEMU downtime and the SUSPENDED→RESUMED event gap), control-plane reconvergence (dst
 * RESUMED → route change at the gateway), data-plane recovery (→ first reply, → stable rate), outage
 * and loss per flow, RTT before/after, migration total/setup time, memory transferred, iterations.
 */
import { CONTROLLER_CLOCK } from '../util/stamp.js';
import { findEvent, msBetween } from './timeline.js';
import type { FlowResultLike, JobStats, TimelineEvent } from './types.js';

export interface Metric {
  readonly name: string;
  readonly value: number;
  readonly unit: 'ms' | 'packets' | 'bytes' | 'count' | 'pct';
  readonly method: string;
  readonly resolutionMs: number;
  readonly clock: string;
  /** Probe flow the value belongs to, for per-flow metrics. */
  readonly flow?: string;
}

export interface MetricsInput {
  readonly timeline: readonly TimelineEvent[];
  readonly stats?: JobStats;
  readonly flows: readonly FlowResultLike[];
  readonly source: string;
  readonly destination: string;
  /** Router whose route change ends control-plane reconvergence. */
  readonly gateway?: string;
  /** Resolution of the route observer: 1 for `ip -ts monitor`, the poll interval when polling. */
  readonly routeResolutionMs: number;
}

const HYPERVISOR_CLOCK = 'libvirt (source and destination host clocks; exact when they share one)';

function perFlow(f: FlowResultLike, resumed: TimelineEvent | undefined): Metric[] {
  const rate = f.achievedPps > 0 ? f.achievedPps : f.ratePps;
  const res = 1000 / rate;
  const m = (name: string, value: number, unit: Metric['unit'], method: string, resolutionMs: number): Metric =>
    ({ name, value, unit, method, resolutionMs, clock: CONTROLLER_CLOCK, flow: f.flow });
  const out: Metric[] = [];
  const lost = f.sent - f.received;
  out.push(m('loss_packets', lost, 'packets', 'sent − received sequence numbers (RFC 3357)', 0));
  out.push(m('loss_episodes', f.episodes.length, 'count', 'maximal runs of lost sequence numbers', 0));
  out.push(m('outage_loss_derived_ms', (lost / rate) * 1000, 'ms', `loss-derived L/R @${rate} pps (RFC 6412)`, res));
  const longest = f.episodes.reduce((mx, e) => Math.max(mx, Number(e.endNs - e.startNs) / 1e6), 0);
  if (f.episodes.length > 0) out.push(m('outage_gap_tx_ms', longest, 'ms', 'longest gap of send timestamps around an episode (RFC 6201)', res));
  if (resumed !== undefined && f.firstReplyAfterNs !== undefined) {
    out.push(m('recovery_first_reply_ms', Number(f.firstReplyAfterNs - resumed.t.monoNs) / 1e6, 'ms',
      'dst RESUMED → first probe reply', res));
  }
  if (resumed !== undefined && f.stableAfterNs !== undefined) {
    out.push(m('recovery_stable_rate_ms', Number(f.stableAfterNs - resumed.t.monoNs) / 1e6, 'ms',
      'dst RESUMED → rate stays ≥ 95 % of baseline (RFC 6413)', Math.max(10, 10_000 / rate)));
  }
  if (f.rttBeforeMs !== undefined) out.push(m('rtt_before_ms', f.rttBeforeMs, 'ms', 'median RTT before the outage', 0.001));
  if (f.rttAfterMs !== undefined) out.push(m('rtt_after_ms', f.rttAfterMs, 'ms', 'median RTT after the outage', 0.001));
  if (f.rttBeforeMs !== undefined && f.rttAfterMs !== undefined) {
    out.push(m('rtt_step_ms', f.rttAfterMs - f.rttBeforeMs, 'ms', 'median RTT after − before (tromboning)', 0.001));
  }
  if (f.tcp?.ok === true) {
    const t = f.tcp;
    out.push(m('tcp_survived', t.survived ? 1 : 0, 'count',
      `one TCP connection to the echo port across the run, every message echoed in order (${t.echoed}/${t.sent}, ${t.resets} resets, ${t.reconnects} reconnects)`, 0));
    out.push(m('tcp_longest_stall_ms', t.longestStallMs, 'ms', `longest interval without an echo while messages were outstanding (message every ${t.intervalMs} ms)`, t.intervalMs));
  }
  return out;
}

function fromStats(s: JobStats): Metric[] {
  const m = (name: string, v: number | undefined, unit: Metric['unit'], method: string, resolutionMs: number): Metric[] =>
    (v === undefined ? [] : [{ name, value: v, unit, method, resolutionMs, clock: HYPERVISOR_CLOCK }]);
  return [
    ...m('hypervisor_blackout_qemu_ms', s.downtimeMs, 'ms', 'libvirt job stats downtime (src stop → dst resume)', 1),
    ...m('hypervisor_blackout_qemu_net_ms', s.downtimeNetMs, 'ms', 'libvirt job stats downtime_net', 1),
    ...m('migration_total_ms', s.timeElapsedMs, 'ms', 'libvirt job stats time_elapsed', 1),
    ...m('migration_setup_ms', s.setupTimeMs, 'ms', 'libvirt job stats setup_time', 1),
    ...m('memory_transferred_bytes', s.memoryProcessedBytes, 'bytes', 'libvirt job stats memory_processed', 0),
    ...m('memory_iterations', s.memoryIterations, 'count', 'libvirt job stats memory_iteration', 0),
  ];
}

export function assembleMetrics(input: MetricsInput): Metric[] {
  const tl = input.timeline;
  const out: Metric[] = input.stats === undefined ? [] : fromStats(input.stats);
  const suspended = findEvent(tl, { kind: 'suspended', host: input.source });
  const resumed = findEvent(tl, { kind: 'resumed', host: input.destination });
  if (suspended !== undefined && resumed !== undefined) {
    out.push({ name: 'hypervisor_blackout_event_gap_ms', value: msBetween(suspended, resumed), unit: 'ms',
      method: 'src SUSPENDED → dst RESUMED lifecycle events, stamped on receipt', resolutionMs: 0.001, clock: CONTROLLER_CLOCK });
  }
  if (resumed !== undefined && input.gateway !== undefined) {
    const gw = input.gateway;
    const change = tl.find((e) => e.host === gw && (e.kind === 'route-add' || e.kind === 'route-del') && e.t.monoNs >= resumed.t.monoNs);
    if (change !== undefined) {
      out.push({ name: 'control_plane_reconvergence_ms', value: msBetween(resumed, change), unit: 'ms',
        method: `dst RESUMED → ${change.kind} at ${gw}`, resolutionMs: input.routeResolutionMs + (change.uncertaintyMs ?? 0),
        clock: change.uncertaintyMs === undefined ? CONTROLLER_CLOCK : `${CONTROLLER_CLOCK}; router clock ±${change.uncertaintyMs} ms` });
    }
  }
  const call = findEvent(tl, { kind: 'migrate-call' });
  const ret = findEvent(tl, { kind: 'migrate-returned' });
  if (call !== undefined && ret !== undefined) {
    out.push({ name: 'migrate_call_wall_ms', value: msBetween(call, ret), unit: 'ms',
      method: 'controller: migrate call → job end', resolutionMs: 0.001, clock: CONTROLLER_CLOCK });
  }
  for (const f of input.flows) out.push(...perFlow(f, resumed));
  return out;
}

export function formatMetrics(ms: readonly Metric[]): string {
  return ms.map((m) => {
    const v = m.unit === 'ms' ? m.value.toFixed(3) : String(m.value);
    const res = m.resolutionMs > 0 ? ` ± ${m.resolutionMs} ms` : '';
    return `${(m.flow === undefined ? m.name : `${m.name}[${m.flow}]`).padEnd(44)} ${v} ${m.unit}${res}  (${m.method})`;
  }).join('\n');
}
