import type { ProbeSample } from './types.js';
import { median, percentile } from './util.js';

export interface RttStats {
  readonly count: number;
  readonly minMs: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** RTT statistics of replies whose send stamp lies in [fromMs, toMs); undefined without replies. */
export function rttStats(samples: readonly ProbeSample[], fromMs = -Infinity, toMs = Infinity): RttStats | undefined {
  const rtts = rttsIn(samples, fromMs, toMs).sort((a, b) => a - b);
  if (rtts.length === 0) return undefined;
  return {
    count: rtts.length,
    minMs: rtts[0] as number,
    medianMs: median(rtts) as number,
    p99Ms: percentile(rtts, 99) as number,
    maxMs: rtts[rtts.length - 1] as number,
  };
}

/**
 * The percentile of a window's RTTs that stands for its path: a low one. A path's length is the floor of
 * its RTTs; a reflector or guest that stalls for a moment only adds queueing on top (replies held, then
 * sent in a burst), which lifted a median by 30 ms on an unchanged path when the guest stalled in the last
 * 0.6 s of a probe (the lab's mobility storm). A detour lifts the floor itself.
 */
export const PATH_RTT_PERCENTILE = 10;

export interface RttStep {
  /** The path RTT ({@link PATH_RTT_PERCENTILE}th percentile) before the outage, ms. */
  readonly beforeMs: number;
  /** The path RTT of the settled path after the outage, ms. */
  readonly afterMs: number;
  /** after − before, ms; positive = longer path after (e.g. tromboning). */
  readonly stepMs: number;
  readonly beforeCount: number;
  readonly afterCount: number;
}

/**
 * RTT step across an instant (measurement.md §5): the path RTT of replies sent in
 * [instant − windowMs, instant) against those sent in (afterFromMs, afterFromMs + windowMs].
 * `afterFromMs` is the end of the outage, so the windows exclude it. Undefined when a side is empty.
 */
export function rttStep(
  samples: readonly ProbeSample[],
  instantMs: number,
  opts: { readonly windowMs: number; readonly afterFromMs?: number },
): RttStep | undefined {
  const afterFrom = opts.afterFromMs ?? instantMs;
  const before = rttsIn(samples, instantMs - opts.windowMs, instantMs);
  const after = rttsIn(samples, afterFrom, afterFrom + opts.windowMs, true);
  const b = percentile(before.sort((x, y) => x - y), PATH_RTT_PERCENTILE);
  const a = percentile(after.sort((x, y) => x - y), PATH_RTT_PERCENTILE);
  if (a === undefined || b === undefined) return undefined;
  return { beforeMs: b, afterMs: a, stepMs: a - b, beforeCount: before.length, afterCount: after.length };
}

function rttsIn(samples: readonly ProbeSample[], fromMs: number, toMs: number, openLow = false): number[] {
  const out: number[] = [];
  for (const s of samples) {
    if (s.rxMs === undefined) continue;
    const inLow = openLow ? s.txMs > fromMs : s.txMs >= fromMs;
    const inHigh = openLow ? s.txMs <= toMs : s.txMs < toMs;
    if (inLow && inHigh) out.push(s.rxMs - s.txMs);
  }
  return out;
}
