/**
 * TestbedAccess for hardware: every node is reached through its management interface only. Traffic
 * hosts of kind `ssh` run the probe agent over SSH exec (copied per run over SFTP), commands run over
 * SSH exec, the destination-subnet conflict probe runs on a traffic host attached to that subnet,
 * routers are watched by what their platform offers (SSH exec monitors, YANG-push, polling), and
 * tunnel endpoints start over SSH on Linux-based switches. What a run needs and the testbed lacks is
 * named by `missing`, which the executor's precheck turns into a refusal.
 */
import { localRunner } from '../exec/local.js';
import type { CommandRunner } from '../exec/types.js';
import { parseCidr, contains, parseIp } from '../inventory/ip.js';
import type { RouteMonitor } from '../migration/types.js';
import type { Subnet, Testbed, TrafficHost } from '../model/testbed.js';
import type { ProbePlacement } from '../probes/udp/run.js';
import type { LabTunnelDriver } from '../tunnel/lab-driver.js';
import type { IoOptions } from '../util/abort.js';
import { PrecheckError } from '../errors/classes.js';
import type { AccessNeeds, SubnetHost, TestbedAccess } from './access.js';

/** A traffic host made ready for probes (SSH: connected, `node` checked, agent uploaded). */
export interface ReadyHost {
  readonly placement: ProbePlacement;
  readonly runner: CommandRunner;
  /** One-way delay of the control path to the host (ms): the resolution of what it reports. */
  readonly pathDelayMs?: number;
  /** Puts the path probe helper on the host once and gives its path (SSH hosts). */
  readonly pathProbe?: (io: IoOptions) => Promise<string>;
  close(): Promise<void>;
}

export interface DeviceAccessOptions {
  /** Bound of every observer's and agent's life (ms). */
  readonly maxLifetimeMs: number;
  /** Makes an SSH traffic host ready; throws PrecheckError naming what it lacks. */
  readonly openHost: (h: TrafficHost, io: IoOptions) => Promise<ReadyHost>;
  /** Runner on an SSH traffic host without the agent (conflict probes, guest control queries). */
  readonly runnerOf: (h: TrafficHost) => CommandRunner;
  /** Observers of the routers, chosen per platform; `gaps` names routers nothing can observe. */
  readonly routes: RouteMonitor;
  readonly observerGaps: (routers: readonly string[]) => readonly string[];
  /** Tunnel endpoints over SSH on Linux-based switches (undefined: the testbed has none). */
  readonly tunnels?: LabTunnelDriver;
  /** Route event resolution (ms) the observers state. */
  readonly routeResolutionMs: number;
}

/** True when one of the host's addresses lies in one of the subnet's prefixes. */
function attachedTo(h: TrafficHost, s: Subnet): boolean {
  const plans = [s.ipv4?.prefix, s.ipv6?.prefix].flatMap((p) => (p === undefined ? [] : [parseCidr(p)]));
  return [h.ipv4, h.ipv6].some((a) => {
    const ip = a === undefined ? undefined : parseIp(a.split('/')[0] ?? a);
    return ip !== undefined && plans.some((c) => c !== undefined && contains(c, ip.family, ip.addr));
  });
}

/** Traffic hosts the controller reaches by management interface (netns hosts exist only in the lab). */
const reachable = (h: TrafficHost): boolean => h.kind === 'ssh' || h.kind === 'local';

/** The interface of `h` on the subnet: the testbed's, else the one its route to the gateway leaves by. */
async function interfaceOn(h: TrafficHost, s: Subnet, runner: CommandRunner, io: IoOptions): Promise<string> {
  if (h.interface !== undefined) return h.interface;
  const gw = s.ipv4?.gateway ?? s.ipv6?.gateway;
  const r = gw === undefined ? undefined : await runner.run(['ip', '-o', 'route', 'get', gw], {
    timeoutMs: io.timeoutMs ?? 10_000, ...(io.signal ? { signal: io.signal } : {}) });
  const dev = r === undefined || r.failed ? undefined : /\bdev (\S+)/.exec(r.stdout)?.[1];
  if (dev === undefined) {
    throw new PrecheckError(`traffic host ${h.name}: cannot find its interface on subnet ${s.name}`, {
      device: h.name, hint: `set trafficHosts.${h.name}.interface to its interface on that subnet` });
  }
  return dev;
}

