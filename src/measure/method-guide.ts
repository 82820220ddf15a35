/**
 * What each method measures and when to trust it (one line each), and the check that two methods
 * measuring the same outage agree within their resolutions (pure). The report and the CLI print both.
 */
import type { Metric, MetricName } from './metric-catalogue.js';
import { formatAtResolution, formatMs, formatResolutionValue } from './precision.js';

/** Method families a metric's value comes from. */
export type MethodKey =
  | 'gap_tx' | 'gap_rx' | 'loss-derived' | 'rate-derived' | 'hypervisor' | 'events' | 'route' | 'first-reply'
  | 'rtt' | 'rtt-step' | 'rtt-expected' | 'count' | 'tcp' | 'flood';

/** One line per method: what it measures · when to trust it. */
export const METHOD_GUIDE: Readonly<Record<MethodKey, string>> = {
  gap_tx: 'send-side gap: send stamps of the last reply before and the first after the outage (RFC 6201); '
    + 'immune to receive jitter; trust it for one episode at steady pacing (± 1/R)',
  gap_rx: 'receive-side, application-visible gap: longest silence between reply arrivals across the outage; '
    + 'includes queueing and any RTT step at the new path; trust it as what the peer saw (± 1/R plus receive jitter)',
  'loss-derived': 'lost packets / offered rate (RFC 6412); sums every episode after the trigger; trust it for '
    + 'one contiguous total-loss window at constant rate',
  'rate-derived': 'event → sustained recovery of the reply rate in Δ bins (RFC 6413, 95 %, held 5 s); '
    + 'spans partial loss and close later episodes; ± Δ',
  hypervisor: 'vCPU blackout from libvirt job statistics; not the network outage; exact only when the '
    + 'hosts share a clock',
  events: 'source SUSPENDED → destination RESUMED lifecycle events, stamped on receipt by one controller; '
    + 'blackout as the controller saw it',
  route: 'destination RESUMED → route change at the gateway; resolution = route observer (poll interval)',
  'first-reply': 'destination RESUMED → first probe reply after the outage; ± 1/R',
  rtt: 'round-trip times of replies (median windows away from the outage); trust with a settled path',
  'rtt-step': 'path RTT (10th percentile) after − before the outage (tromboning): a detour lifts the floor, a stalled reflector only adds queueing',
  count: 'probe sequence counters (RFC 3357); exact',
  tcp: 'one TCP session through the VM; survival and longest stall at its message interval',
  'rtt-expected': 'the RTT step the move should cause, from the testbed\'s link delays and the strategy\'s planned '
    + 'detour; the excess over it is a detour nobody planned; trust it as far as the declared delays are true',
  flood: 'frames flooded in the VM\'s segments over the move window, each frame once per segment (bridge port '
    + 'capture in the lab); exact per frame; a lower bound when the counter reports drops',
};

const BY_METRIC: Readonly<Partial<Record<MetricName, MethodKey>>> = {
  gap_tx_ms: 'gap_tx', outage_total_gap_tx_ms: 'gap_tx', gap_rx_ms: 'gap_rx', loss_derived_ms: 'loss-derived',
  rate_derived_ms: 'rate-derived', stable_rate_ms: 'rate-derived', hypervisor_downtime_ms: 'hypervisor',
  hypervisor_downtime_net_ms: 'hypervisor', migration_total_ms: 'hypervisor', setup_ms: 'hypervisor',
  memory_transferred_bytes: 'hypervisor', iterations: 'hypervisor', dirty_rate_mibs: 'hypervisor', event_gap_ms: 'events',
  reconvergence_ms: 'route', first_reply_ms: 'first-reply', rtt_before_ms: 'rtt', rtt_after_ms: 'rtt',
  rtt_min_ms: 'rtt', rtt_median_ms: 'rtt', rtt_p99_ms: 'rtt', rtt_max_ms: 'rtt', rtt_step_ms: 'rtt-step',
  packets_lost: 'count', packets_sent: 'count', loss_pct: 'count', episodes_count: 'count', duplicates: 'count',
  reordered: 'count', loss_period_max_packets: 'count', loss_distance_min: 'count', achieved_rate_pps: 'count',
  tcp_survived: 'tcp', tcp_longest_stall_ms: 'tcp', expected_rtt_step_ms: 'rtt-expected',
  rtt_step_excess_ms: 'rtt-expected', expected_extra_rtt_ms: 'rtt-expected', flood_arp_packets: 'flood',
  flood_nd_packets: 'flood', flood_unknown_unicast_packets: 'flood',
};

/** The method family of a metric, when it has one. */
export function methodKeyOf(name: string): MethodKey | undefined {
  return (BY_METRIC as Readonly<Record<string, MethodKey>>)[name];
}

/** "What this measures and when to trust it" for a metric, or undefined. */
export function methodGuide(name: string): string | undefined {
  const k = methodKeyOf(name);
  return k === undefined ? undefined : METHOD_GUIDE[k];
}

/** Two figures of the same outage that differ by more than their resolutions allow. */
export interface Disagreement {
  readonly flow: string | undefined;
  readonly a: MetricName;
  readonly b: MetricName;
  readonly aMs: number;
  readonly bMs: number;
  /** |a − b|, ms. */
  readonly diffMs: number;
  /** Sum of the two resolutions, ms: the most the two may differ by sampling alone. */
  readonly allowedMs: number;
  /** One sentence: by how much, and what a difference between these two methods means. */
  readonly message: string;
}

/** Pairs of metrics that estimate the same outage, and what a difference between them means. */
const PAIRS: readonly (readonly [MetricName, MetricName, string])[] = [
  ['rate_derived_ms', 'loss_derived_ms', 'the reply rate stayed below 95 % longer than the lost packets account '
    + 'for: partial loss, several episodes inside the 5 s hold, or a sender pause; read the episodes'],
  ['outage_total_gap_tx_ms', 'loss_derived_ms', 'send-stamp gaps and lost packets disagree: rate changes, '
    + 'reordering, duplicates or sender stalls inside a gap (measurement.md §2.3)'],
];

/** Disagreements between methods among one record's metrics, per flow (flowless metrics as one group). */
export function findDisagreements(metrics: readonly Metric[]): Disagreement[] {
  const groups = new Map<string | undefined, Map<string, Metric>>();
  for (const m of metrics) {
    const g = groups.get(m.flow) ?? new Map<string, Metric>();
    g.set(m.name, m);
    groups.set(m.flow, g);
  }
  const out: Disagreement[] = [];
  for (const [flow, g] of groups) {
    for (const [a, b, why] of PAIRS) {
      const ma = g.get(a);
      const mb = g.get(b);
      if (ma?.value == null || mb?.value == null) continue;
      const allowedMs = (ma.resolutionMs ?? 0) + (mb.resolutionMs ?? 0);
      const diffMs = Math.abs(ma.value - mb.value);
      if (diffMs <= allowedMs) continue;
      const message = `${a} ${formatMs(ma.value, ma.resolutionMs)} and ${b} ${formatMs(mb.value, mb.resolutionMs)}`
        + ` differ by ${formatAtResolution(diffMs, allowedMs)} ms, more than the ± ${formatResolutionValue(allowedMs)} ms`
        + ` their resolutions allow: ${why}`;
      out.push({ flow, a, b, aMs: ma.value, bMs: mb.value, diffMs, allowedMs, message });
    }
  }
  return out;
}
