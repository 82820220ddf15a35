/**
 * Opens every driver a testbed needs and adapts them to the migration executor's consumer
 * interfaces (MigrationDrivers). The same code serves the emulated lab and hardware: lab-only pieces
 * (namespaces for probes, route monitors, conflict probes and tunnel agents) are chosen from the
 * testbed's `lab` section, never from a separate code path in the executor.
 */
import { availableParallelism, loadavg } from 'node:os';
import { UsageError } from '../errors/classes.js';
import { isVmmiError } from '../errors/vmmi-error.js';
import { localRunner } from '../exec/local.js';
import { netnsRunner } from '../exec/netns.js';
import { openHypervisorDriver } from '../drivers/hypervisor/registry.js';
import type { HypervisorDriver } from '../drivers/hypervisor/types.js';
import { openSwitchDriver } from '../drivers/switch/registry.js';
import type { SwitchDriver } from '../drivers/switch/types.js';
import type { MigrationDrivers, RunMigrationOptions } from '../migration/run.js';
import type { ConflictProbe, GuestCheck, MemoryIntegrity, NetworkDevice, ProbeSession } from '../migration/types.js';
import { checkMemoryIntegrity } from '../probes/guest-control/query.js';
import type { IoOptions } from '../util/abort.js';
import type { Subnet, Testbed, Vm } from '../model/testbed.js';
import { createConflictProbe } from '../probes/conflict/probe.js';
import { udpEcho } from '../lab/health.js';
import { createLabRouteMonitor } from '../probes/route-monitor/adapter.js';
import { placementFor, runUdpProbe, type ProbePlacement } from '../probes/udp/run.js';
import { SshPool } from '../transports/ssh.js';
import { createLabTunnelDriver } from '../tunnel/lab-driver.js';
import { stamp } from '../util/stamp.js';
import { asMigrationHost, type MigrationProgressLine } from './migration-host.js';
import { asNetworkDevice } from './network-device.js';
import { createProbeSession } from './probe-session.js';
import { defined } from '../model/defined.js';
import type { HostLoad } from '../measure/health.js';


/** The controller host's 1-minute load and usable cores, as the executor's starvation evidence. */
const controllerLoad = (): HostLoad => ({ load1: loadavg()[0] ?? 0, cores: availableParallelism() });

export interface OpenedTestbed {
  readonly drivers: MigrationDrivers;
  readonly options: Omit<RunMigrationOptions, 'signal'>;
  readonly probes: ProbeSession;
  readonly hypervisors: ReadonlyMap<string, HypervisorDriver>;
  /** Opens (once) and returns the switch driver of `name`. */
  switchDriver(name: string): Promise<SwitchDriver>;
  close(): Promise<void>;
}

/** Namespace of a lab node, `<prefix>-<node>`; identity outside the emulated lab. */
export function labNs(tb: Testbed, node: string): string {
  return tb.lab === undefined ? node : `${tb.lab.prefix}-${node}`;
}

/** Interface serving `subnet` on a switch: the lab names TOR bridges `br<vni>`; hardware SVIs `vlan<vni>`. */
export function subnetInterface(tb: Testbed, subnetName: string): string | undefined {
  const i = tb.subnets.findIndex((s: Subnet) => s.name === subnetName);
  if (i < 0) return undefined;
  const s = tb.subnets[i] as Subnet;
  return tb.lab !== undefined ? `br${s.vni ?? i}` : s.vni === undefined ? undefined : `vlan${s.vni}`;
}

/**
 * Interface holding the gateway addresses of `subnet` on a switch: in the lab the anycast gateway
 * macvlan `gw<vni>` on the bridge; on hardware the SVI itself.
 */
export function gatewayInterface(tb: Testbed, subnetName: string): string | undefined {
  const svi = subnetInterface(tb, subnetName);
  return tb.lab !== undefined ? svi?.replace(/^br/, 'gw') : svi;
}

