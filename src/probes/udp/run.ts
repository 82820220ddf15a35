import { ownModule, ownModuleArgv, PACKAGE_ROOT } from '../../util/layout.js';
import type { TrafficHost } from '../../model/testbed.js';
import { UsageError } from '../../errors/classes.js';
import { netnsArgv } from '../../exec/netns.js';
import { runAgent, type AgentConfig } from './agent.js';
import type { AgentMainConfig } from './agent-main.js';
import { createCollector, type Collected } from './collect.js';
import { decodeRecord, type AgentRecord, type HelloRecord } from './records.js';
import { spawnLocal, type ProbeSpawner } from './spawn.js';
import { nativeProbeArgs, nativeProbeAvailable, nativeProbeBinary } from './native.js';

/**
 * Which UDP sender a local or namespace placement runs: `native` (lab-assets/udpprobe.c, the default
 * when it is built) or `node` (the TypeScript agent, e.g. to compare the two). SSH hosts run the agent
 * command they are given.
 */
export type ProbeSender = 'native' | 'node';

/** Where a probe runs. */
export type ProbePlacement =
  | { readonly kind: 'in-process' }
  | { readonly kind: 'local'; readonly nice?: number; readonly sender?: ProbeSender }
  | { readonly kind: 'netns'; readonly netns: string; readonly nice?: number; readonly sender?: ProbeSender }
  | {
      readonly kind: 'ssh';
      readonly host: string;
      readonly spawner: ProbeSpawner;
      readonly agentArgv: readonly string[];
      /** The agent argv per kind (a remote host's bundle has one subcommand each); else `agentArgv`. */
      readonly agentArgvFor?: (sub: 'udp-probe' | 'tcp-session') => readonly string[];
    };

/** Where a probe runs, as the messages say it: `netns:NAME`, `ssh:HOST`, `local` or `in-process`. */
export function placementLabel(placement: ProbePlacement): string {
  if (placement.kind === 'netns') return `netns:${placement.netns}`;
  return placement.kind === 'ssh' ? `ssh:${placement.host}` : placement.kind;
}

/** agent-main.ts in a checkout (started through tsx), dist/probes/udp/agent-main.js when built. */
export const AGENT_MAIN = ownModule(import.meta.url, './agent-main');

/** The local argv that runs the agent entry with `cfg`. */
export function agentArgv(cfg: AgentMainConfig): string[] {
  return [process.execPath, ...ownModuleArgv(import.meta.url, './agent-main'), JSON.stringify(cfg)];
}

/**
 * Placement for a testbed traffic host. `ssh` hosts need a spawner built on the SSH transport and the
 * agent command on that host: a remote host (probes/remote/ssh-host.ts `openRemoteHost`) gives both,
 * its `agentArgv` naming a subcommand of the uploaded bundle; a fixed argv also works (the repository
 * checked out there, e.g. `node --import tsx /opt/vmmi/src/probes/udp/agent-main.ts`). The JSON
 * config is appended as the last argument.
 */
export function placementFor(
  h: TrafficHost,
  ssh?: {
    spawner: ProbeSpawner;
    agentArgv: readonly string[] | ((sub: 'udp-probe' | 'tcp-session') => readonly string[]);
  },
): ProbePlacement {
  if (h.kind === 'local') return { kind: 'local' };
  if (h.kind === 'netns') {
    throw new UsageError(`traffic host ${h.name}: kind netns is a node of the emulated lab`, {
      hint: 'its placement comes from the lab (lab/access.ts), which alone enters namespaces',
    });
  }
  if (ssh === undefined)
    throw new UsageError(`traffic host ${h.name}: kind ssh needs an SSH probe spawner`, {
      hint: 'pass one built on transports/ssh',
    });
  const host = h.address ?? h.name;
  const argv = ssh.agentArgv;
  if (typeof argv !== 'function') return { kind: 'ssh', host, spawner: ssh.spawner, agentArgv: argv };
  return { kind: 'ssh', host, spawner: ssh.spawner, agentArgv: argv('udp-probe'), agentArgvFor: argv };
}

/**
 * The argv that runs the agent entry with `cfg` at `placement` (not in-process). `nice` (−20…19, root
 * for < 0) runs the agent at another scheduling priority, so that host load does not show up as
 * network loss in the probe's own numbers. With autogroup scheduling a plain nice only ranks
 * processes inside one session, so the agent gets its own session (setsid) and sets that session's
 * autogroup nice itself.
 */
export function placementArgv(
  placement: Exclude<ProbePlacement, { kind: 'in-process' }>,
  cfg: AgentMainConfig,
): string[] {
  if (placement.kind === 'ssh') {
    const base = placement.agentArgvFor?.(cfg.kind === 'tcp-session' ? 'tcp-session' : 'udp-probe');
    return [...(base ?? placement.agentArgv), JSON.stringify(cfg)];
  }
  const ns = placement.kind === 'netns' ? netnsArgv(placement.netns) : [];
  if (placement.nice === undefined) return [...ns, ...agentArgv(cfg)];
  return [...ns, 'setsid', 'nice', '-n', String(placement.nice), ...agentArgv({ ...cfg, nice: placement.nice })];
}

/** argv prefix that enters a local or namespace placement (empty for local): for the native helpers. */
export function enterArgv(placement: Extract<ProbePlacement, { kind: 'local' | 'netns' }>): string[] {
  return placement.kind === 'netns' ? netnsArgv(placement.netns) : [];
}

function senderFromEnv(): ProbeSender | undefined {
  const v = process.env.VMMI_PROBE_SENDER;
  if (v === undefined || v === '') return undefined;
  if (v === 'native' || v === 'node') return v;
  throw new UsageError(`VMMI_PROBE_SENDER=${v} is not a probe sender`, { hint: 'use native or node' });
}

