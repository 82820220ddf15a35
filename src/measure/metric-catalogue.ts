/**
 * The one vocabulary of metric names (pure). Every producer (measure/, the migration executor) names
 * its values from here and every consumer (run records, runs.csv, HTML, trends) reads the same names:
 * there is no renaming anywhere between a probe and a report.
 *
 * `REPORT_METRICS` are the runs.csv metric columns in their fixed order: a published contract
 * (docs/report-columns.md). Append new entries at the END; never rename or reorder. `INTERNAL_METRICS`
 * are computed and shown (CLI, aggregates) but have no runs.csv column.
 */

/** Unit of a metric; also the unit a run record must carry for it. */
/** `mibs`: MiB (2^20 bytes) per second, as the testbed's `bandwidthMiBs`. */
export type MetricUnit = 'ms' | 'pps' | 'pct' | 'count' | 'packets' | 'bytes' | 'bool' | 'mibs';

export interface MetricInfo {
  readonly name: string;
  readonly unit: MetricUnit;
  /** One line: what the value is (the doc's "meaning" column for report metrics). */
  readonly description: string;
}

/** runs.csv metric columns, in column order (append only). */
export const REPORT_METRICS = [
  { name: 'hypervisor_downtime_ms', unit: 'ms', description: 'blackout reported by QEMU/libvirt job statistics' },
  { name: 'event_gap_ms', unit: 'ms', description: 'source SUSPENDED → destination RESUMED from libvirt events' },
  { name: 'gap_tx_ms', unit: 'ms', description: 'longest gap between replies, send timestamps (RFC 6201)' },
  { name: 'gap_rx_ms', unit: 'ms', description: 'longest gap between replies, receive timestamps (RFC 6201)' },
  { name: 'loss_derived_ms', unit: 'ms', description: 'outage = lost packets / probe rate (RFC 6412)' },
  { name: 'rate_derived_ms', unit: 'ms', description: 'time the reply rate stayed below the recovery threshold' },
  { name: 'packets_lost', unit: 'packets', description: 'probe packets lost in the attempt' },
  { name: 'loss_pct', unit: 'pct', description: 'lost / sent × 100' },
  { name: 'episodes_count', unit: 'count', description: 'loss episodes (RFC 3357 loss periods)' },
  { name: 'reconvergence_ms', unit: 'ms', description: 'destination RESUMED → route change at the gateway' },
  { name: 'first_reply_ms', unit: 'ms', description: 'destination RESUMED → first reply after the outage' },
  {
    name: 'stable_rate_ms',
    unit: 'ms',
    description: 'destination RESUMED → reply rate back to ≥ 95 % of the pre-event rate',
  },
  { name: 'rtt_before_ms', unit: 'ms', description: 'path RTT (10th percentile) in the second before the outage' },
  { name: 'rtt_after_ms', unit: 'ms', description: 'path RTT (10th percentile) over the probe\'s last second after the outage (settled path)' },
  { name: 'rtt_step_ms', unit: 'ms', description: '`rtt_after_ms − rtt_before_ms` (tromboning)' },
  { name: 'tcp_survived', unit: 'bool', description: '1 when the TCP session survived the migration, else 0' },
  { name: 'tcp_longest_stall_ms', unit: 'ms', description: 'longest stall of the TCP session' },
  { name: 'migration_total_ms', unit: 'ms', description: 'total migration time (libvirt time_elapsed)' },
  { name: 'setup_ms', unit: 'ms', description: 'migration setup time (libvirt setup_time)' },
  { name: 'memory_transferred_bytes', unit: 'bytes', description: 'guest memory transferred' },
  { name: 'iterations', unit: 'count', description: 'pre-copy iterations' },
  { name: 'loss_period_max_packets', unit: 'packets', description: 'longest loss period (RFC 3357), packets' },
  {
    name: 'loss_distance_min',
    unit: 'count',
    description:
      'shortest loss distance between two loss periods (RFC 3357), sequence numbers; absent with fewer than two',
  },
  {
    name: 'flood_arp_packets', unit: 'packets',
    description: 'broadcast ARP frames flooded in the VM\'s segments during the move window, each frame once',
  },
  {
    name: 'flood_nd_packets', unit: 'packets',
    description: 'IPv6 ND multicast (NS, NA, RS, RA) flooded in the VM\'s segments during the move window, each frame once',
  },
  {
    name: 'flood_unknown_unicast_packets', unit: 'packets',
    description: 'unicast frames flooded for an unknown destination in the VM\'s segments during the move window, each frame once',
  },
  {
    name: 'expected_rtt_step_ms', unit: 'ms',
    description: 'RTT change the move should cause: the VM\'s new distance from the probe host and the strategy\'s detour, from the testbed\'s link delays',
  },
  {
    name: 'rtt_step_excess_ms', unit: 'ms',
    description: '`rtt_step_ms − expected_rtt_step_ms`: the detour the topology does not explain',
  },
  {
    name: 'dirty_rate_mibs', unit: 'mibs',
    description: 'guest memory dirty rate QEMU measured during the move (libvirt memory_dirty_rate × memory_page_size), MiB/s',
  },
] as const satisfies readonly MetricInfo[];

