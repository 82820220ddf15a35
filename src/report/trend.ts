/**
 * Change-point detection across nightly runs of one metric (pure).
 *
 * Statistic: two-window median shift. For every split i with `window` points on each side, let
 * L = x[i−w, i), R = x[i, i+w), Δ = median(R) − median(L) and the pooled robust spread
 * σ̂ = 1.4826 · √((MAD(L)² + MAD(R)²) / 2). Split i is flagged when
 *   |Δ| > k · σ̂           (the shift stands out of the night-to-night noise), and
 *   |Δ| > minRelShift · |median(L)| and |Δ| > minAbsShift   (and it is large enough to matter).
 * Neighbouring flagged splits describe one shift; its location is the split in that cluster that
 * minimises the summed absolute deviation of the two segments from their own medians (ties: earliest).
 * The run at that split is "the first run after the shift". Medians and MAD make one outlier night
 * (a hung guest, a retried run) unable to trigger a change point on its own.
 */

export interface TrendPoint {
  readonly runId: string;
  readonly startedWall: string;
  readonly value: number;
}

export interface ChangePoint {
  /** Index into the series of the first point after the shift. */
  readonly index: number;
  readonly runId: string;
  readonly startedWall: string;
  readonly medianBefore: number;
  readonly medianAfter: number;
  /** medianAfter − medianBefore, in the metric's unit. */
  readonly shift: number;
  /** |shift| / σ̂ (Infinity when both windows are flat). */
  readonly score: number;
}

export interface TrendOptions {
  /** Points on each side of a split (default 5). Fewer than 2·window points: no detection. */
  readonly window?: number;
  /** Multiple of the pooled robust spread the shift must exceed (default 3). */
  readonly k?: number;
  /** Minimum shift relative to the level before it (default 0.1 = 10 %). */
  readonly minRelShift?: number;
  /** Minimum absolute shift in the metric's unit (default 0). */
  readonly minAbsShift?: number;
}

export const TREND_DEFAULTS = { window: 5, k: 3, minRelShift: 0.1, minAbsShift: 0 } as const;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median absolute deviation from the median (unscaled). */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}

interface Split { readonly i: number; readonly before: number; readonly after: number; readonly score: number }

function evaluate(x: readonly number[], i: number, w: number, o: Required<TrendOptions>): Split | null {
  const left = x.slice(i - w, i);
  const right = x.slice(i, i + w);
  const before = median(left);
  const after = median(right);
  const delta = Math.abs(after - before);
  const sigma = 1.4826 * Math.sqrt((mad(left) ** 2 + mad(right) ** 2) / 2);
  const big = delta > o.minAbsShift && delta > o.minRelShift * Math.abs(before);
  if (!big || !(delta > o.k * sigma)) return null;
  return { i, before, after, score: sigma === 0 ? Number.POSITIVE_INFINITY : delta / sigma };
}

function segmentCost(x: readonly number[], from: number, to: number): number {
  const seg = x.slice(from, to);
  const m = median(seg);
  return seg.reduce((s, v) => s + Math.abs(v - m), 0);
}

/** Picks the best split of one cluster of flagged splits (see module comment). */
function locate(x: readonly number[], cluster: readonly Split[], w: number): Split {
  const lo = Math.max(0, (cluster[0] as Split).i - w);
  const hi = Math.min(x.length, (cluster[cluster.length - 1] as Split).i + w);
  let best = cluster[0] as Split;
  let bestCost = Number.POSITIVE_INFINITY;
  for (const s of cluster) {
    const cost = segmentCost(x, lo, s.i) + segmentCost(x, s.i, hi);
    if (cost < bestCost) {
      best = s;
      bestCost = cost;
    }
  }
  return best;
}

/** Finds level shifts in a series ordered oldest → newest. */
export function detectChangePoints(points: readonly TrendPoint[], options: TrendOptions = {}): ChangePoint[] {
  const o: Required<TrendOptions> = { ...TREND_DEFAULTS, ...options };
  const w = o.window;
  if (!Number.isInteger(w) || w < 1) throw new TypeError(`trend window must be a positive integer, got ${w}`);
  const x = points.map((p) => p.value);
  const clusters: Split[][] = [];
  let current: Split[] = [];
  for (let i = w; i + w <= x.length; i++) {
    const s = evaluate(x, i, w, o);
    const last = current[current.length - 1];
    const sameDirection =
      last === undefined || s === null || Math.sign(s.after - s.before) === Math.sign(last.after - last.before);
    if (s !== null && (last === undefined || (last.i === i - 1 && sameDirection))) {
      current.push(s);
      continue;
    }
    if (current.length > 0) clusters.push(current);
    current = s === null ? [] : [s];
  }
  if (current.length > 0) clusters.push(current);
  return clusters.map((c) => {
    const s = locate(x, c, w);
    const p = points[s.i] as TrendPoint;
    return { index: s.i, runId: p.runId, startedWall: p.startedWall, medianBefore: s.before,
      medianAfter: s.after, shift: s.after - s.before, score: s.score };
  });
}
