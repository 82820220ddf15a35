import { existsSync } from 'node:fs';
import { assetsDir } from '../../util/layout.js';

/**
 * The path probe helper (lab-assets/pathprobe.c, built by scripts/build-lab-assets): where it is and its
 * argv. run.ts decides where it runs; remote.ts puts it on an SSH traffic host.
 */

/** Where the built path probe is: `<assets>/pathprobe`. */
export function pathProbeBinary(): string {
  return `${assetsDir()}/pathprobe`;
}

/** True when the path probe is built at `binary` (default location when omitted). */
export function pathProbeAvailable(binary = pathProbeBinary()): boolean {
  return existsSync(binary);
}

export interface PathProbeArgsOptions {
  /** Probes per TTL (1–10, default 3). */
  readonly probesPerHop?: number;
  /** Highest TTL probed (1–64, default 16). */
  readonly maxHops?: number;
  /** First TTL probed (default 1). */
  readonly firstTtl?: number;
  /** Wait for a TTL's answers after its last probe, ms (1–60 000, default 1000). */
  readonly probeTimeoutMs?: number;
  /** Hard bound of the whole trace inside the helper, ms (1–600 000; default maxHops × probeTimeoutMs + 1000). */
  readonly deadlineMs?: number;
  /** Destination port of the first probe; probe k goes to port + k (default 33434). */
  readonly port?: number;
}

export const PATH_PROBE_DEFAULTS = { probesPerHop: 3, maxHops: 16, firstTtl: 1, probeTimeoutMs: 1000, port: 33434 };

function check(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new TypeError(`path probe option ${name}: ${v} is not an integer ${lo}..${hi}`);
  return v;
}

/** The options with defaults filled in and checked (TypeError naming the option and value). */
export function pathProbeSettings(o: PathProbeArgsOptions = {}): Required<PathProbeArgsOptions> {
  const d = PATH_PROBE_DEFAULTS;
  const probesPerHop = check('probesPerHop', o.probesPerHop ?? d.probesPerHop, 1, 10);
  const maxHops = check('maxHops', o.maxHops ?? d.maxHops, 1, 64);
  const firstTtl = check('firstTtl', o.firstTtl ?? d.firstTtl, 1, maxHops);
  const probeTimeoutMs = check('probeTimeoutMs', o.probeTimeoutMs ?? d.probeTimeoutMs, 1, 60_000);
  const deadlineMs = check('deadlineMs', o.deadlineMs ?? Math.min(600_000, maxHops * probeTimeoutMs + 1000), 1, 600_000);
  const port = check('port', o.port ?? d.port, 1, 65_535 - maxHops * probesPerHop + 1);
  return { probesPerHop, maxHops, firstTtl, probeTimeoutMs, deadlineMs, port };
}

const V4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const V6 = /^[0-9a-fA-F:.]+$/;

/** Arguments of the helper for `target` (an IPv4 or IPv6 literal; pure). */
export function pathProbeArgs(target: string, o: PathProbeArgsOptions = {}): string[] {
  if (!(V4.test(target) || (target.includes(':') && V6.test(target)))) {
    throw new TypeError(`path probe target ${JSON.stringify(target)} is not an IPv4 or IPv6 literal`);
  }
  const s = pathProbeSettings(o);
  return ['--probes', String(s.probesPerHop), '--max-hops', String(s.maxHops), '--first-ttl', String(s.firstTtl),
    '--timeout-ms', String(s.probeTimeoutMs), '--deadline-ms', String(s.deadlineMs), '--port', String(s.port), target];
}
