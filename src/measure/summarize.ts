import { lossEpisodes, lossPeriodStats } from './episodes.js';
import { methodText } from './format.js';
import { longestGap, timestampGaps, type TimestampGap } from './gap.js';
import { assessFlowHealth, STARVED_PAUSE_MS } from './health.js';
import { countLoss, lossDerivedDowntimeMs, type LossCount } from './loss.js';
import { rateConvergence, type RateConvergence } from './rate.js';
import { reorderStats, type ReorderStats } from './reorder.js';
import { rttStats, rttStep, type RttStats, type RttStep } from './rtt.js';
import { createMetric } from './metric-catalogue.js';
import type {
  BaselineLossSpan, FlowSpec, LossEpisode, MeasureMethod, MeasurementHealth, Metric, MetricName, ProbeEnd, ProbeSample,
} from './types.js';
import { bySeq } from './util.js';
import { defined } from '../model/defined.js';

export interface SummarizeInput {
  readonly spec: FlowSpec;
  readonly samples: readonly ProbeSample[];
  /** undefined = the probe produced no result (ERRORED). */
  readonly end: ProbeEnd | undefined;
  /** Trigger instant on the samples' clock, ms. */
  readonly triggerMs?: number;
  /** Rate-derived sampling interval Δ, ms (default 10, raised to 10/R). */
  readonly binMs?: number;
  /** RTT step window either side of the outage, ms (default 1000). */
  readonly rttWindowMs?: number;
  readonly minBaselineMs?: number;
  readonly guestHealthy?: boolean;
}

/** Everything vmmi reports about one flow; each number also appears as a labelled {@link Metric}. */
export interface FlowResult {
  readonly flow: string;
  readonly health: MeasurementHealth;
  readonly counts: LossCount & ReorderStats;
  readonly achievedRatePps: number;
  /** Widest interval between consecutive sends, ms: the sender's longest pause. */
  readonly maxTxIntervalMs: number;
  /** Packets lost before the trigger within 100 ms of a sender pause over 10 ms (starvation evidence). */
  readonly baselineLossNearPause: number;
  /** The longest run of consecutive lost packets sent before the trigger (undefined: none lost). */
  readonly baselineBurst: BaselineBurst | undefined;
  readonly baselineLossSpan: BaselineLossSpan | undefined;
  /** 1 / achieved rate, ms: the resolution of the loss and gap methods. */
  readonly resolutionMs: number;
  readonly episodes: readonly LossEpisode[];
  readonly gaps: readonly TimestampGap[];
  readonly rate: RateConvergence | undefined;
  readonly rtt: RttStats | undefined;
  readonly rttStep: RttStep | undefined;
  /** Counts of the packets sent before the trigger (the baseline); undefined without a trigger. */
  readonly baseline: LossCount | undefined;
  /** Arrival stamp of the first reply after the largest episode that began at or after the trigger, ms. */
  readonly firstReplyAfterMs: number | undefined;
  readonly metrics: readonly Metric[];
}

/** One FlowResult from a flow's samples and the trigger instant (pure). */
export function summarizeFlow(i: SummarizeInput): FlowResult {
  const samples = bySeq(i.samples);
  const { achievedRatePps, maxTxIntervalMs } = sendStats(samples, i.spec.ratePps);
  const resolutionMs = 1000 / achievedRatePps;
  const episodes = lossEpisodes(samples, resolutionMs);
  const gaps = timestampGaps(samples, resolutionMs);
  const health = assessFlowHealth({
    spec: i.spec, end: i.end, samples, episodes, triggerMs: i.triggerMs, achievedRatePps, maxTxIntervalMs,
    ...defined({ minBaselineMs: i.minBaselineMs, guestHealthy: i.guestHealthy }),
  });
  const counts = { ...countLoss(samples), ...reorderStats(samples) };
  const after = i.triggerMs === undefined ? counts : countLoss(samples, i.triggerMs);
  const rate = i.triggerMs === undefined || samples.length === 0 ? undefined
    : rateConvergence(samples, { triggerMs: i.triggerMs, ratePps: achievedRatePps, ...defined({ binMs: i.binMs }) });
  const rtt = rttStats(samples);
  // The move's outage: the longest loss episode from the trigger on (a blip late in the tail is not it).
  const outageEp = episodes.filter((e) => i.triggerMs === undefined || e.startMs >= i.triggerMs)
    .reduce<(typeof episodes)[number] | undefined>((a, e) => (a === undefined || e.lost > a.lost ? e : a), undefined);
  const step = i.triggerMs === undefined ? undefined
    : rttStep(samples, i.triggerMs, { windowMs: i.rttWindowMs ?? 1000,
      afterFromMs: settledFromMs(samples, outageEp?.endMs ?? i.triggerMs, i.rttWindowMs ?? 1000) });

  const baseline = i.triggerMs === undefined ? undefined : countLoss(samples, -Infinity, i.triggerMs);
  const metrics = flowMetrics(i, {
    resolutionMs, achievedRatePps, episodes, gaps, counts, lostAfter: after.lost, rate, rtt, step,
  });
  return {
    flow: i.spec.name, health, counts, achievedRatePps, maxTxIntervalMs,
    baselineLossNearPause: i.triggerMs === undefined ? 0 : lossNearPauses(samples, i.triggerMs),
    baselineBurst: i.triggerMs === undefined ? undefined : longestBurstBefore(samples, i.triggerMs),
    baselineLossSpan: i.triggerMs === undefined ? undefined : baselineLossSpan(samples, i.triggerMs),
    resolutionMs, episodes, gaps, rate, rtt, rttStep: step,
    baseline,
    firstReplyAfterMs: firstReplyAfter(samples, episodes, i.triggerMs), metrics,
  };
}

