/**
 * Confidence interval of a proportion (pure). Wilson's score interval: unlike the normal approximation
 * it stays inside [0, 1] and gives a useful upper bound when nothing was seen (0 of 100 corruptions
 * still leaves up to 3.7 % at 95 %), which is what a reliability count needs.
 */

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/** Wilson score interval of k successes in n trials; z = 1.96 for 95 %. n = 0 gives [0, 1]. */
export function wilsonInterval(k: number, n: number, z = 1.96): Interval {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n) {
    throw new RangeError(`wilsonInterval: need integers 0 ≤ k ≤ n, got k=${k} n=${n}`);
  }
  if (n === 0) return { low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
