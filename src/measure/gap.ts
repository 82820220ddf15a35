import type { ProbeSample } from './types.js';
import { bySeq } from './util.js';

/**
 * One interruption bounded by two replies (RFC 6201 timestamp method). `gapTxMs` uses the send
 * stamps carried in the payload (immune to receive-side jitter; `(L + 1)/R` for constant R);
 * `gapRxMs` uses the arrival stamps and so also holds any RTT step across the outage.
 * `downtime*Ms` = gap − one interval.
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
}

/**
 * Every gap between two consecutively answered sequence numbers with loss between them, in sequence
 * order. Loss before the first reply or after the last one has no bounding pair and is not a gap
 * (it shows as an open or leading episode instead).
 */
export function timestampGaps(samples: readonly ProbeSample[], intervalMs: number): TimestampGap[] {
  const out: TimestampGap[] = [];
  let prev: ProbeSample | undefined;
  for (const s of bySeq(samples)) {
    if (s.rxMs === undefined) continue;
    if (prev !== undefined && prev.rxMs !== undefined && s.seq - prev.seq > 1) {
      const gapTxMs = s.txMs - prev.txMs;
      const gapRxMs = s.rxMs - prev.rxMs;
      out.push({
        beforeSeq: prev.seq,
        afterSeq: s.seq,
        lost: s.seq - prev.seq - 1,
        gapTxMs,
        gapRxMs,
        downtimeTxMs: gapTxMs - intervalMs,
        downtimeRxMs: gapRxMs - intervalMs,
        startTxMs: prev.txMs,
      });
    }
    prev = s;
  }
  return out;
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
