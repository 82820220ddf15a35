import type { ProbeSample } from './types.js';

/** Samples ordered by sequence number (copy; input untouched). */
export function bySeq(samples: readonly ProbeSample[]): ProbeSample[] {
  return [...samples].sort((a, b) => a.seq - b.seq);
}

/** Nearest-rank percentile (p in 0..100) of an ascending array; undefined when empty. */
export function percentile(sortedAsc: readonly number[], p: number): number | undefined {
  if (sortedAsc.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sortedAsc.length);
  return sortedAsc[Math.min(sortedAsc.length, Math.max(1, rank)) - 1];
}

/** Median (mean of the two middle values for even counts); undefined when empty. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Interval between packets of a flow at `ratePps`, ms. */
export function intervalMs(ratePps: number): number {
  return 1000 / ratePps;
}

/** Smallest and largest send stamp (loop, not spread: streams hold up to millions of samples). */
export function txRange(samples: readonly ProbeSample[]): { minMs: number; maxMs: number } {
  let minMs = Infinity;
  let maxMs = -Infinity;
  for (const s of samples) {
    if (s.txMs < minMs) minMs = s.txMs;
    if (s.txMs > maxMs) maxMs = s.txMs;
  }
  return { minMs, maxMs };
}
