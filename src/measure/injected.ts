/**
 * A reference outage whose two edges are each known only to a bracket: the drop rule went into force
 * at some instant in `on` = [beforeMs, afterMs] and out of force at some instant in `off`. Pure.
 *
 * The true length lies in [off.before − on.after, off.after − on.before]; the reference value is the
 * middle of that interval (the difference of the bracket midpoints) and its uncertainty is the
 * interval's half-width, (|on| + |off|) / 2. A calibration compares a measured downtime with
 * `injectedMs` and must state `uncertaintyMs` next to it: an error smaller than that is not resolved.
 */
export interface Bracket {
  /** Monotonic ms just before the ruleset change was started. */
  readonly beforeMs: number;
  /** Monotonic ms just after the change was confirmed. */
  readonly afterMs: number;
}

export interface InjectedOutage {
  /** Length asked for, ms (the injector aims at it; `injectedMs` is what happened). */
  readonly requestedMs: number;
  readonly on: Bracket;
  readonly off: Bracket;
  /** Reference length: midpoint(off) − midpoint(on), ms. */
  readonly injectedMs: number;
  /** Shortest and longest length the brackets allow, ms. */
  readonly minMs: number;
  readonly maxMs: number;
  /** Half-width of [minMs, maxMs]: the reference's own uncertainty, ms. */
  readonly uncertaintyMs: number;
}

/** Builds the reference from the two brackets; throws RangeError on brackets out of order. */
export function injectedOutage(requestedMs: number, on: Bracket, off: Bracket): InjectedOutage {
  const ordered = on.beforeMs <= on.afterMs && on.afterMs <= off.beforeMs && off.beforeMs <= off.afterMs;
  if (!ordered || ![on.beforeMs, on.afterMs, off.beforeMs, off.afterMs].every(Number.isFinite)) {
    throw new RangeError(
      `outage brackets out of order: on [${on.beforeMs}, ${on.afterMs}], off [${off.beforeMs}, ${off.afterMs}]`,
    );
  }
  const minMs = off.beforeMs - on.afterMs;
  const maxMs = off.afterMs - on.beforeMs;
  return {
    requestedMs, on, off,
    injectedMs: (off.beforeMs + off.afterMs) / 2 - (on.beforeMs + on.afterMs) / 2,
    minMs, maxMs, uncertaintyMs: (maxMs - minMs) / 2,
  };
}