/** Arrival of the first reply sent after the largest episode that began at or after the trigger. */
function firstReplyAfter(sorted: readonly ProbeSample[], episodes: readonly LossEpisode[],
  triggerMs: number | undefined): number | undefined {
  if (triggerMs === undefined) return undefined;
  const outage = episodes.filter((e) => e.startMs >= triggerMs)
    .reduce<LossEpisode | undefined>((a, e) => (a === undefined || e.lost > a.lost ? e : a), undefined);
  return outage === undefined ? undefined : sorted.find((s) => s.txMs >= outage.endMs && s.rxMs !== undefined)?.rxMs;
}

interface Computed {
  readonly resolutionMs: number;
  readonly achievedRatePps: number;
  readonly episodes: readonly LossEpisode[];
  readonly gaps: readonly TimestampGap[];
  readonly counts: LossCount & ReorderStats;
  readonly lostAfter: number;
  readonly rate: RateConvergence | undefined;
  readonly rtt: RttStats | undefined;
  readonly step: RttStep | undefined;
}

/** The flow's figures as labelled metrics (names from the metric catalogue). */
function flowMetrics(i: SummarizeInput, c: Computed): Metric[] {
  const { resolutionMs, episodes, counts, rate, rtt, step } = c;
  const m: Metric[] = [];
  const add = (name: MetricName, value: number, method: MeasureMethod, res: number): void =>
    void m.push(createMetric(name, value, methodText(method, c.achievedRatePps), res, i.spec.clock));
  const relevant = i.triggerMs === undefined ? c.gaps
    : c.gaps.filter((g) => g.startTxMs >= (i.triggerMs as number) - resolutionMs);
  const lgTx = longestGap(relevant, 'tx');
  const lgRx = longestGap(relevant, 'rx');
  if (!episodes.some((e) => e.open) || lgTx !== undefined) {
    add('gap_tx_ms', lgTx?.downtimeTxMs ?? 0, 'gap_tx', resolutionMs);
    add('gap_rx_ms', lgRx?.downtimeRxMs ?? 0, 'gap_rx', resolutionMs);
    const total = relevant.reduce((a, g) => a + g.downtimeTxMs, 0);
    add('outage_total_gap_tx_ms', total, 'gap_tx', resolutionMs * Math.max(1, relevant.length));
  }
  add('loss_derived_ms', lossDerivedDowntimeMs(c.lostAfter, c.achievedRatePps), 'loss-derived', resolutionMs);
  if (rate?.convergenceMs !== undefined) add('rate_derived_ms', rate.convergenceMs, 'rate-derived', rate.binMs);
  add('packets_sent', counts.sent, 'count', 0);
  add('packets_lost', counts.lost, 'count', 0);
  add('loss_pct', counts.lossPct, 'count', 0);
  add('episodes_count', episodes.length, 'count', 0);
  add('duplicates', counts.duplicates, 'count', 0);
  add('reordered', counts.reordered, 'count', 0);
  add('achieved_rate_pps', c.achievedRatePps, 'count', 0);
  const periods = lossPeriodStats(episodes);
  add('loss_period_max_packets', periods.maxPeriodPackets, 'count', 0);
  if (periods.minDistance !== undefined) add('loss_distance_min', periods.minDistance, 'count', 0);
  if (rtt !== undefined) {
    add('rtt_min_ms', rtt.minMs, 'rtt', 0);
    add('rtt_median_ms', rtt.medianMs, 'rtt', 0);
    add('rtt_p99_ms', rtt.p99Ms, 'rtt', 0);
    add('rtt_max_ms', rtt.maxMs, 'rtt', 0);
  }
  if (step !== undefined) {
    add('rtt_before_ms', step.beforeMs, 'rtt', 0);
    add('rtt_after_ms', step.afterMs, 'rtt', 0);
    add('rtt_step_ms', step.stepMs, 'rtt-step', 0);
  }
  return m;
}