/** Address of `neighbor`'s end of the link between `device` and it (host part), per family. */
export function neighborAddress(tb: Testbed, device: string, neighbor: string, family: 4 | 6): string | undefined {
  for (const l of tb.links) {
    const [a, b] = l.endpoints;
    const far =
      a.device === device && b.device === neighbor ? b : b.device === device && a.device === neighbor ? a : undefined;
    const addr = far === undefined ? undefined : family === 4 ? far.ipv4 : far.ipv6;
    if (addr !== undefined) return addr.split('/')[0];
  }
  return undefined;
}

function placementOf(tb: Testbed, hostName: string): ProbePlacement {
  const h = tb.trafficHosts.find((t) => t.name === hostName);
  if (h === undefined)
    throw new UsageError(
      `unknown traffic host "${hostName}"; traffic hosts: ${tb.trafficHosts.map((t) => t.name).join(', ')}`,
    );
  if (h.kind === 'netns' && h.netns !== undefined) return { kind: 'netns', netns: labNs(tb, h.netns) };
  return placementFor(h);
}

/** Guest health: the VM answers its reflector (20 packets at 100 pps from the first traffic host). */
export function guestCheck(tb: Testbed, vm: Vm): GuestCheck {
  return {
    async answers(io) {
      const host = tb.trafficHosts[0];
      const targets = [vm.ipv4, vm.ipv6].flatMap((a) => (a === undefined ? [] : [a.split('/')[0] as string]));
      const target = targets[0];
      if (host === undefined || target === undefined || vm.reflectorPort === 0) return false;
      if (host.kind === 'netns' && host.netns !== undefined) {
        // A plain-node echo check (no TypeScript loader): ~10× cheaper to start than the probe agent.
        // Any family answering is a live guest: a move may have re-routed only the family it measured.
        for (const t of targets) {
          const r = await udpEcho(labNs(tb, host.netns), t, vm.reflectorPort, {
            count: 10, intervalMs: 50, ...defined({ signal: io.signal }) });
          if (r.ok) return true;
        }
        return false;
      }
      const r = await runUdpProbe(
        placementOf(tb, host.name),
        {
          drainMs: 300,
          flows: [{ id: 1, name: `health ${vm.name}`, target, port: vm.reflectorPort, ratePps: 100, durationMs: 200 }],
        },
        { timeoutMs: io.timeoutMs ?? 10_000, ...defined({ signal: io.signal }) },
      );
      return r.flows.some((f) => f.samples.some((s) => s.rxMs !== undefined));
    },
    ...(vm.controlPort === 0 ? {} : { memoryIntegrity: (io: IoOptions) => memoryIntegrityOf(tb, vm, io) }),
  };
}

/**
 * The VM's memory checker asked from the first traffic host, over each address the VM has until one
 * answers (a move may have re-routed only the family it measured).
 */
async function memoryIntegrityOf(tb: Testbed, vm: Vm, io: IoOptions): Promise<MemoryIntegrity> {
  const host = tb.trafficHosts[0];
  const runner = host === undefined ? undefined
    : host.kind === 'netns' && host.netns !== undefined ? netnsRunner(labNs(tb, host.netns))
      : host.kind === 'local' ? localRunner : undefined;
  if (runner === undefined) {
    return {
      status: 'unknown',
      method: 'guest memcheck',
      detail: `the first traffic host (${host?.name ?? 'none'}, kind ${host?.kind ?? '-'}) cannot send to the guest's control port`,
    };
  }
  const addresses = [vm.ipv4, vm.ipv6].flatMap((a) => (a === undefined ? [] : [a.split('/')[0] as string]));
  let last: MemoryIntegrity = { status: 'unknown', method: 'guest memcheck', detail: 'the VM has no address' };
  for (const address of addresses) {
    last = await checkMemoryIntegrity({ runner, address, port: vm.controlPort }, { budgetMs: io.timeoutMs ?? 5000,
      ...defined({ signal: io.signal }) });
    if (last.status !== 'unknown') return last;
  }
  return last;
}

