/**
 * Data-plane measurement types. Every number vmmi reports is a `Metric` (metric-catalogue.ts): it names its method,
 * its resolution and the clock it was taken on, so a report cell reads
 * `26 ms ± 1 ms, loss-derived @1 kpps, clock host-monotonic`.
 */

/** How a number was obtained (measurement.md §2). */
export type MeasureMethod =
  | 'gap_tx' // send timestamps of the last reply before / first after an episode (RFC 6201 timestamp, tx basis)
  | 'gap_rx' // longest silence between reply arrivals across the gap (RFC 6201 style, includes an RTT step)
  | 'loss-derived' // lost / offered rate (RFC 6412/6413)
  | 'rate-derived' // sampled forwarding rate against thresholds (RFC 6413)
  | 'rtt' // round-trip statistics of replies
  | 'rtt-step' // path RTT (10th percentile) after − before an instant
  | 'count' // plain counters (sent, lost, duplicates, reordered)
  | 'coarse'; // ICMP ping fallback: resolution = ping interval

export type { Metric, MetricName, MetricUnit, ReportMetricName } from './metric-catalogue.js';

/**
 * One probe packet of one flow. Times are ms on the probe's monotonic clock (`clock` of the flow).
 * A packet that was sent but never answered has `rxMs === undefined`.
 */
export interface ProbeSample {
  readonly flow: string;
  readonly seq: number;
  /** Send stamp, ms (monotonic). */
  readonly txMs: number;
  /** Arrival stamp of the first reply, ms (monotonic); undefined = lost. */
  readonly rxMs: number | undefined;
  /** Replies received beyond the first (duplicates). */
  readonly dupCount: number;
  /** Position of the first reply in the flow's arrival order (0-based); undefined = lost. */
  readonly arrival: number | undefined;
}

/** What was configured for a flow; the measurement compares the achieved run against it. */
export interface FlowSpec {
  readonly name: string;
  /** Configured per-flow offered rate, packets/s. */
  readonly ratePps: number;
  /** Packets the probe was asked to send (count bound, after the duration bound was applied). */
  readonly plannedPackets: number;
  /** Clock source of the samples, e.g. `host-monotonic:local`. */
  readonly clock: string;
  /** True when the clock is not the controller's (remote agent, unknown sync): degraded, no verdicts. */
  readonly remoteClock?: boolean;
}

/**
 * RFC 3357 loss period: a maximal run of consecutive lost sequence numbers.
 * `startMs` = send stamp of the first lost packet; `endMs` = send stamp of the first packet received
 * after the run (or, for an open episode, last lost send stamp + 1/R).
 */
export interface LossEpisode {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly lost: number;
  readonly startMs: number;
  readonly endMs: number;
  /** RFC 3357 loss distance: firstSeq − previous episode's lastSeq; undefined for the first. */
  readonly lossDistance: number | undefined;
  /** True when no reply followed the run (the flow never recovered before the probe ended). */
  readonly open: boolean;
}

/**
 * Where a flow's packets lost before the trigger were sent, as distances before the trigger (a clock every
 * flow of an attempt shares), and how long the flow's baseline was, ms.
 */
export interface BaselineLossSpan {
  readonly firstBeforeTriggerMs: number;
  readonly lastBeforeTriggerMs: number;
  readonly baselineMs: number;
}

export type HealthStatus = 'ok' | 'degraded' | 'errored';

export type HealthRule =
  | 'no-baseline'
  | 'loss-before-trigger'
  | 'probe-failed'
  | 'stopped-early'
  | 'rate-below-configured'
  | 'no-recovery'
  | 'clock-unknown'
  | 'sender-stall'
  | 'empty-stream';

export interface HealthReason {
  readonly rule: HealthRule;
  readonly status: Exclude<HealthStatus, 'ok'>;
  readonly detail: string;
}

/** Measurement health, separate from the test verdict; `errored` overrides pass/fail. */
export interface MeasurementHealth {
  readonly status: HealthStatus;
  readonly reasons: readonly HealthReason[];
}

/** How the probe process ended, as reported by the agent (or by the runner when it failed). */
export interface ProbeEnd {
  readonly reason: 'complete' | 'aborted' | 'error';
  readonly detail?: string;
  /** Packets actually sent. */
  readonly sent: number;
}
