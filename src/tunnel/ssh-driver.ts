/**
 * The tunnel strategy's operations on Linux switches or hosts reached over SSH: the same interface
 * and semantics as the lab driver (lab-driver.ts: idempotent starts and stops, capture into the tun,
 * delivery from it in a policy table), with each endpoint's agent run from the remote agent bundle
 * (RemoteTunnelAgent) and the routes set with `ip` over SSH exec. Each device is prepared once, on
 * first use (openRemoteHost: host key, `node` check, per-run directory, bundle, optionally tunagent).
 */
import { readFile } from 'node:fs/promises';
import type { CommandRunner } from '../exec/types.js';
import type { DeviceOp, OnLink } from '../migration/strategies/types.js';
import { openRemoteHost, type RemoteHost } from '../probes/remote/ssh-host.js';
import type { SshPool, SshTarget } from '../transports/ssh.js';
import type { IoOptions } from '../util/abort.js';
import { removeDelivery, type TunnelAgentHandle } from './agent.js';
import { tunIfName, type AgentCounters } from './header.js';
import { checkEndpoint, createLabTunnelDriver, type LabTunnelDriver } from './lab-driver.js';
import type { TunnelEndpoint } from './header.js';
import { sshShellRunner } from '../transports/ssh-shell-runner.js';
import { RemoteTunnelAgent } from './remote-agent.js';

/** Where tunagent is on a device when it is not uploaded (scripts/build-lab-assets installs it there). */
export const REMOTE_TUNAGENT = '/var/lib/vmmi/assets/tunagent';

export interface SshTunnelDriverOptions {
  /** SSH target of a device (host key policy and credentials as for any other SSH device). */
  readonly targetOf: (device: string) => SshTarget;
  readonly pool?: SshPool;
  /** Names the per-run directories on the devices. */
  readonly runId: string;
  /** Bound of every agent's life (ms): the run's budget plus margin. */
  readonly maxLifetimeMs: number;
  /** tunagent on the devices (default REMOTE_TUNAGENT), unless `uploadBinary`. */
  readonly binary?: string;
  /** A local tunagent build (static, for the devices' architecture) uploaded into each per-run directory. */
  readonly uploadBinary?: string;
  /**
   * argv prefix of every command on a device: `['sudo', '-n']` where the login is not root (tun and
   * routes need CAP_NET_ADMIN); `['ip', 'netns', 'exec', ns]` to place an endpoint in a namespace.
   */
  readonly commandPrefix?: (device: string) => readonly string[];
  /** Interface of an on-link target on a device (the subnet's bridge, else the named port). */
  readonly interfaceOf: (device: string, dev: OnLink) => string | undefined;
  /** Bound of preparing a device (connect, check, upload), ms (default 20 000). */
  readonly openTimeoutMs?: number;
  /** Command that runs Node.js on the devices (default `node`). */
  readonly node?: string;
}

export interface SshTunnelDriver extends LabTunnelDriver {
  /** Stops every agent and removes the per-run directories; never throws. */
  close(io: IoOptions): Promise<void>;
}

