import type { ProbeSample } from './types.js';
import { bySeq } from './util.js';

/**
 * One interruption bounded by two replies (RFC 6201 timestamp method). `gapTxMs` uses the send
 * stamps carried in the payload (immune to receive-side jitter; `(L + 1)/R` for constant R);
 * `gapRxMs` is what the application saw: the longest silence between consecutive reply arrivals
 * (arrival order) from the last arrival before the interruption to the reply that ends it, so it
 * also holds any RTT step across the outage and any reply held back across it (a request the VM
 * received just before it paused is answered only after it resumed: the arrival stamps of the two
 * bounding replies alone would then read a gap shorter than the send side's).
 * `downtimeRxMs` = gap_rx − one nominal interval. `downtimeTxMs` = gap_tx − the mean of the two
 * edges' actual send intervals: the interruption began within the first edge and ended within the
 * second, so this is the middle of the possible lengths. At steady pacing it equals gap_tx − 1/R;
 * when the sender paused or sent a burst on an edge (a loaded host, the pacing quantum at 10 kpps)
 * it does not add that pause to the outage.
 */
export interface TimestampGap {
  readonly beforeSeq: number;
  readonly afterSeq: number;
  readonly lost: number;
  readonly gapTxMs: number;
  readonly gapRxMs: number;
  readonly downtimeTxMs: number;
  readonly downtimeRxMs: number;
  /** Send stamp of the last packet answered before the gap, ms. */
  readonly startTxMs: number;
  /**
   * Send-side width of each edge, ms: the interruption began between the sends of `beforeSeq` and the
   * next packet (`startEdgeTxMs` = their send interval) and ended between the sends of the packet
   * before `afterSeq` and `afterSeq` (`endEdgeTxMs`). At steady pacing both are 1/R; a sender pause
   * on an edge widens it, and the gap then holds up to that pause on top of the interruption.
   */
  readonly startEdgeTxMs: number;
  readonly endEdgeTxMs: number;
}

/**
 * Every gap between two consecutively answered sequence numbers with loss between them, in sequence
 * order. Loss before the first reply or after the last one has no bounding pair and is not a gap
 * (it shows as an open or leading episode instead).
 */
export function timestampGaps(samples: readonly ProbeSample[], intervalMs: number): TimestampGap[] {
  const out: TimestampGap[] = [];
  const sorted = bySeq(samples);
  const arrivals = sorted.flatMap((x) => (x.rxMs === undefined ? [] : [x.rxMs])).sort((a, b) => a - b);
  let prev: ProbeSample | undefined;
  let prevIdx = -1;
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i] as ProbeSample;
    if (s.rxMs === undefined) continue;
    if (prev !== undefined && prev.rxMs !== undefined && s.seq - prev.seq > 1) {
      const gapTxMs = s.txMs - prev.txMs;
      const gapRxMs = longestArrivalSilence(arrivals, prev.txMs, s.rxMs);
      // Neighbours in send order; a sequence number never sent has no sample, so fall back to the gap.
      const firstLost = sorted[prevIdx + 1];
      const lastLost = sorted[i - 1];
      const known = firstLost !== undefined && lastLost !== undefined && i - 1 > prevIdx;
      const startEdgeTxMs = known ? firstLost.txMs - prev.txMs : gapTxMs;
      const endEdgeTxMs = known ? s.txMs - lastLost.txMs : gapTxMs;
      // Without the lost packets' send stamps the edges are unknown: one nominal interval each.
      const meanEdge = known ? (startEdgeTxMs + endEdgeTxMs) / 2 : intervalMs;
      out.push({
        beforeSeq: prev.seq,
        afterSeq: s.seq,
        lost: s.seq - prev.seq - 1,
        gapTxMs,
        gapRxMs,
        downtimeTxMs: gapTxMs - meanEdge,
        downtimeRxMs: gapRxMs - intervalMs,
        startTxMs: prev.txMs,
        startEdgeTxMs,
        endEdgeTxMs,
      });
    }
    prev = s;
    prevIdx = i;
  }
  return out;
}

/** Index of the first element of ascending `xs` that is ≥ `v` (xs.length when none). */
function lowerBound(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Longest interval between consecutive arrivals (ascending `arrivals`) from the last arrival before
 * `fromMs` (the send of the last request answered before the interruption) up to `toMs` (the arrival
 * of the reply that ends it).
 */
function longestArrivalSilence(arrivals: readonly number[], fromMs: number, toMs: number): number {
  const first = Math.max(0, lowerBound(arrivals, fromMs) - 1);
  const last = lowerBound(arrivals, toMs);
  let best = 0;
  for (let k = first; k < last && k + 1 < arrivals.length; k++)
    best = Math.max(best, (arrivals[k + 1] as number) - (arrivals[k] as number));
  return best;
}

/**
 * Uncertainty of `downtimeTxMs`, ms: the interruption lasted between `gapTx − startEdge − endEdge` and
 * `gapTx`; `downtimeTxMs` is the middle of that interval and this is half its width (1/R at steady
 * pacing, more when the sender paused on an edge).
 */
export function downtimeTxUncertaintyMs(g: TimestampGap): number {
  return (g.startEdgeTxMs + g.endEdgeTxMs) / 2;
}

/** The gap with the longest downtime on the given basis, or undefined when there is none. */
export function longestGap(gaps: readonly TimestampGap[], basis: 'tx' | 'rx' = 'tx'): TimestampGap | undefined {
  let best: TimestampGap | undefined;
  for (const g of gaps) {
    const v = basis === 'tx' ? g.downtimeTxMs : g.downtimeRxMs;
    if (best === undefined || v > (basis === 'tx' ? best.downtimeTxMs : best.downtimeRxMs)) best = g;
  }
  return best;
}

/**
 * Consistency check of §2.3: for one episode at constant R, `gap_tx − 1/R ≈ L/R`. Returns the
 * difference (ms); a magnitude above `toleranceMs` means rate changes, reordering or sender stalls
 * inside the gap, and the gap should be reported with its episodes, not as one number.
 */
export function gapLossMismatchMs(gap: TimestampGap, intervalMs: number): number {
  return gap.downtimeTxMs - gap.lost * intervalMs;
}
