/**
 * Starts and stops the tunnel strategy's communication agent (lab-assets/tunagent.c) in a network
 * namespace, and sets the routes around it. The agent creates its own tun device, so stopping it
 * also removes every route through that device: no residue survives a stop.
 *
 * Process rules: argv only; the PID is the agent's own (`ip netns exec` execs in place) and is
 * checked against /proc/PID/comm before any signal; the agent is bounded by `-t`, exits when its
 * stdin (our pipe) closes, and prints counters on exit.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { VmmiError } from '../errors/vmmi-error.js';
import { TimeoutError } from '../errors/classes.js';
import { runChecked } from '../exec/local.js';
import { spawnPiped, type ChildProcess } from '../exec/spawn.js';
import type { CommandRunner } from '../exec/types.js';
import { withDeadline, type IoOptions } from '../util/abort.js';
import { DEFAULT_ENCAPSULATION, flowIdOf, parseCounters, portOf, tunIfName, type AgentCounters } from './header.js';
import { TUNNEL_ENCAPSULATIONS, type TunnelEncapsulation } from '../model/testbed.js';
import { defined } from '../model/defined.js';
import { assetsDir } from '../util/layout.js';
import { netnsArgv } from '../exec/netns.js';

export const AGENT_COMM = 'tunagent';

/** Default location of the built agent (scripts/build-lab-assets). */
export function defaultAgentBinary(): string {
  return `${assetsDir()}/tunagent`;
}

export interface TunnelAgentSpec {
  /**
   * Network namespace the agent runs in (the TOR's namespace in the lab); absent: this process's own
   * (the remote agent bundle on a Linux switch or host, tunnel/ssh-driver.ts).
   */
  readonly ns?: string;
  /** Tunnel name as the strategy names it; ifname, flow id and port derive from it. */
  readonly tunnel: string;
  /** Outer local and remote endpoint addresses (same family). */
  readonly local: string;
  readonly remote: string;
  /**
   * How the outer packets look (default ipip): IP-in-IP or GRE on raw sockets, as a router could
   * terminate them, or the agents' own UDP format (header.ts). Raw-socket tunnels are told apart by
   * their endpoint addresses alone: one per local/remote pair.
   */
  readonly encapsulation?: TunnelEncapsulation;
  /** UDP port (udp only; default from the tunnel name). */
  readonly port?: number;
  /** Flow id in the UDP control header (udp only; default from the tunnel name). */
  readonly flowId?: number;
  /** Hard bound of the agent's life (ms). */
  readonly maxLifetimeMs: number;
  readonly mtu?: number;
  readonly binary?: string;
}