/** Metrics without a runs.csv column. */
export const INTERNAL_METRICS = [
  { name: 'hypervisor_downtime_net_ms', unit: 'ms', description: 'libvirt job stats downtime_net' },
  { name: 'migrate_call_wall_ms', unit: 'ms', description: 'controller: migrate call → job end' },
  {
    name: 'expected_extra_rtt_ms', unit: 'ms',
    description: "RTT via the strategy's path − direct RTT, from link delays",
  },
  { name: 'outage_total_gap_tx_ms', unit: 'ms', description: 'sum of all gaps after the trigger, send timestamps' },
  { name: 'packets_sent', unit: 'packets', description: 'probe packets sent' },
  { name: 'duplicates', unit: 'count', description: 'replies beyond the first for a sequence number' },
  { name: 'reordered', unit: 'count', description: 'reordered replies (RFC 4737)' },
  { name: 'achieved_rate_pps', unit: 'pps', description: 'send rate achieved over the send window' },
  { name: 'rtt_min_ms', unit: 'ms', description: 'smallest RTT of the flow' },
  { name: 'rtt_median_ms', unit: 'ms', description: 'median RTT of the flow' },
  { name: 'rtt_p99_ms', unit: 'ms', description: '99th percentile RTT of the flow' },
  { name: 'rtt_max_ms', unit: 'ms', description: 'largest RTT of the flow' },
] as const satisfies readonly MetricInfo[];

/** A runs.csv metric column. */
export type ReportMetricName = (typeof REPORT_METRICS)[number]['name'];
/** Every metric name vmmi produces. */
export type MetricName = ReportMetricName | (typeof INTERNAL_METRICS)[number]['name'];

/** runs.csv metric columns, in order. */
export const METRIC_NAMES: readonly ReportMetricName[] = REPORT_METRICS.map((m) => m.name);

const BY_NAME: ReadonlyMap<string, MetricInfo> = new Map(
  [...REPORT_METRICS, ...INTERNAL_METRICS].map((m): [string, MetricInfo] => [m.name, m]));

export function metricInfo(name: MetricName): MetricInfo {
  return BY_NAME.get(name) as MetricInfo;
}

/** The unit a metric's name implies; a run record whose unit disagrees is rejected. */
export function metricUnit(name: MetricName): MetricUnit {
  return metricInfo(name).unit;
}

export function isReportMetric(name: string): name is ReportMetricName {
  return (METRIC_NAMES as readonly string[]).includes(name);
}

/**
 * One measured value, from the probe to the report. `method` says how it was obtained: a
 * `MeasureMethod` (types.ts) for values measure/ computes, a short description for the executor's
 * (`libvirt job stats downtime`); `unit` is always `metricUnit(name)`.
 */
export interface Metric {
  readonly name: MetricName;
  /** null: the metric applies but could not be measured (e.g. no recovery); absent metrics are omitted. */
  readonly value: number | null;
  readonly unit: MetricUnit;
  readonly method: string;
  /** ± uncertainty of the value from sampling alone (1/R, Δ or the ping interval), ms; null when not time-based. */
  readonly resolutionMs: number | null;
  /** Clock source of the stamps the value was computed from. */
  readonly clock: string;
  /** Probe flow the value belongs to, for per-flow metrics of a run. */
  readonly flow?: string;
  readonly note?: string;
}

/** A metric with the unit its name implies. */
export function createMetric(name: MetricName, value: number | null, method: string, resolutionMs: number | null,
  clock: string): Metric {
  return { name, value, unit: metricUnit(name), method, resolutionMs, clock };
}
