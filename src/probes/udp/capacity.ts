/**
 * Figures of the probe-capacity bench (bench/probe-capacity.ts), pure: no I/O, no clock.
 *
 * CPU is normalised as ms of CPU per second of run per kpps offered, so senders and rates compare on
 * one scale: a probe that spends 50 ms of CPU over 10 s at 1 kpps costs 5 ms/s per kpps.
 */

/** ms of CPU per second per kpps; NaN when any input is unknown or the run had no length or rate. */
export function cpuPerKpps(cpuMs: number | undefined, durationMs: number, ratePps: number): number {
  if (cpuMs === undefined || !(durationMs > 0) || !(ratePps > 0)) return NaN;
  return cpuMs / (durationMs / 1000) / (ratePps / 1000);
}

/**
 * The bench's one line per rate, in a fixed form for scripts:
 *   `probe-capacity: R kpps per flow, lost N, cpu X ms/s per kpps`
 * R without trailing zeros (0.5, 1, 100), N an integer (or `all` when the probe produced nothing),
 * X to one decimal (`n/a` when unknown).
 */
export function capacityLine(ratePps: number, lost: number | undefined, cpuMsPerSPerKpps: number): string {
  const r = Number((ratePps / 1000).toFixed(3)).toString();
  const n = lost === undefined ? 'all' : String(Math.round(lost));
  const x = Number.isFinite(cpuMsPerSPerKpps) ? cpuMsPerSPerKpps.toFixed(1) : 'n/a';
  return `probe-capacity: ${r} kpps per flow, lost ${n}, cpu ${x} ms/s per kpps`;
}

/** Reads a `capacityLine` back (for scripts and the unit test's round trip); undefined if not one. */
export function parseCapacityLine(
  line: string,
): { ratePps: number; lost: number | undefined; cpuMsPerSPerKpps: number } | undefined {
  const m = /^probe-capacity: (\d+(?:\.\d+)?) kpps per flow, lost (\d+|all), cpu (\d+\.\d|n\/a) ms\/s per kpps$/.exec(line);
  if (m === null) return undefined;
  const [, r, n, x] = m as unknown as [string, string, string, string];
  return {
    ratePps: Math.round(Number(r) * 1000),
    lost: n === 'all' ? undefined : Number(n),
    cpuMsPerSPerKpps: x === 'n/a' ? NaN : Number(x),
  };
}

/** How many times cheaper `b` is than `a` (a / b), NaN when either is unknown or b is 0. */
export function cheaperBy(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN;
}
