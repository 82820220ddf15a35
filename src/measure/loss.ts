import type { ProbeSample } from './types.js';

export interface LossCount {
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  /** lost / sent × 100; 0 when nothing was sent. */
  readonly lossPct: number;
}

/** Sent, received and lost packets among samples (optionally only those sent in [fromMs, toMs)). */
export function countLoss(samples: readonly ProbeSample[], fromMs = -Infinity, toMs = Infinity): LossCount {
  let sent = 0;
  let received = 0;
  for (const s of samples) {
    if (s.txMs < fromMs || s.txMs >= toMs) continue;
    sent++;
    if (s.rxMs !== undefined) received++;
  }
  const lost = sent - received;
  return { sent, received, lost, lossPct: sent === 0 ? 0 : (lost / sent) * 100 };
}

/**
 * Loss-derived downtime (RFC 6412/6413): `T = L / R`, with R the per-flow offered rate (pps).
 * Assumes one contiguous window of total loss at constant load; accurate to ±1/R.
 */
export function lossDerivedDowntimeMs(lost: number, ratePps: number): number {
  return (lost / ratePps) * 1000;
}