export function createSshTunnelDriver(o: SshTunnelDriverOptions): SshTunnelDriver {
  const hosts = new Map<string, Promise<RemoteHost>>();
  const agents = new Map<string, TunnelAgentHandle>();
  const endpoints = new Map<string, TunnelEndpoint & { readonly device: string }>();
  const prefix = (device: string): readonly string[] => o.commandPrefix?.(device) ?? [];
  const hostOf = (device: string, io: IoOptions): Promise<RemoteHost> => {
    let h = hosts.get(device);
    if (h === undefined) {
      h = prepare(o, device, io);
      hosts.set(device, h);
      h.catch(() => hosts.delete(device));
    }
    return h;
  };
  // Route and rule commands go through one long-lived shell per device: a switchover sends several in a
  // row, and an SSH exec each (a channel, a session process and a shell on the device) took 120–290 ms
  // per command on a loaded lab switch.
  const shells = new Map<string, ReturnType<typeof sshShellRunner>>();
  const shellOf = (device: string): ReturnType<typeof sshShellRunner> => {
    let sh = shells.get(device);
    if (sh === undefined) {
      sh = sshShellRunner(device, async (ro) => (await hostOf(device, ro)).connection(ro));
      shells.set(device, sh);
    }
    return sh;
  };
  const runnerOf = (device: string): CommandRunner => ({
    where: `ssh:${device}`,
    run: (argv, opts = {}) => shellOf(device).run([...prefix(device), ...argv], {
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    }),
  });
  // Routes and delivery are the lab driver's own code, given runners over SSH; agents are started here.
  const routes = createLabTunnelDriver({ nsOf: () => '', runnerOf, maxLifetimeMs: o.maxLifetimeMs,
    interfaceOf: o.interfaceOf });
  const key = (device: string, tunnel: string): string => `${device}/${tunnel}`;
  const stopAll = async (io: IoOptions): Promise<Record<string, AgentCounters | undefined>> => {
    const out: Record<string, AgentCounters | undefined> = {};
    await Promise.all([...agents].map(async ([k, a]) => { out[k] = await a.stop(io); }));
    agents.clear();
    endpoints.clear();
    return out;
  };
  return {
    agents,
    handles: (op) => routes.handles(op),
    async apply(op: DeviceOp, io: IoOptions): Promise<void> {
      if (op.op === 'tunnel-start') {
        const k = key(op.device, op.tunnel);
        if (agents.get(k)?.running === true) return;
        for (const [x, a] of agents) if (!a.running) endpoints.delete(x);
        const ep = checkEndpoint(endpoints, op);
        const host = await hostOf(op.device, io);
        const binary = o.uploadBinary === undefined ? o.binary ?? REMOTE_TUNAGENT : `${host.dir}/tunagent`;
        agents.set(k, await RemoteTunnelAgent.start(host, { tunnel: op.tunnel, local: op.local, remote: op.remote,
          encapsulation: ep.encapsulation, maxLifetimeMs: o.maxLifetimeMs, binary }, prefix(op.device), io));
        endpoints.set(k, { ...ep, device: op.device });
        return;
      }
      if (op.op === 'tunnel-stop') {
        const k = key(op.device, op.tunnel);
        await agents.get(k)?.stop(io);
        agents.delete(k);
        endpoints.delete(k);
        if (op.role === 'decap') await removeDelivery(runnerOf(op.device), tunIfName(op.tunnel), io);
        return;
      }
      return routes.apply(op, io);
    },
    async counters(io: IoOptions): Promise<Record<string, AgentCounters>> {
      const out: Record<string, AgentCounters> = {};
      for (const [k, a] of agents) if (a.running) out[k] = await a.counters(io);
      return out;
    },
    stopAll,
    async close(io: IoOptions): Promise<void> {
      await stopAll(io).catch(() => undefined);
      for (const sh of shells.values()) sh.close();
      shells.clear();
      const all = [...hosts.values()];
      hosts.clear();
      await Promise.all(all.map(async (h) => (await h.catch(() => undefined))?.close(io)));
    },
  };
}

async function prepare(o: SshTunnelDriverOptions, device: string, io: IoOptions): Promise<RemoteHost> {
  const timeoutMs = o.openTimeoutMs ?? 20_000;
  const host = await openRemoteHost({ target: { name: device, ...o.targetOf(device) }, runId: o.runId, timeoutMs,
    ...(o.pool === undefined ? {} : { pool: o.pool }), ...(io.signal === undefined ? {} : { signal: io.signal }),
    ...(o.node === undefined ? {} : { node: o.node }) });
  if (o.uploadBinary === undefined) return host;
  try {
    const conn = await host.connection({ timeoutMs });
    await conn.upload(await readFile(o.uploadBinary), `${host.dir}/tunagent`, { timeoutMs, mode: 0o700 });
    return host;
  } catch (e) {
    await host.close({ timeoutMs });
    throw e;
  }
}