/** How a UDP probe starts at a placement: its argv and which sender that is (a note for the method). */
export function udpProbeLaunch(
  placement: Exclude<ProbePlacement, { kind: 'in-process' }>,
  cfg: AgentConfig,
  binary = nativeProbeBinary(),
): { readonly argv: string[]; readonly sender: string } {
  // VMMI_PROBE_SENDER=node picks the TypeScript agent where the placement does not say (side-by-side runs).
  const chosen = placement.kind === 'ssh' ? undefined : placement.sender ?? senderFromEnv();
  if (placement.kind !== 'ssh' && chosen !== 'node' && nativeProbeAvailable(binary)) {
    const ns = placement.kind === 'netns' ? netnsArgv(placement.netns) : [];
    const args = nativeProbeArgs(cfg, placement.nice === undefined ? {} : { nice: placement.nice });
    return { argv: [...ns, binary, ...args], sender: `native udpprobe (${binary})` };
  }
  const why =
    placement.kind === 'ssh'
      ? `on ${placement.host}`
      : chosen === 'node'
        ? placement.sender === 'node' ? 'chosen by the caller' : 'VMMI_PROBE_SENDER=node'
        : `native probe not built at ${binary}: run scripts/build-lab-assets`;
  return { argv: placementArgv(placement, { kind: 'udp', agent: cfg }), sender: `node agent (event loop; ${why})` };
}

/** Clock label of a placement; only an SSH agent's clock differs from the controller's. */
export function clockOf(p: ProbePlacement): { clock: string; remote: boolean } {
  if (p.kind === 'ssh') return { clock: `remote-monotonic:${p.host}`, remote: true };
  return { clock: 'host-monotonic (CLOCK_MONOTONIC, same clock as the controller)', remote: false };
}

export interface UdpProbeResult extends Collected {
  readonly where: string;
  readonly clock: string;
  /** Set when the probe did not run to its end: spawn failure, crash, timeout, malformed output. */
  readonly failure: string | undefined;
  readonly stderr: string;
  /** The sender that ran, with its scheduling (the native probe's `hello.sender`, or the agent's kind). */
  readonly sender: string;
}

export interface UdpProbeHandle {
  /** Resolves once the agent runs (sockets connected, `hello` sent); rejects if it never does. */
  readonly started: Promise<HelloRecord>;
  readonly done: Promise<UdpProbeResult>;
  /** Stops early; the result then reports `aborted` (ERRORED for a measurement). */
  stop(): void;
}

export interface UdpProbeOptions {
  readonly signal?: AbortSignal;
  /** Hard limit of the whole run, ms (default: longest flow + drain + 20 s). */
  readonly timeoutMs?: number;
  /** Every record as it arrives (live views). */
  readonly onRecord?: (r: AgentRecord) => void;
}

/** Starts a UDP probe where `placement` says and collects its samples. */
export function startUdpProbe(placement: ProbePlacement, cfg: AgentConfig, o: UdpProbeOptions = {}): UdpProbeHandle {
  const { clock, remote } = clockOf(placement);
  const col = createCollector(clock, remote);
  let onHello: (h: HelloRecord) => void = () => undefined;
  let onNoHello: (e: Error) => void = () => undefined;
  const started = new Promise<HelloRecord>((res, rej) => { onHello = res; onNoHello = rej; });
  started.catch(() => undefined);
  const take = (r: AgentRecord): void => {
    col.push(r);
    if (r.t === 'hello') onHello(r);
    o.onRecord?.(r);
  };
  const limit = o.timeoutMs ?? Math.max(...cfg.flows.map((f) => f.durationMs)) + (cfg.drainMs ?? 500) + 20_000;
  const where = placementLabel(placement);
  let launched = 'node agent (in-process)';
  const finish = (failure: string | undefined, stderr: string): UdpProbeResult => {
    if (failure !== undefined) onNoHello(new Error(failure));
    else onNoHello(new Error('probe ended without starting'));
    const c = col.result(failure);
    return { ...c, where, clock, failure, stderr, sender: c.hello?.sender ?? launched };
  };

  if (placement.kind === 'in-process') {
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ac.abort(), limit);
    const done = runAgent(cfg, take, ac.signal).then(
      () => finish(undefined, ''),
      (e: unknown) => finish(`probe failed to start: ${e instanceof Error ? e.message : String(e)}`, ''),
    ).finally(() => { clearTimeout(timer); o.signal?.removeEventListener('abort', onAbort); });
    return { started, done, stop: () => ac.abort() };
  }

  const { argv, sender } = udpProbeLaunch(placement, cfg);
  launched = sender;
  const proc = (placement.kind === 'ssh' ? placement.spawner : spawnLocal)(argv, { cwd: PACKAGE_ROOT });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; proc.stop(); }, limit);
  const onAbort = (): void => proc.stop();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const done = (async () => {
    for await (const line of proc.lines) {
      if (line.trim() === '') continue;
      const r = decodeRecord(line);
      if ('error' in r) col.problem(r.error);
      else take(r);
    }
    const ex = await proc.exit;
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    let failure: string | undefined;
    if (timedOut) failure = `probe ${where} timed out after ${limit} ms`;
    else if (ex.code !== 0) failure = `probe ${where} exited ${ex.code ?? ex.signal}: ${ex.stderr.trim().slice(-600)}`;
    return finish(failure, ex.stderr);
  })();
  return { started, done, stop: () => proc.stop() };
}

/** Runs a UDP probe to its end. */
export function runUdpProbe(
  placement: ProbePlacement,
  cfg: AgentConfig,
  o: UdpProbeOptions = {},
): Promise<UdpProbeResult> {
  return startUdpProbe(placement, cfg, o).done;
}
