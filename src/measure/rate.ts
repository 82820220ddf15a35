import type { ProbeSample } from './types.js';
import { txRange } from './util.js';

export interface RateOptions {
  /** Trigger instant on the samples' clock, ms; the event is searched from the bin holding it. */
  readonly triggerMs: number;
  /** Offered rate per flow, pps. */
  readonly ratePps: number;
  /** Sampling interval Δ, ms; raised to 10/R when smaller (vmmi rule: ≥ 10 packets per bin). */
  readonly binMs?: number;
  /** Event when a bin falls below this fraction of the pre-event rate (default 0.95). */
  readonly eventThreshold?: number;
  /** Recovered once every later bin is ≥ this fraction of the pre-event rate (default 0.95). */
  readonly recoveryThreshold?: number;
  /**
   * Sustained-recovery hold, ms (default {@link RECOVERY_HOLD_MS}): the recovery instant is the start of the
   * first bin after the event from which every bin for `holdMs` stays at the recovery threshold (RFC 6413's
   * sustained convergence validation time; verify against the RFC text). A later dip is a later loss
   * episode, not an extension of this convergence: without the hold, ONE lost packet anywhere later in the
   * probe (a 10-packet bin then delivers 90 % < 95 %) moved the recovery instant to it, seconds after the
   * outage. A probe that ends before the hold has elapsed counts as recovered only if every bin to its end is.
   */
  readonly holdMs?: number;
  /**
   * `tx`: bins by send stamp, value = delivered fraction of the packets sent in the bin (immune to
   * receive jitter and pacing drift). `rx`: bins by arrival stamp, value = replies per second (the
   * forwarding rate as the receiver saw it; ±1 packet per bin of binning jitter).
   */
  readonly basis?: 'tx' | 'rx';
}

export interface RateBin {
  readonly startMs: number;
  /** Normalised value: delivered fraction (tx basis) or replies/s (rx basis). */
  readonly value: number;
}

export interface RateConvergence {
  readonly binMs: number;
  readonly basis: 'tx' | 'rx';
  /** Mean bin value before the trigger; undefined when no full bin precedes it. */
  readonly preEvent: number | undefined;
  /** Convergence Event Instant (start of the first bin below the event threshold). */
  readonly eventMs: number | undefined;
  /** Convergence Recovery Instant; undefined when the rate never stayed recovered. */
  readonly recoveryMs: number | undefined;
  /** recovery − event (0 when no event); undefined when not recovered. Uncertain by ±binMs. */
  readonly convergenceMs: number | undefined;
  readonly bins: readonly RateBin[];
}

/** Default sustained-recovery hold of the rate-derived method, ms. */
export const RECOVERY_HOLD_MS = 5000;

/** Rate-derived convergence (RFC 6413) over one flow's samples. */
export function rateConvergence(samples: readonly ProbeSample[], o: RateOptions): RateConvergence {
  const basis = o.basis ?? 'tx';
  const binMs = Math.max(o.binMs ?? 10, 10_000 / o.ratePps);
  const bins = basis === 'tx' ? txBins(samples, binMs) : rxBins(samples, binMs);
  const none = { binMs, basis, bins, eventMs: undefined, recoveryMs: undefined };
  const pre = bins.filter((b) => b.startMs + binMs <= o.triggerMs);
  if (pre.length === 0) return { ...none, preEvent: undefined, convergenceMs: undefined };
  const preEvent = pre.reduce((a, b) => a + b.value, 0) / pre.length;
  const evLimit = preEvent * (o.eventThreshold ?? 0.95);
  const recLimit = preEvent * (o.recoveryThreshold ?? 0.95);
  const evIdx = bins.findIndex((b) => b.startMs + binMs > o.triggerMs && b.value < evLimit);
  if (evIdx < 0) return { ...none, preEvent, convergenceMs: 0 };
  const recIdx = sustainedFrom(bins, evIdx + 1, recLimit, o.holdMs ?? RECOVERY_HOLD_MS);
  const ev = bins[evIdx] as RateBin;
  const rec = recIdx === undefined ? undefined : bins[recIdx];
  if (rec === undefined) return { ...none, preEvent, eventMs: ev.startMs, convergenceMs: undefined };
  return { ...none, preEvent, eventMs: ev.startMs, recoveryMs: rec.startMs, convergenceMs: rec.startMs - ev.startMs };
}

/**
 * First bin index ≥ `from` from which every bin within `holdMs` is at `limit`; undefined when none. A
 * candidate whose hold runs past the last bin needs every bin to the end at the limit.
 */
function sustainedFrom(bins: readonly RateBin[], from: number, limit: number, holdMs: number): number | undefined {
  let nextBad: number | undefined; // index of the nearest bin below the limit at or after k
  let found: number | undefined;
  for (let k = bins.length - 1; k >= from; k--) {
    const b = bins[k] as RateBin;
    if (b.value < limit) nextBad = k;
    else if (nextBad === undefined || (bins[nextBad] as RateBin).startMs >= b.startMs + holdMs) found = k;
  }
  return found;
}

function txBins(samples: readonly ProbeSample[], binMs: number): RateBin[] {
  if (samples.length === 0) return [];
  const t0 = txRange(samples).minMs;
  const sent: number[] = [];
  const got: number[] = [];
  for (const s of samples) {
    const k = Math.floor((s.txMs - t0) / binMs);
    sent[k] = (sent[k] ?? 0) + 1;
    if (s.rxMs !== undefined) got[k] = (got[k] ?? 0) + 1;
  }
  const out: RateBin[] = [];
  for (let k = 0; k < sent.length; k++) {
    const n = sent[k];
    if (n === undefined) continue; // sender stall: no packets offered, nothing to judge
    out.push({ startMs: t0 + k * binMs, value: (got[k] ?? 0) / n });
  }
  return out;
}

function rxBins(samples: readonly ProbeSample[], binMs: number): RateBin[] {
  if (samples.length === 0) return [];
  const { minMs: t0, maxMs: lastTx } = txRange(samples);
  const nBins = Math.floor((lastTx - t0) / binMs); // only bins fully inside the send window
  const got = new Array<number>(nBins).fill(0);
  for (const s of samples) {
    if (s.rxMs === undefined) continue;
    const k = Math.floor((s.rxMs - t0) / binMs);
    if (k >= 0 && k < nBins) got[k] = (got[k] as number) + 1;
  }
  return got.map((n, k) => ({ startMs: t0 + k * binMs, value: (n * 1000) / binMs }));
}
