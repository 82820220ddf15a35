/**
 * One clock for every observer on the controller: a monotonic nanosecond value for intervals and the
 * wall-clock millisecond value taken at the same instant for correlation with device logs.
 */
export interface Stamp {
  /** Wall clock, ms since the Unix epoch (Date.now()). */
  readonly wallMs: number;
  /** Monotonic clock, ns (process.hrtime.bigint()); only differences are meaningful. */
  readonly monoNs: bigint;
}

export function stamp(): Stamp {
  return { monoNs: process.hrtime.bigint(), wallMs: Date.now() };
}

/** Monotonic now in ms as a float (sub-µs resolution). */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Difference b − a in milliseconds (float). */
export function diffMs(a: Stamp, b: Stamp): number {
  return Number(b.monoNs - a.monoNs) / 1e6;
}

/** Name of the clock the stamps come from, recorded in every measurement. */
export const CONTROLLER_CLOCK = 'controller-monotonic (process.hrtime.bigint), wall via Date.now()';
