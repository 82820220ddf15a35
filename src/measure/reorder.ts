import type { ProbeSample } from './types.js';

export interface ReorderStats {
  /** RFC 4737 reordered packets: arrived with a sequence number below the next expected one. */
  readonly reordered: number;
  /** Largest sequence distance a reordered packet arrived late by. */
  readonly maxExtent: number;
  /** Replies beyond the first for the same sequence number. */
  readonly duplicates: number;
}

/** Reordering and duplicates of one flow, from the arrival order of first replies. */
export function reorderStats(samples: readonly ProbeSample[]): ReorderStats {
  const arrived = samples
    .filter((s) => s.arrival !== undefined)
    .sort((a, b) => (a.arrival as number) - (b.arrival as number));
  let nextExp = -Infinity;
  let reordered = 0;
  let maxExtent = 0;
  for (const s of arrived) {
    if (s.seq < nextExp) {
      reordered++;
      maxExtent = Math.max(maxExtent, nextExp - 1 - s.seq);
    } else {
      nextExp = s.seq + 1;
    }
  }
  const duplicates = samples.reduce((a, s) => a + s.dupCount, 0);
  return { reordered, maxExtent, duplicates };
}
