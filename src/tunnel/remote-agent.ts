/**
 * A tunnel agent on a remote Linux switch or host: the remote agent bundle's `tunnel` subcommand
 * (tunnel/remote-main.ts) on an SSH exec channel of a prepared RemoteHost. Control is the line
 * protocol on that channel (`counters`, `stop`, EOF), so no remote PID or SSH signal is relied on;
 * a channel that closes for any reason stops the agent on the host, and its tun device and the
 * routes through it vanish with it.
 */
import { createInterface } from 'node:readline';
import { VmmiError } from '../errors/vmmi-error.js';
import { TimeoutError } from '../errors/classes.js';
import type { RemoteHost } from '../probes/remote/ssh-host.js';
import type { SshProcess } from '../transports/ssh.js';
import { withDeadline, type IoOptions } from '../util/abort.js';
import type { TunnelAgentHandle, TunnelAgentSpec } from './agent.js';
import { parseCounters, tunIfName, type AgentCounters } from './header.js';

export class RemoteTunnelAgent implements TunnelAgentHandle {
  readonly ifname: string;
  readonly #proc: SshProcess;
  readonly #counters: AgentCounters[] = [];
  readonly #waiters = new Set<(c: AgentCounters) => void>();
  #stderr = '';
  #running = true;
  readonly #where: string;

  private constructor(spec: Omit<TunnelAgentSpec, 'ns'>, proc: SshProcess, where: string) {
    this.ifname = tunIfName(spec.tunnel);
    this.#proc = proc;
    this.#where = where;
    void proc.exit.then(() => (this.#running = false));
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d: string) => { this.#stderr = (this.#stderr + d).slice(-2048); });
  }

  get running(): boolean { return this.#running; }

  /**
   * Starts the agent on `host` (argv `[...prefix, node, bundle, 'tunnel', json]`; a prefix such as
   * `sudo -n` gives it the CAP_NET_ADMIN a tun device needs) and resolves once its tun device is up.
   */
  static async start(host: RemoteHost, spec: Omit<TunnelAgentSpec, 'ns'>, prefix: readonly string[],
    io: IoOptions = {}): Promise<RemoteTunnelAgent> {
    const timeoutMs = io.timeoutMs ?? 10_000;
    const conn = await host.connection({ ...io, timeoutMs });
    const proc = await conn.spawn([...prefix, ...host.agentArgv('tunnel'), JSON.stringify(spec)], { ...io, timeoutMs });
    const a = new RemoteTunnelAgent(spec, proc, `${host.name}`);
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: proc.stdout, crlfDelay: Infinity }).on('line', (line) => {
        if (line.startsWith('tunagent-ready')) resolve();
        const c = parseCounters(line);
        if (c === undefined) return;
        a.#counters.push(c);
        for (const w of a.#waiters) w(c);
      });
      void proc.exit.then((ex) => reject(new VmmiError('PROBE',
        `tunnel agent ${a.ifname} on ${host.name} exited (${ex.code ?? ex.signal ?? 'channel closed'}) before ready: ` +
        `${a.#stderr.trim().slice(-600)}`,
        { hint: 'the host needs tunagent (or uploadBinary), /dev/net/tun and root or CAP_NET_ADMIN (commandPrefix)' })));
    });
    try {
      await withDeadline(ready, `tunnel agent ${a.ifname} start on ${host.name}`, { ...io, timeoutMs });
    } catch (e) {
      await a.stop({ timeoutMs: 2000 }).catch(() => undefined);
      throw e;
    }
    return a;
  }

  /** Live counters (the agent dumps them on `counters`); the last ones once it stopped. */
  async counters(io: IoOptions = {}): Promise<AgentCounters> {
    if (!this.#running) {
      const last = this.#counters[this.#counters.length - 1];
      if (last !== undefined) return last;
      throw new VmmiError('PROBE', `tunnel agent ${this.ifname} on ${this.#where} is not running and printed no counters`);
    }
    let off: (() => void) | undefined;
    const next = new Promise<AgentCounters>((res) => {
      const w = (c: AgentCounters): void => res(c);
      this.#waiters.add(w);
      off = () => this.#waiters.delete(w);
    });
    this.#proc.write('counters\n');
    try {
      return await withDeadline(next, `tunnel agent ${this.ifname} counters on ${this.#where}`,
        { timeoutMs: io.timeoutMs ?? 2000, ...(io.signal === undefined ? {} : { signal: io.signal }) });
    } finally {
      off?.();
    }
  }

  /** Stops the agent (`stop`, EOF; then TERM and closing the channel) and returns its final counters. */
  async stop(io: IoOptions = {}): Promise<AgentCounters | undefined> {
    if (this.#running) {
      this.#proc.write('stop\n');
      this.#proc.endInput();
      try {
        await withDeadline(this.#proc.exit, `tunnel agent ${this.ifname} exit on ${this.#where}`,
          { timeoutMs: io.timeoutMs ?? 5000 });
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
        this.#proc.signal('TERM');
        this.#proc.close(); // the agent also stops on the closed channel (stdin EOF)
      }
    }
    await this.#proc.exit;
    return this.#counters.find((c) => c.why !== 'dump') ?? this.#counters[this.#counters.length - 1];
  }
}
