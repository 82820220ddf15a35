/**
 * Runs the path probe (lab-assets/pathprobe.c) where a UDP probe would run: on this host, in a lab
 * namespace (the placement the lab gives, entered through udp/run.ts `enterArgv`) or on an SSH traffic
 * host (the placement's spawner, with the helper uploaded by remote.ts `installPathProbe`). Bounded by the
 * helper's own deadline and by `timeoutMs` here; `signal` stops it (the helper then reports what it has).
 *
 *   const r = await runPathProbe(placement, '198.18.10.100', { remoteBinary, signal });
 *   const hops = resolvePathHops(r.hops, testbed);          // device and site per hop (resolve.ts)
 *   const pathViaOldSite = r.failure === undefined ? viaSite(hops, oldSite) : undefined;
 *
 * A result with `failure` set (helper missing, crashed, timed out, aborted, output broken) is no evidence
 * either way: the caller records the path as unknown (ERRORED), never as "not via the old site".
 */
import { PACKAGE_ROOT } from '../../util/layout.js';
import { enterArgv, placementLabel, type ProbePlacement } from '../udp/run.js';
import { spawnLocal } from '../udp/spawn.js';
import { pathProbeArgs, pathProbeAvailable, pathProbeBinary, pathProbeSettings,
  type PathProbeArgsOptions } from './native.js';
import { parsePathProbe, type PathHop, type PathStopReason } from './parse.js';

/** Where a path probe runs: a UDP probe's placement other than in-process. */
export type PathProbePlacement = Exclude<ProbePlacement, { kind: 'in-process' }>;

export interface PathProbeOptions extends PathProbeArgsOptions {
  readonly signal?: AbortSignal;
  /** Hard limit of the whole run here, ms (default: the helper's deadline + 5 s, + 10 s over SSH). */
  readonly timeoutMs?: number;
  /** The helper on this host (local and namespace placements; default `<assets>/pathprobe`). */
  readonly binary?: string;
  /** The helper on the SSH host (ssh placements; `installPathProbe` returns it). */
  readonly remoteBinary?: string;
}

export interface PathProbeResult {
  readonly target: string;
  readonly family: 'ipv4' | 'ipv6';
  /** One entry per address answering per TTL, in TTL order; `address` undefined for an unanswered TTL. */
  readonly hops: readonly PathHop[];
  /** The target answered (port unreachable from it, or a UDP reply). */
  readonly reached: boolean;
  /** Why the helper stopped; undefined when it did not report. */
  readonly reason: PathStopReason | undefined;
  /** The last TTL probed. */
  readonly hopsProbed: number;
  readonly sent: number;
  readonly answered: number;
  readonly elapsedMs: number;
  /** How the path was measured (measurement.md "Path probe"). */
  readonly method: string;
  /** Grid of the round trips, ms. */
  readonly resolutionMs: number;
  readonly clock: string;
  /** `netns:NAME`, `ssh:HOST` or `local`. */
  readonly where: string;
  /** Set when the run is no evidence: not built, spawn failure, crash, timeout, abort, broken output. */
  readonly failure: string | undefined;
  /** Output lines that broke the contract. */
  readonly problems: readonly string[];
  readonly stderr: string;
  readonly argv: readonly string[];
}

function familyOf(target: string): 'ipv4' | 'ipv6' {
  return target.includes(':') ? 'ipv6' : 'ipv4';
}

interface Outcome {
  readonly stdout: string;
  readonly stderr: string;
  readonly failure: string | undefined;
}

function fill(target: string, where: string, argv: readonly string[], probesPerHop: number, out: Outcome):
  PathProbeResult {
  const p = parsePathProbe(out.stdout);
  const d = p.done;
  let failure = out.failure;
  if (failure === undefined && p.problems.length > 0) failure = `path probe ${where}: ${p.problems.join('; ')}`;
  if (failure === undefined && (d?.reason === 'signal' || d?.reason === 'stdin-closed')) {
    failure = `path probe ${where} was stopped (${d.reason}) before its end`;
  }
  const stamps = d === undefined ? '' : `, ${d.kernelStamps} of ${d.answered} answers kernel-stamped`;
  return {
    target, family: p.start?.family ?? familyOf(target), hops: p.hops, reached: d?.reached ?? false,
    reason: d?.reason, hopsProbed: d?.hops ?? 0, sent: d?.sent ?? 0, answered: d?.answered ?? 0,
    elapsedMs: d?.elapsedMs ?? 0,
    method: `TTL-limited UDP probes, ${probesPerHop} per hop; ICMP time-exceeded/unreachable sources read through ` +
      'IP_RECVERR/IPV6_RECVERR (pathprobe)',
    resolutionMs: 0.001,
    clock: `round trips on the probing host (${where}): kernel receive stamp (SO_TIMESTAMPNS) minus the send ` +
      `stamp${stamps}; no cross-host clock`,
    where, failure, problems: p.problems, stderr: out.stderr, argv,
  };
}

/** Runs the path probe from `placement` towards `target` (an IPv4/IPv6 literal) to its end. */
export async function runPathProbe(
  placement: PathProbePlacement,
  target: string,
  o: PathProbeOptions = {},
): Promise<PathProbeResult> {
  const s = pathProbeSettings(o);
  const args = pathProbeArgs(target, s);
  const where = placementLabel(placement);
  const done = (argv: readonly string[], out: Outcome): PathProbeResult =>
    fill(target, where, argv, s.probesPerHop, out);
  let argv: string[];
  if (placement.kind === 'ssh') {
    if (o.remoteBinary === undefined) {
      return done([], { stdout: '', stderr: '', failure: `path probe ${where}: no helper on the host ` +
        '(installPathProbe uploads it; pass its path as remoteBinary)' });
    }
    argv = [o.remoteBinary, ...args];
  } else {
    const binary = o.binary ?? pathProbeBinary();
    if (!pathProbeAvailable(binary)) {
      return done([], { stdout: '', stderr: '', failure: `path probe not built at ${binary}: run scripts/build-lab-assets` });
    }
    argv = [...enterArgv(placement), binary, ...args];
  }
  if (o.signal?.aborted === true) return done(argv, { stdout: '', stderr: '', failure: `path probe ${where} aborted` });
  const limit = o.timeoutMs ?? s.deadlineMs + (placement.kind === 'ssh' ? 15_000 : 5_000);
  const proc = (placement.kind === 'ssh' ? placement.spawner : spawnLocal)(argv, { cwd: PACKAGE_ROOT });
  let timedOut = false;
  let aborted = false;
  const timer = setTimeout(() => { timedOut = true; proc.stop(); }, limit);
  const onAbort = (): void => { aborted = true; proc.stop(); };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const lines: string[] = [];
    for await (const line of proc.lines) lines.push(line);
    const ex = await proc.exit;
    let failure: string | undefined;
    if (aborted) failure = `path probe ${where} aborted`;
    else if (timedOut) failure = `path probe ${where} timed out after ${limit} ms`;
    else if (ex.code !== 0) failure = `path probe ${where} exited ${ex.code ?? ex.signal}: ${ex.stderr.trim().slice(-600)}`;
    return done(argv, { stdout: lines.join('\n'), stderr: ex.stderr, failure });
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
}
