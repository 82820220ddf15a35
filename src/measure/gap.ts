import type { ProbeSample } from './types.js';
import { bySeq } from './util.js';

/**
 * One interruption bounded by two replies (RFC 6201 timestamp method). `gapTxMs` uses the send
 * stamps carried in the payload (immune to receive-side jitter; `(L + 1)/R` for constant R);
 * `gapRxMs` uses the arrival stamps and so also holds any RTT step across the outage.
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
  let prev: ProbeSample | undefined;
  let prevIdx = -1;
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i] as ProbeSample;
    if (s.rxMs === undefined) continue;
    if (prev !== undefined && prev.rxMs !== undefined && s.seq - prev.seq > 1) {
      const gapTxMs = s.txMs - prev.txMs;
      const gapRxMs = s.rxMs - prev.rxMs;
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