/** Lab conflict probes run in a hypervisor namespace of the subnet's site, on its bridge. */
function labConflicts(tb: Testbed): ConflictProbe {
  return {
    async whoHolds(address, subnetName, io) {
      const subnet = tb.subnets.find((s) => s.name === subnetName);
      const hv = tb.hypervisors.find((h) => h.site === subnet?.site) ?? tb.hypervisors[0];
      if (hv === undefined) return undefined;
      // The executor asks about the moving VM's own addresses: its replies and records are not conflicts.
      const excludeVm = tb.vms.find((v) =>
        [v.ipv4, v.ipv6].some((a) => a?.split('/')[0] === address.split('/')[0]),
      )?.name;
      const probe = createConflictProbe({
        runner: netnsRunner(labNs(tb, hv.name)),
        dev: 'br0',
        testbed: tb,
        ...defined({ excludeVm }),
      });
      return probe.whoHolds(address, subnetName, io);
    },
  };
}

/** Options of openTestbed. */
export interface OpenTestbedOptions {
  /** Live migration progress (percent, iteration, downtime estimate) for terminals. */
  readonly onProgress?: (p: MigrationProgressLine) => void;
}

/** A progress printer for terminals: one line per sample, overwritten in place on a TTY. */
export function progressPrinter(out: NodeJS.WriteStream = process.stderr): (p: MigrationProgressLine) => void {
  return (p) => {
    const est = p.downtimeEstimateMs === undefined ? 'n/a' : `${p.downtimeEstimateMs.toFixed(0)} ms`;
    const line = `  migrate ${p.domain} on ${p.host}: ${p.percent.toFixed(0).padStart(3)} %  pass ${p.iteration}  downtime estimate ${est}`;
    out.write(out.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  };
}

/** Opens a driver for every hypervisor of the testbed; on any failure closes those already open. */
async function openHypervisors(tb: Testbed): Promise<Map<string, HypervisorDriver>> {
  const hypervisors = new Map<string, HypervisorDriver>();
  try {
    for (const hv of tb.hypervisors) {
      hypervisors.set(hv.name, await openHypervisorDriver(hv.driver, hv, {}));
    }
  } catch (e) {
    await Promise.all([...hypervisors.values()].map((d) => d.close().catch(() => undefined)));
    throw e;
  }
  return hypervisors;
}

export async function openTestbed(
  tb: Testbed,
  signal?: AbortSignal,
  opts: OpenTestbedOptions = {},
): Promise<OpenedTestbed> {
  const hypervisors = await openHypervisors(tb);
  const pool = new SshPool();
  const switches = new Map<string, Promise<SwitchDriver>>();
  const byUri = (uri: string): HypervisorDriver | undefined => {
    const hv = tb.hypervisors.find((h) => h.migrationUri === uri || h.uri === uri);
    return hv === undefined ? undefined : hypervisors.get(hv.name);
  };
  const switchDriver = (name: string): Promise<SwitchDriver> => {
    const sw = tb.switches.find((s) => s.name === name);
    if (sw === undefined) return Promise.reject(new UsageError(`unknown switch "${name}"`));
    let p = switches.get(name);
    if (p === undefined) {
      p = openSwitchDriver(sw, { pool, timeoutMs: 20_000, ...defined({ signal }) });
      p.catch(() => switches.delete(name));
      switches.set(name, p);
    }
    return p;
  };
  const budgetMs = tb.migration.timeoutMs + 60_000;
  const lab = tb.lab !== undefined;
  const tunnels = lab
    ? createLabTunnelDriver({
        nsOf: (d) => labNs(tb, d),
        runnerOf: (d) => netnsRunner(labNs(tb, d)),
        maxLifetimeMs: budgetMs * 4,
        interfaceOf: (_d, dev) => (dev.subnet === undefined ? undefined : subnetInterface(tb, dev.subnet)) ?? dev.port,
      })
    : undefined;
  const devices = new Map<string, NetworkDevice>();
  const device = (name: string): NetworkDevice => {
    let d = devices.get(name);
    if (d === undefined)
      d = lazyDevice(
        name,
        async () =>
          asNetworkDevice(await switchDriver(name), {
            subnetInterface: (s) => subnetInterface(tb, s),
            gatewayInterface: (s) => gatewayInterface(tb, s),
            neighborAddress: (n, f) => neighborAddress(tb, name, n, f),
            ...defined({ tunnels }),
          }),
        () => {
          // The session died (device rebooted, sshd restarted, link cut): the next call opens a new one.
          const dead = switches.get(name);
          switches.delete(name);
          void dead?.then((x) => x.close()).catch(() => undefined);
        },
      );
    devices.set(name, d);
    return d;
  };
  const probes = createProbeSession({
    placementOf: (h) => placementOf(tb, h),
    baselineMs: Math.max(1000, tb.probe.baselineMs),
    tailMs: 1500,
    maxDurationMs: budgetMs,
    drainMs: tb.probe.drainMs,
    payloadBytes: tb.probe.payloadBytes,
  });
  const routes = createLabRouteMonitor({ nsOf: (r) => labNs(tb, r), maxLifetimeMs: budgetMs, fdb: true });
  const drivers: MigrationDrivers = {
    host(name) {
      const d = hypervisors.get(name);
      if (d === undefined)
        throw new UsageError(`unknown hypervisor "${name}"; hypervisors: ${[...hypervisors.keys()].join(', ')}`);
      return asMigrationHost(d, byUri, opts.onProgress);
    },
    device,
    guest: (vm) => guestCheck(tb, vm),
    probes,
    conflicts: lab ? labConflicts(tb) : { whoHolds: () => Promise.resolve(undefined) },
    routes,
    now: stamp,
  };
  return {
    drivers,
    probes,
    hypervisors,
    switchDriver,
    options: {
      routeResolutionMs: 1, clockSyncKnown: lab, verify: { timeoutMs: 30_000, intervalMs: 500 },
      hostLoad: controllerLoad,
    },
    async close() {
      await tunnels?.stopAll({ timeoutMs: 10_000 }).catch(() => undefined);
      const sws = await Promise.allSettled([...switches.values()]);
      await Promise.all(
        sws.map((s) => (s.status === 'fulfilled' ? s.value.close().catch(() => undefined) : undefined)),
      );
      await pool.closeAll();
      await Promise.all([...hypervisors.values()].map((d) => d.close().catch(() => undefined)));
    },
  };
}

/**
 * A NetworkDevice that connects on first use (most runs touch few of a testbed's switches) and
 * reconnects after its session was lost: a CONNECTION error drops the cached driver, so the next call
 * (a rollback, a residue check) runs on a fresh session. Transaction handles of the old session are
 * not carried over: rolling one back fails and the executor falls back to inverse ops.
 */
function lazyDevice(name: string, open: () => Promise<NetworkDevice>, onLost: () => void): NetworkDevice {
  let p: Promise<NetworkDevice> | undefined;
  const get = (): Promise<NetworkDevice> => {
    p ??= open();
    p.catch(() => { p = undefined; });
    return p;
  };
  const call = async <T>(f: (d: NetworkDevice) => Promise<T>): Promise<T> => {
    try {
      return await f(await get());
    } catch (e) {
      if (isVmmiError(e) && e.code === 'CONNECTION') {
        p = undefined;
        onLost();
      }
      throw e;
    }
  };
  return {
    name,
    applyTransaction: (ops, io) => call((d) => d.applyTransaction(ops, io)),
    rollback: (tx, io) => call((d) => d.rollback(tx, io)),
    snapshotRunning: (io) => call((d) => d.snapshotRunning(io)),
    addHostRoute: (r, io) => call((d) => d.addHostRoute(r, io)),
    removeHostRoute: (r, io) => call((d) => d.removeHostRoute(r, io)),
    readRoutes: (io) => call((d) => d.readRoutes(io)),
    readNeighbors: (io) => call((d) => d.readNeighbors(io)),
  };
}
