/**
 * Deterministic pseudo-random numbers for the bad-input corpora. Pure: no clock, no `Math.random`.
 * Every generated input is derived from `(corpus seed, index)` alone, so a failure report that names
 * the seed and the index reproduces the exact input without replaying the inputs before it.
 */

/** A seeded generator; `next()` is uniform over [0, 2^32). */
export interface Rng {
  /** Next unsigned 32-bit value. */
  next(): number;
  /** Uniform integer in [0, n) (n ≥ 1). */
  int(n: number): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: 32-bit state, period 2^32, good enough to spread mutations (not for cryptography). */
export function mulberry32(seed: number): Rng {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const int = (n: number): number => (n <= 1 ? 0 : Math.floor((next() / 4294967296) * n));
  return {
    next,
    int,
    range: (lo, hi) => lo + int(hi - lo + 1),
    chance: (p) => next() / 4294967296 < p,
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
  };
}

/** Mixes a corpus seed and an input index into an independent stream seed (splitmix-style avalanche). */
export function seedFor(corpusSeed: number, index: number): number {
  let h = (corpusSeed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The generator for input `index` of a corpus. */
export function rngFor(corpusSeed: number, index: number): Rng {
  return mulberry32(seedFor(corpusSeed, index));
}