/** Achieved send rate over the send window and the largest send interval (pacing stall). */
/**
 * Start of the RTT-after window: the last `windowMs` the probe sent, or the end of the move's outage
 * when that is later. The path settles after the outage (routers install their routes one after
 * another, about 100 ms apart): a window right after the outage mixed the old path's RTT with the new
 * one's, and the settled RTT is what "after the move" means. A short loss late in the tail does not move
 * the window: it had shrunk it to the last 29 ms of a probe, inside a guest stall.
 */
function settledFromMs(sortedBySeq: readonly ProbeSample[], afterOutageMs: number, windowMs: number): number {
  const lastTx = sortedBySeq.at(-1)?.txMs;
  return lastTx === undefined ? afterOutageMs : Math.max(afterOutageMs, lastTx - windowMs);
}

/**
 * Lost packets sent before `beforeMs` within `windowMs` of a sender pause (consecutive sends more than
 * `pauseMs` apart, default the starvation rule's {@link STARVED_PAUSE_MS}). Loss right around a pause
 * points at a starved host; loss scattered over the baseline (a lossy path) does not. Pure.
 */
/** Consecutive lost packets: how many, send stamps of the first and last, how long before the trigger it ended, ms. */
export interface BaselineBurst {
  readonly lost: number;
  readonly firstTxMs: number;
  readonly lastTxMs: number;
  readonly endedBeforeTriggerMs: number;
}

/** The longest run of consecutive lost packets among those sent before `beforeMs` (samples by seq). */
export function longestBurstBefore(sortedBySeq: readonly ProbeSample[], beforeMs: number): BaselineBurst | undefined {
  let best: BaselineBurst | undefined;
  let run: { lost: number; firstTxMs: number; lastTxMs: number } | undefined;
  for (const s of sortedBySeq) {
    if (s.txMs >= beforeMs) break;
    if (s.rxMs !== undefined) {
      run = undefined;
      continue;
    }
    run = run === undefined ? { lost: 1, firstTxMs: s.txMs, lastTxMs: s.txMs }
      : { ...run, lost: run.lost + 1, lastTxMs: s.txMs };
    if (best === undefined || run.lost > best.lost) best = { ...run, endedBeforeTriggerMs: beforeMs - run.lastTxMs };
  }
  return best;
}

/** Where the packets lost before `beforeMs` were sent (relative to it), the baseline's length; none without loss. */
export function baselineLossSpan(sortedBySeq: readonly ProbeSample[], beforeMs: number): BaselineLossSpan | undefined {
  const first = sortedBySeq[0];
  const lost = sortedBySeq.filter((s) => s.rxMs === undefined && s.txMs < beforeMs);
  const a = lost[0];
  const z = lost.at(-1);
  if (first === undefined || a === undefined || z === undefined) return undefined;
  return { firstBeforeTriggerMs: beforeMs - a.txMs, lastBeforeTriggerMs: beforeMs - z.txMs,
    baselineMs: beforeMs - first.txMs };
}

export function lossNearPauses(
  sortedBySeq: readonly ProbeSample[],
  beforeMs: number,
  o: { readonly pauseMs?: number; readonly windowMs?: number } = {},
): number {
  const pauseMs = o.pauseMs ?? STARVED_PAUSE_MS;
  const windowMs = o.windowMs ?? 100;
  const pauses: [number, number][] = [];
  for (let k = 1; k < sortedBySeq.length; k++) {
    const a = (sortedBySeq[k - 1] as ProbeSample).txMs;
    const b = (sortedBySeq[k] as ProbeSample).txMs;
    if (b - a > pauseMs) pauses.push([a - windowMs, b + windowMs]);
  }
  if (pauses.length === 0) return 0;
  return sortedBySeq.filter((s) => s.rxMs === undefined && s.txMs < beforeMs
    && pauses.some(([from, to]) => s.txMs >= from && s.txMs <= to)).length;
}

export function sendStats(
  sortedBySeq: readonly ProbeSample[],
  fallbackPps: number,
): { achievedRatePps: number; maxTxIntervalMs: number } {
  let maxTxIntervalMs = 0;
  for (let k = 1; k < sortedBySeq.length; k++) {
    const d = (sortedBySeq[k] as ProbeSample).txMs - (sortedBySeq[k - 1] as ProbeSample).txMs;
    if (d > maxTxIntervalMs) maxTxIntervalMs = d;
  }
  const first = sortedBySeq[0];
  const last = sortedBySeq[sortedBySeq.length - 1];
  if (first === undefined || last === undefined || last.txMs <= first.txMs)
    return { achievedRatePps: fallbackPps, maxTxIntervalMs };
  return { achievedRatePps: ((sortedBySeq.length - 1) * 1000) / (last.txMs - first.txMs), maxTxIntervalMs };
}
