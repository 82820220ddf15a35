/**
 * Builds the hardware TestbedAccess (device-access.ts) from the testbed's data: SSH targets of traffic
 * hosts and switches, the remote agent per traffic host, observers per switch platform, tunnel
 * endpoints over SSH on the switches whose SSH exec runs a Linux shell.
 */
import { randomUUID } from 'node:crypto';
import { UsageError } from '../errors/classes.js';
import type { Switch, Testbed, TrafficHost } from '../model/testbed.js';
import { netconfEndpoint } from '../model/switch-access.js';
import { openRemoteHost } from '../probes/remote/ssh-host.js';
import { createDeviceRouteMonitor, sshTargetFor } from '../probes/route-monitor/device-monitor.js';
import { observerGaps } from '../probes/route-monitor/select.js';
import { placementFor } from '../probes/udp/run.js';
import { installPathProbe } from '../probes/path/remote.js';
import type { SshPool, SshTarget } from '../transports/ssh.js';
import { sshRunner } from '../transports/ssh-runner.js';
import type { RouteEntry } from '../migration/types.js';
import { createSshTunnelDriver } from '../tunnel/ssh-driver.js';
import type { IoOptions } from '../util/abort.js';
import { createDeviceAccess, type ReadyHost } from './device-access.js';
import type { TestbedAccess } from './access.js';
import { localRunner } from '../exec/local.js';
import { NETCONF_PROFILES } from '../platforms/netconf-profiles.js';
import { NetconfClient } from '../transports/netconf/client.js';

export interface DeviceWiringOptions {
  readonly pool: SshPool;
  /** Bound of every observer's and agent's life (ms). */
  readonly maxLifetimeMs: number;
  readonly subnetInterface: (device: string, subnet: string) => string | undefined;
  /** Routes of a router read through its driver (polling observers). */
  readonly readRoutesOf: (router: string) => (io: IoOptions) => Promise<readonly RouteEntry[]>;
  readonly signal?: AbortSignal;
}

/** SSH target of a traffic host of kind ssh (the testbed validated address, credentials and host key). */
export function hostTarget(h: TrafficHost): SshTarget {
  if (h.address === undefined || h.credentials === undefined || h.hostKey === undefined) {
    throw new UsageError(`traffic host ${h.name}: kind ssh needs address, credentials and hostKey`);
  }
  return { name: h.name, host: h.address, port: h.port ?? 22, credentials: h.credentials, hostKey: h.hostKey };
}

/** Switches whose SSH exec runs a Linux shell (Linux-based NOS): they can run tunnel endpoints. */
const linuxShell = (sw: Switch): boolean => sw.cli?.platform === 'linux' || sw.cli?.platform === 'frr-vtysh';

async function readyHost(h: TrafficHost, o: DeviceWiringOptions, runId: string, io: IoOptions): Promise<ReadyHost> {
  if (h.kind === 'local') {
    return { placement: placementFor(h), runner: localRunner, close: () => Promise.resolve() };
  }
  const remote = await openRemoteHost({ target: hostTarget(h), pool: o.pool, runId,
    timeoutMs: io.timeoutMs ?? 30_000, ...(io.signal ? { signal: io.signal } : {}) });
  try {
    const pathDelayMs = await remote.pathDelayMs({ timeoutMs: 10_000 });
    let helper: Promise<string> | undefined;
    const pathProbe = (pio: IoOptions): Promise<string> => {
      helper ??= installPathProbe(remote, pio);
      helper.catch(() => { helper = undefined; });
      return helper;
    };
    return { placement: placementFor(h, remote), runner: remote.runner, pathDelayMs, pathProbe,
      close: () => remote.close({ timeoutMs: 10_000 }) };
  } catch (e) {
    await remote.close({ timeoutMs: 10_000 });
    throw e;
  }
}

/**
 * The coarsest route-observation resolution a run can be judged with: a tenth of the reconvergence
 * threshold (a poll every 100 ms cannot judge a 500 ms bound to better than 20 %).
 */
export function maxObserverResolutionMs(tb: Testbed): number {
  return tb.thresholds.maxReconvergenceMs / 10;
}

export function createDeviceWiring(tb: Testbed, o: DeviceWiringOptions): TestbedAccess {
  const runId = randomUUID().slice(0, 8);
  const select = { maxResolutionMs: maxObserverResolutionMs(tb) };
  const routes = createDeviceRouteMonitor({
    ...select,
    switches: tb.switches,
    maxLifetimeMs: o.maxLifetimeMs,
    fdb: true,
    readRoutesOf: (r) => o.readRoutesOf(r),
    // A session of the observer's own: its hello says whether the device offers YANG-push (RFC 8641).
    netconfClientOf: (sw, io) =>
      NetconfClient.connect(netconfEndpoint(sw), { ...io, profile: NETCONF_PROFILES.generic }),
    // No connectSsh from the pool: a monitor owns its connection and closes it at stop, which would end
    // the tunnel agents and commands sharing a pooled one. Each monitor opens its own.
  });
  const shells = tb.switches.filter(linuxShell);
  const tunnels = shells.length === 0 ? undefined : createSshTunnelDriver({
    targetOf: (d) => {
      const sw = shells.find((s) => s.name === d);
      if (sw === undefined) throw new UsageError(`device ${d} has no Linux shell over SSH for a tunnel endpoint`);
      return sshTargetFor(sw);
    },
    pool: o.pool, runId, maxLifetimeMs: o.maxLifetimeMs * 4,
    interfaceOf: (d, dev) => (dev.subnet === undefined ? undefined : o.subnetInterface(d, dev.subnet)) ?? dev.port,
  });
  const access = createDeviceAccess(tb, {
    maxLifetimeMs: o.maxLifetimeMs,
    openHost: (h, io) => readyHost(h, o, runId, io),
    runnerOf: (h) => sshRunner(h.name, (io) => o.pool.get(hostTarget(h), io)),
    routes,
    observerGaps: (routers) => observerGaps(tb.switches.filter((s) => routers.includes(s.name)), select)
      .map((g) => `${g.device}: no route observer: it must offer ${g.missing}`),
    ...(tunnels === undefined ? {} : { tunnels }),
    routeResolutionMs: 1,
  });
  return {
    ...access,
    async close() {
      await access.close();
      await tunnels?.close({ timeoutMs: 10_000 });
    },
  };
}