export function createDeviceAccess(tb: Testbed, o: DeviceAccessOptions): TestbedAccess {
  const ready = new Map<string, Promise<ReadyHost>>();
  const opened = new Map<string, ReadyHost>();
  const open = (h: TrafficHost, io: IoOptions): Promise<ReadyHost> => {
    let p = ready.get(h.name);
    if (p === undefined) {
      p = o.openHost(h, io).then((r) => (opened.set(h.name, r), r));
      p.catch(() => ready.delete(h.name));
      ready.set(h.name, p);
    }
    return p;
  };
  const runnerOf = (h: TrafficHost): CommandRunner | undefined =>
    h.kind === 'ssh' ? o.runnerOf(h) : h.kind === 'local' ? localRunner : undefined;
  const subnetHostOf = (s: Subnet): TrafficHost | undefined =>
    tb.trafficHosts.find((h) => reachable(h) && attachedTo(h, s));
  return {
    via: 'management interfaces (SSH exec and SFTP to hosts and Linux switches, NETCONF, libvirt RPC)',
    async prepare(hosts, io) {
      for (const h of hosts) {
        if (!reachable(h)) {
          throw new PrecheckError(`traffic host ${h.name} is of kind ${h.kind}, which exists only in the emulated lab`,
            { device: h.name, hint: 'describe it as kind ssh (address, credentials, hostKey)' });
        }
        await open(h, io);
      }
    },
    placementOf(h) {
      const r = opened.get(h.name);
      if (r === undefined) throw new PrecheckError(`traffic host ${h.name} was not prepared`, { device: h.name });
      return r.placement;
    },
    async pathProbeOf(h, io) {
      const r = opened.get(h.name);
      if (r === undefined) throw new PrecheckError(`traffic host ${h.name} was not prepared`, { device: h.name });
      return r.pathProbe?.(io);
    },
    runnerOf: (h) => Promise.resolve(runnerOf(h)),
    subnetHost(s): SubnetHost | undefined {
      const h = subnetHostOf(s);
      const runner = h === undefined ? undefined : runnerOf(h);
      if (h === undefined || runner === undefined) return undefined;
      let dev: string | undefined;
      return {
        name: h.name,
        async open(io) {
          dev ??= await interfaceOn(h, s, runner, io);
          return { runner, dev };
        },
      };
    },
    routes: o.routes,
    tunnels: o.tunnels,
    async missing(needs: AccessNeeds, io) {
      const out = [...o.observerGaps(needs.routers)];
      const subnet = tb.subnets.find((s) => s.name === needs.subnet);
      if (subnet !== undefined && subnetHostOf(subnet) === undefined) {
        out.push(`no traffic host in the destination subnet ${subnet.name} for the conflict probe (ARP probe / DAD): `
          + 'add an ssh traffic host whose ipv4/ipv6 lies in that subnet');
      }
      for (const name of needs.trafficHosts) {
        const h = tb.trafficHosts.find((t) => t.name === name);
        if (h === undefined) continue;
        try {
          await this.prepare([h], io);
        } catch (e) {
          out.push((e as Error).message);
        }
      }
      return out;
    },
    routeResolutionMs: o.routeResolutionMs,
    clockSyncKnown: false,
    async close() {
      await o.tunnels?.stopAll({ timeoutMs: 10_000 }).catch(() => undefined);
      await Promise.all([...opened.values()].map((r) => r.close().catch(() => undefined)));
      opened.clear();
      ready.clear();
    },
  };
}
