import type { LossEpisode, ProbeSample } from './types.js';
import { bySeq } from './util.js';

/**
 * RFC 3357 loss periods of one flow: every maximal run of consecutive lost sequence numbers, in
 * sequence order. `intervalMs` (1/R) closes an episode that no reply followed.
 */
export function lossEpisodes(samples: readonly ProbeSample[], intervalMs: number): LossEpisode[] {
  const s = bySeq(samples);
  const out: LossEpisode[] = [];
  let i = 0;
  while (i < s.length) {
    const first = s[i] as ProbeSample;
    if (first.rxMs !== undefined) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < s.length && (s[j + 1] as ProbeSample).rxMs === undefined) j++;
    const last = s[j] as ProbeSample;
    const next = s[j + 1];
    const prev = out[out.length - 1];
    out.push({
      firstSeq: first.seq,
      lastSeq: last.seq,
      lost: j - i + 1,
      startMs: first.txMs,
      endMs: next === undefined ? last.txMs + intervalMs : next.txMs,
      lossDistance: prev === undefined ? undefined : first.seq - prev.lastSeq,
      open: next === undefined,
    });
    i = j + 1;
  }
  return out;
}

/** RFC 3357 loss-period statistics of one flow's episodes. */
export interface LossPeriodStats {
  /** Longest loss period, packets (0 without loss). */
  readonly maxPeriodPackets: number;
  /** Shortest loss distance between consecutive periods, sequence numbers; undefined with fewer than two. */
  readonly minDistance: number | undefined;
}

export function lossPeriodStats(episodes: readonly LossEpisode[]): LossPeriodStats {
  let maxPeriodPackets = 0;
  let minDistance: number | undefined;
  for (const e of episodes) {
    maxPeriodPackets = Math.max(maxPeriodPackets, e.lost);
    if (e.lossDistance !== undefined) minDistance = Math.min(minDistance ?? Infinity, e.lossDistance);
  }
  return { maxPeriodPackets, minDistance };
}

/** Episodes in the compact report form `[startMs − originMs, lengthMs]`. */
export function episodePairs(episodes: readonly LossEpisode[], originMs: number): [number, number][] {
  return episodes.map((e) => [e.startMs - originMs, e.endMs - e.startMs]);
}
