/**
 * Statistics of a repeated measurement (pure): median, p95, min and max of the repetitions' values, and
 * a 95 % percentile-bootstrap confidence interval for the median and for p95.
 *
 * Why bootstrap: outage figures are not normal (a long tail of slow moves), so no closed-form interval
 * holds; resampling the repetitions with replacement makes no assumption about their shape. Its limits
 * are stated, not hidden: with fewer than MIN_BOOTSTRAP_N values there is no interval (undefined), and
 * with few values the interval of p95 is no narrower than the data's upper range. The resampling uses a
 * PRNG seeded from the values, so the same repetitions always give the same interval (a report
 * regenerated from history shows the figures it showed the night it ran).
 */
import { percentile } from './util.js';

/** Fewer repetitions than this give no confidence interval. */
export const MIN_BOOTSTRAP_N = 3;
export const DEFAULT_RESAMPLES = 2000;

export interface Interval {
  readonly low: number;
  readonly high: number;
}

export interface Statistics {
  readonly n: number;
  readonly median: number;
  readonly p95: number;
  readonly min: number;
  readonly max: number;
  /** 95 % percentile-bootstrap interval of the median; undefined below MIN_BOOTSTRAP_N values. */
  readonly medianCi95?: Interval;
  /** 95 % percentile-bootstrap interval of p95; undefined below MIN_BOOTSTRAP_N values. */
  readonly p95Ci95?: Interval;
}

export const STATISTICS = ['value', 'median', 'p95', 'min', 'max'] as const;
/** `value`: one attempt's own figure; the others summarise a scenario's repetitions. */
export type Statistic = (typeof STATISTICS)[number];

/** Median as the report shows it: the mean of the two middle values for an even count. */
function medianOf(sortedAsc: readonly number[]): number {
  const mid = sortedAsc.length >> 1;
  return sortedAsc.length % 2 === 1
    ? (sortedAsc[mid] as number)
    : ((sortedAsc[mid - 1] as number) + (sortedAsc[mid] as number)) / 2;
}

/** mulberry32: a small, well-mixed 32-bit PRNG; enough for resampling indices. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed from the values themselves (FNV-1a over their text), so equal inputs resample alike. */
function seedOf(values: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const ch of values.join(',')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Percentile-bootstrap 95 % intervals of the median and of p95 over `resamples` resamples. */
function bootstrap(sortedAsc: readonly number[], resamples: number, seed: number): { median: Interval; p95: Interval } {
  const rnd = prng(seed);
  const n = sortedAsc.length;
  const medians = new Float64Array(resamples);
  const p95s = new Float64Array(resamples);
  const sample = new Float64Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = sortedAsc[Math.floor(rnd() * n)] as number;
    sample.sort();
    medians[b] = medianOf(sample as unknown as number[]);
    p95s[b] = percentile(sample as unknown as number[], 95) as number;
  }
  medians.sort();
  p95s.sort();
  const at = (xs: Float64Array, q: number): number =>
    xs[Math.min(xs.length - 1, Math.max(0, Math.floor(q * xs.length)))] as number;
  return {
    median: { low: at(medians, 0.025), high: at(medians, 0.975) },
    p95: { low: at(p95s, 0.025), high: at(p95s, 0.975) },
  };
}

/**
 * Statistics of `values` (any order; non-finite values are refused: a broken figure must not be
 * averaged away). Undefined for no values.
 */
export function describe(values: readonly number[], resamples = DEFAULT_RESAMPLES): Statistics | undefined {
  if (values.length === 0) return undefined;
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new RangeError(`statistics of a non-finite value (${bad})`);
  if (!Number.isInteger(resamples) || resamples < 100) throw new RangeError(`resamples must be an integer ≥ 100, got ${resamples}`);
  const sorted = [...values].sort((a, b) => a - b);
  const base = {
    n: sorted.length, median: medianOf(sorted), p95: percentile(sorted, 95) as number,
    min: sorted[0] as number, max: sorted[sorted.length - 1] as number,
  };
  if (sorted.length < MIN_BOOTSTRAP_N) return base;
  const ci = bootstrap(sorted, resamples, seedOf(sorted));
  return { ...base, medianCi95: ci.median, p95Ci95: ci.p95 };
}

/** The interval that goes with a statistic, where there is one. */
export function intervalOf(s: Statistics, which: Exclude<Statistic, 'value'>): Interval | undefined {
  return which === 'median' ? s.medianCi95 : which === 'p95' ? s.p95Ci95 : undefined;
}