async function readComm(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** What a tunnel driver exposes of a running agent, wherever it runs (a namespace here, an SSH host). */
export interface TunnelAgentHandle {
  readonly ifname: string;
  readonly running: boolean;
  /** Live counters (a dump without stopping); the last ones printed once the agent stopped. */
  counters(io?: IoOptions): Promise<AgentCounters>;
  /** Stops the agent and returns its final counters; idempotent. */
  stop(io?: IoOptions): Promise<AgentCounters | undefined>;
}

/**
 * `TunnelAgent` as a type is any agent handle (so the lab driver's `agents` map, and drivers built on
 * its interface such as the SSH one, hold local and remote agents alike); as a value it is the local
 * agent class below (`TunnelAgent.start`).
 */
export type TunnelAgent = TunnelAgentHandle;

/** An agent process of this host, optionally inside a network namespace. */
export class LocalTunnelAgent implements TunnelAgentHandle {
  readonly ifname: string;
  /** Counter lines seen so far (SIGUSR1 dumps and the exit line). */
  private readonly counterLines: AgentCounters[] = [];
  private readonly waiters = new Set<(c: AgentCounters) => void>();
  private stderr = '';
  private readonly closed: Promise<void>;

  private constructor(readonly spec: TunnelAgentSpec, private readonly child: ChildProcess) {
    this.ifname = tunIfName(spec.tunnel);
    this.closed = new Promise((res) => child.once('close', () => res()));
  }

  get pid(): number { return this.child.pid ?? -1; }
  /** Settles when the agent process has exited (its bound, a crash, or a stop). */
  get exited(): Promise<void> { return this.closed; }
  get running(): boolean { return this.child.exitCode === null && this.child.signalCode === null; }

  /** Spawns the agent and resolves once its tun device is up (the `tunagent-ready` line). */
  static async start(spec: TunnelAgentSpec, io: IoOptions = {}): Promise<LocalTunnelAgent> {
    const ifname = tunIfName(spec.tunnel);
    const port = spec.port ?? portOf(spec.tunnel);
    const secs = Math.max(1, Math.ceil(spec.maxLifetimeMs / 1000));
    const ns = spec.ns === undefined ? [] : netnsArgv(spec.ns);
    const where = spec.ns === undefined ? 'this host' : spec.ns;
    const encap = spec.encapsulation ?? DEFAULT_ENCAPSULATION;
    if (!(TUNNEL_ENCAPSULATIONS as readonly string[]).includes(encap)) {
      throw new TypeError(`tunnel agent ${ifname}: unknown encapsulation "${String(encap)}"; supported: ` +
        TUNNEL_ENCAPSULATIONS.join(', '));
    }
    const argv = [...ns, spec.binary ?? defaultAgentBinary(), '-i', ifname, '-e', encap,
      '-l', spec.local, '-r', spec.remote, ...(encap === 'udp' ? ['-L', String(port), '-R', String(port)] : []),
      '-f', String(spec.flowId ?? flowIdOf(spec.tunnel)), '-t', String(secs), '-m', String(spec.mtu ?? 1400), '-w'];
    const child: ChildProcess = spawnPiped(argv);
    const a = new LocalTunnelAgent(spec, child);
    child.stdin?.on('error', () => { /* agent gone: its exit tells why */ });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => { a.stderr = (a.stderr + d).slice(-2048); });
    const ready = new Promise<void>((resolve, reject) => {
      child.once('error', (e) => reject(new VmmiError('PROBE', `cannot start tunnel agent: ${e.message}`)));
      child.once('close', (code) => reject(new VmmiError('PROBE',
        `tunnel agent ${ifname} (${encap}) in ${where} exited (${code ?? 'signal'}) before ready: ${a.stderr.trim()}`,
        { hint: 'build it with scripts/build-lab-assets; it needs root (or CAP_NET_ADMIN and, for ipip/gre, ' +
          'CAP_NET_RAW) and /dev/net/tun' })));
      if (child.stdout === null) return;
      createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
        if (line.startsWith('tunagent-ready')) resolve();
        const c = parseCounters(line);
        if (c !== undefined) {
          a.counterLines.push(c);
          for (const w of a.waiters) w(c);
        }
      });
    });
    try {
      await withDeadline(ready, `tunnel agent ${ifname} start in ${where}`,
        { timeoutMs: io.timeoutMs ?? 5000, ...defined({ signal: io.signal }) });
      // Decapsulated packets arrive on the tun with sources routed elsewhere: strict rp_filter drops them.
      await runChecked([...ns, 'sysctl', '-qw', `net.ipv4.conf.${ifname}.rp_filter=0`],
        { timeoutMs: io.timeoutMs ?? 5000, ...defined({ signal: io.signal }) });
    } catch (e) {
      await a.stop({ timeoutMs: 2000 }).catch(() => undefined);
      throw e;
    }
    return a;
  }

  /** Live counters: SIGUSR1 makes the agent print them. */
  async counters(io: IoOptions = {}): Promise<AgentCounters> {
    if (!this.running) {
      const last = this.counterLines[this.counterLines.length - 1];
      if (last !== undefined) return last;
      throw new VmmiError('PROBE', `tunnel agent ${this.ifname} is not running and printed no counters`);
    }
    let off: (() => void) | undefined;
    const next = new Promise<AgentCounters>((res) => {
      const w = (c: AgentCounters): void => res(c);
      this.waiters.add(w);
      off = () => this.waiters.delete(w);
    });
    await this.signal('SIGUSR1');
    try {
      return await withDeadline(next, `tunnel agent ${this.ifname} counters`, { timeoutMs: io.timeoutMs ?? 2000,
        ...defined({ signal: io.signal }) });
    } finally {
      off?.();
    }
  }

  /** Signals the agent only when the PID is still a `tunagent` (PIDs are reused). */
  private async signal(sig: NodeJS.Signals): Promise<boolean> {
    if (!this.running || this.pid <= 1) return false;
    if ((await readComm(this.pid)) !== AGENT_COMM) return false;
    try {
      process.kill(this.pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /** Stops the agent (SIGTERM, then SIGKILL) and returns its final counters; idempotent. */
  async stop(io: IoOptions = {}): Promise<AgentCounters | undefined> {
    if (this.running) {
      await this.signal('SIGTERM');
      this.child.stdin?.end(); // the agent also exits on stdin EOF (e.g. if the PID check failed)
      try {
        await withDeadline(this.closed, `tunnel agent ${this.ifname} exit`, { timeoutMs: io.timeoutMs ?? 2000 });
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
        if ((await readComm(this.pid)) === AGENT_COMM) this.child.kill('SIGKILL');
        await this.closed;
      }
    }
    await this.closed;
    return this.counterLines.find((c) => c.why !== 'dump') ?? this.counterLines[this.counterLines.length - 1];
  }
}

/** The local agent class under the name the lab driver starts it by (`TunnelAgent.start`). */
export const TunnelAgent = LocalTunnelAgent;

/** Routes applied with a CommandRunner in the router's namespace (or over SSH on a Linux router). */
const runOpts = (io: IoOptions): IoOptions => ({ timeoutMs: io.timeoutMs ?? 5000, ...defined({ signal: io.signal }) });

async function ipRoute(
  runner: CommandRunner,
  args: readonly string[],
  io: IoOptions,
  okIfMissing = false,
): Promise<void> {
  const argv = ['ip', ...args];
  const r = await runner.run(argv, runOpts(io));
  if (
    r.failed &&
    !(okIfMissing && /No such process|Cannot find device|No such device|does not exist|Nothing to flush/.test(r.stderr))
  ) {
    throw new VmmiError('COMMAND', `${argv.join(' ')} on ${runner.where} failed: ${r.stderr.trim()}`);
  }
}

const famFlag = (prefix: string): string[] => (prefix.includes(':') ? ['-6'] : []);

/**
 * Source site: keep attracting the VM's address and steer it into the tunnel
 * (`ip route replace <vm>/32 dev <tun>`).
 */
export async function captureIntoTunnel(
  runner: CommandRunner,
  prefix: string,
  ifname: string,
  io: IoOptions = {},
): Promise<void> {
  await ipRoute(runner, [...famFlag(prefix), 'route', 'replace', prefix, 'dev', ifname], io);
}

/** Undoes captureIntoTunnel; a route already gone (agent stopped) is not an error. */
export async function releaseCapture(
  runner: CommandRunner,
  prefix: string,
  ifname: string,
  io: IoOptions = {},
): Promise<void> {
  await ipRoute(runner, [...famFlag(prefix), 'route', 'del', prefix, 'dev', ifname], io, true);
}

/**
 * Routing table of a tunnel's delivery routes: one per tunnel (tun interface name), in 1000–1999.
 * A table other than main keeps them out of the routing protocols (FRR redistributes main only).
 */
export function deliveryTable(ifname: string): number {
  let h = 0;
  for (const c of ifname) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return 1000 + (h % 1000);
}

/**
 * Destination site: decapsulated packets leave the tun and are forwarded by the kernel. This host
 * route delivers them onto the VM's bridge from a table only packets that came out of the tun look up
 * (`ip rule iif <tun>`): the delivery stays local to the TOR, the rest of the network still reaches
 * the VM through the anchor, which is the tunnel's traffic roundabout.
 */
export async function deliverFromTunnel(
  runner: CommandRunner,
  prefix: string,
  ifname: string,
  bridge: string,
  io: IoOptions = {},
): Promise<void> {
  const table = String(deliveryTable(ifname));
  const rules = await runner.run(['ip', ...famFlag(prefix), 'rule', 'show', 'iif', ifname], runOpts(io));
  if (!new RegExp(`lookup ${table}\\b`).test(rules.stdout)) {
    await ipRoute(runner, [...famFlag(prefix), 'rule', 'add', 'iif', ifname, 'lookup', table, 'priority', table], io);
  }
  await ipRoute(runner, [...famFlag(prefix), 'route', 'replace', prefix, 'dev', bridge, 'table', table], io);
}

/** Undoes deliverFromTunnel for one prefix; the rule goes with the tunnel (`removeDelivery`). */
export async function stopDelivery(
  runner: CommandRunner,
  prefix: string,
  ifname: string,
  io: IoOptions = {},
): Promise<void> {
  await ipRoute(runner, [...famFlag(prefix), 'route', 'del', prefix, 'table', String(deliveryTable(ifname))], io, true);
}

/** Removes a tunnel's delivery table and rules, both families (idempotent). */
export async function removeDelivery(runner: CommandRunner, ifname: string, io: IoOptions = {}): Promise<void> {
  const table = String(deliveryTable(ifname));
  for (const fam of [[], ['-6']]) {
    await ipRoute(runner, [...fam, 'route', 'flush', 'table', table], io, true);
    // deliverFromTunnel adds the rule once per family; an absent one is fine.
    await runner.run(['ip', ...fam, 'rule', 'del', 'iif', ifname, 'lookup', table], runOpts(io));
  }
}
