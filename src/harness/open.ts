/**
 * Opens every driver a testbed needs and adapts them to the migration executor's consumer
 * interfaces (MigrationDrivers). The same code serves the emulated lab and hardware: how probes,
 * observers, conflict probes and tunnel endpoints reach the nodes is one TestbedAccess (access.ts),
 * picked once from the testbed's data (`accessFor`); nothing below branches on the lab.
 */
import { availableParallelism, loadavg } from 'node:os';
import { UsageError } from '../errors/classes.js';
import { isVmmiError } from '../errors/vmmi-error.js';
import { forbidNamespaceEntry } from '../exec/namespace-guard.js';
import { openHypervisorDriver } from '../drivers/hypervisor/registry.js';
import type { HypervisorDriver } from '../drivers/hypervisor/types.js';
import { openSwitchDriver } from '../drivers/switch/registry.js';
import type { SwitchDriver } from '../drivers/switch/types.js';
import { createPathTracer } from './path-tracer.js';
import type { MigrationDrivers, RunMigrationOptions } from '../migration/run.js';
import type { ConflictProbe, GuestCheck, MemoryIntegrity, NetworkDevice, ProbeSession } from '../migration/types.js';
import { checkMemoryIntegrity } from '../probes/guest-control/query.js';
import type { IoOptions } from '../util/abort.js';
import type { Subnet, Testbed, TrafficHost, Vm } from '../model/testbed.js';
import { createConflictProbe } from '../probes/conflict/probe.js';
import { runUdpProbe } from '../probes/udp/run.js';
import { SshPool } from '../transports/ssh.js';
import { sshRunner } from '../transports/ssh-runner.js';
import type { CommandRunner } from '../exec/types.js';
import { sshTargetFor } from '../probes/route-monitor/device-monitor.js';
import { createLabAccess } from '../lab/access.js';
import { INTERFACE_NAMES } from '../platforms/interface-names.js';
import { PrecheckError } from '../migration/errors.js';
import type { TestbedAccess } from './access.js';
import { createDeviceWiring } from './device-wiring.js';
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
  /** How the testbed's nodes are reached (lab namespaces or management interfaces). */
  readonly access: TestbedAccess;
  /**
   * Commands on switch `name`'s Linux shell over SSH exec (a Linux NOS: cli platform linux or
   * frr-vtysh); undefined for switches whose SSH exec reaches no shell.
   */
  shellOf(name: string): CommandRunner | undefined;
  /** Opens (once) and returns the switch driver of `name`. */
  switchDriver(name: string): Promise<SwitchDriver>;
  close(): Promise<void>;
}

/** The subnet `subnetName` (undefined when the testbed has none of that name). */
const subnetOf = (tb: Testbed, subnetName: string): Subnet | undefined =>
  tb.subnets.find((s) => s.name === subnetName);

/**
 * Interface serving `subnet` on switch `device`: the testbed's `interface` for the subnet, else what
 * the device's platform calls the SVI of the subnet's VNI (platforms/interface-names.ts).
 */
export function subnetInterface(tb: Testbed, device: string, subnetName: string): string | undefined {
  const s = subnetOf(tb, subnetName);
  if (s === undefined) return undefined;
  if (s.interface !== undefined) return s.interface;
  const kind = tb.switches.find((w) => w.name === device)?.kind;
  return kind === undefined || s.vni === undefined ? undefined : INTERFACE_NAMES[kind].subnet(s.vni);
}

/** Interface holding the gateway addresses of `subnet` on `device`: the testbed's, else the platform's. */
export function gatewayInterface(tb: Testbed, device: string, subnetName: string): string | undefined {
  const s = subnetOf(tb, subnetName);
  if (s?.gatewayInterface !== undefined) return s.gatewayInterface;
  const svi = subnetInterface(tb, device, subnetName);
  const kind = tb.switches.find((w) => w.name === device)?.kind;
  return svi === undefined || kind === undefined ? svi : INTERFACE_NAMES[kind].gateway(svi);
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

function trafficHost(tb: Testbed, hostName: string): TrafficHost {
  const h = tb.trafficHosts.find((t) => t.name === hostName);
  if (h === undefined)
    throw new UsageError(
      `unknown traffic host "${hostName}"; traffic hosts: ${tb.trafficHosts.map((t) => t.name).join(', ')}`,
    );
  return h;
}

const addressesOf = (vm: Vm): string[] =>
  [vm.ipv4, vm.ipv6].flatMap((a) => (a === undefined ? [] : [a.split('/')[0] as string]));

/** Guest health: the VM answers its reflector (from the first traffic host). */
export function guestCheck(tb: Testbed, vm: Vm, access: TestbedAccess): GuestCheck {
  return {
    async answers(io) {
      const host = tb.trafficHosts[0];
      const targets = addressesOf(vm);
      const target = targets[0];
      if (host === undefined || target === undefined || vm.reflectorPort === 0) return false;
      const echo = access.echoFrom?.(host);
      if (echo !== undefined) {
        // Any family answering is a live guest: a move may have re-routed only the family it measured.
        for (const t of targets) if (await echo(t, vm.reflectorPort, io)) return true;
        return false;
      }
      await access.prepare([host], io);
      const r = await runUdpProbe(
        access.placementOf(host),
        {
          drainMs: 300,
          flows: [{ id: 1, name: `health ${vm.name}`, target, port: vm.reflectorPort, ratePps: 100, durationMs: 200 }],
        },
        { timeoutMs: io.timeoutMs ?? 10_000, ...defined({ signal: io.signal }) },
      );
      return r.flows.some((f) => f.samples.some((s) => s.rxMs !== undefined));
    },
    ...(vm.controlPort === 0 ? {} : { memoryIntegrity: (io: IoOptions) => memoryIntegrityOf(tb, vm, access, io) }),
  };
}

/**
 * The VM's memory checker asked from the first traffic host, over each address the VM has until one
 * answers (a move may have re-routed only the family it measured).
 */
async function memoryIntegrityOf(tb: Testbed, vm: Vm, access: TestbedAccess, io: IoOptions): Promise<MemoryIntegrity> {
  const host = tb.trafficHosts[0];
  const runner = host === undefined ? undefined : await access.runnerOf(host, io);
  if (runner === undefined) {
    return {
      status: 'unknown',
      method: 'guest memcheck',
      detail: `the first traffic host (${host?.name ?? 'none'}, kind ${host?.kind ?? '-'}) cannot send to the guest's control port`,
    };
  }
  let last: MemoryIntegrity = { status: 'unknown', method: 'guest memcheck', detail: 'the VM has no address' };
  for (const address of addressesOf(vm)) {
    last = await checkMemoryIntegrity({ runner, address, port: vm.controlPort }, { budgetMs: io.timeoutMs ?? 5000,
      ...defined({ signal: io.signal }) });
    if (last.status !== 'unknown') return last;
  }
  return last;
}

/**
 * Destination-subnet conflict probes run on the host the access names for the subnet. A testbed with
 * no such host cannot answer: the precheck refuses the run by name (`missing`), and a caller that
 * skips the precheck gets a PrecheckError here, never "no holder".
 */
function subnetConflicts(tb: Testbed, access: TestbedAccess): ConflictProbe {
  return {
    async whoHolds(address, subnetName, io) {
      const subnet = subnetOf(tb, subnetName);
      const host = subnet === undefined ? undefined : access.subnetHost(subnet);
      if (host === undefined) {
        throw new PrecheckError(`no host in subnet ${subnetName} to probe ${address} for conflicts`, {
          hint: 'add a traffic host attached to that subnet (its ipv4/ipv6 inside the prefix, and `interface`)',
        });
      }
      // The executor asks about the moving VM's own addresses: its replies and records are not conflicts.
      const excludeVm = tb.vms.find((v) => addressesOf(v).includes(address.split('/')[0] ?? address))?.name;
      const { runner, dev } = await host.open(io);
      const probe = createConflictProbe({
        runner,
        dev,
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

/**
 * How this testbed's nodes are reached: a testbed with a `lab:` section is the emulated lab built on
 * this host (namespaces); any other is hardware, reached through management interfaces only, and
 * while it is open no process of this controller may enter a namespace (exec/namespace-guard.ts).
 */
function accessFor(tb: Testbed, pool: SshPool, budgetMs: number, device: (name: string) => NetworkDevice,
  signal: AbortSignal | undefined): TestbedAccess {
  const subnetIf = (d: string, s: string): string | undefined => subnetInterface(tb, d, s);
  return tb.lab !== undefined
    ? createLabAccess(tb, { maxLifetimeMs: budgetMs, subnetInterface: subnetIf })
    : createDeviceWiring(tb, { pool, maxLifetimeMs: budgetMs, subnetInterface: subnetIf,
      readRoutesOf: (r) => (io) => device(r).readRoutes(io), ...defined({ signal }) });
}

export async function openTestbed(
  tb: Testbed,
  signal?: AbortSignal,
  opts: OpenTestbedOptions = {},
): Promise<OpenedTestbed> {
  const release = tb.lab === undefined ? forbidNamespaceEntry(`testbed "${tb.name}" has no lab section`) : () => {};
  let hypervisors: Map<string, HypervisorDriver>;
  try {
    hypervisors = await openHypervisors(tb);
  } catch (e) {
    release();
    throw e;
  }
  const pool = new SshPool();
  const budgetMs = tb.migration.timeoutMs + 60_000;
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
  // The access's tunnel driver is read when a device is first adapted, after the access exists.
  const late: { access?: TestbedAccess } = {};
  const device = deviceCache(tb, switchDriver, switches, () => late.access?.tunnels);
  const acc = (late.access = accessFor(tb, pool, budgetMs, device, signal));
  const probes = createProbeSession({
    placementOf: (h) => acc.placementOf(trafficHost(tb, h)),
    prepare: (hosts, io) => acc.prepare(hosts.map((h) => trafficHost(tb, h)), io),
    baselineMs: Math.max(1000, tb.probe.baselineMs),
    // The executor keeps the configured tail window (holdMs) before it stops the probes; a second one here
    // only lengthened every run (it was 1.5 s).
    tailMs: 0,
    maxDurationMs: budgetMs,
    drainMs: tb.probe.drainMs,
    payloadBytes: tb.probe.payloadBytes,
  });
  const drivers: MigrationDrivers = {
    host(name) {
      const d = hypervisors.get(name);
      if (d === undefined)
        throw new UsageError(`unknown hypervisor "${name}"; hypervisors: ${[...hypervisors.keys()].join(', ')}`);
      return asMigrationHost(d, byUri, opts.onProgress);
    },
    device,
    guest: (vm) => guestCheck(tb, vm, acc),
    probes,
    conflicts: subnetConflicts(tb, acc),
    routes: acc.routes,
    paths: createPathTracer(tb, acc),
    ...defined({ flooding: acc.flooding }),
    missing: (needs, io) => acc.missing(needs, io),
    now: stamp,
  };
  return {
    drivers,
    probes,
    hypervisors,
    switchDriver,
    access: acc,
    shellOf: (name) => {
      const sw = tb.switches.find((x) => x.name === name);
      const shell = sw?.cli?.platform === 'linux' || sw?.cli?.platform === 'frr-vtysh';
      return sw === undefined || !shell ? undefined : sshRunner(name, (io) => pool.get(sshTargetFor(sw), io));
    },
    options: {
      routeResolutionMs: acc.routeResolutionMs, clockSyncKnown: acc.clockSyncKnown,
      verify: { timeoutMs: 30_000, intervalMs: 500 }, hostLoad: controllerLoad,
    },
    async close() {
      try {
        await acc.close().catch(() => undefined);
        const sws = await Promise.allSettled([...switches.values()]);
        await Promise.all(
          sws.map((s) => (s.status === 'fulfilled' ? s.value.close().catch(() => undefined) : undefined)),
        );
        await pool.closeAll();
        await Promise.all([...hypervisors.values()].map((d) => d.close().catch(() => undefined)));
      } finally {
        release();
      }
    },
  };
}

/** NetworkDevices by switch name, each adapting its driver with the testbed's interface names. */
function deviceCache(tb: Testbed, switchDriver: (name: string) => Promise<SwitchDriver>,
  switches: Map<string, Promise<SwitchDriver>>, tunnelsOf: () => TestbedAccess['tunnels']):
  (name: string) => NetworkDevice {
  const devices = new Map<string, NetworkDevice>();
  return (name) => {
    let d = devices.get(name);
    if (d === undefined)
      d = lazyDevice(
        name,
        async () =>
          asNetworkDevice(await switchDriver(name), {
            subnetInterface: (s) => subnetInterface(tb, name, s),
            gatewayInterface: (s) => gatewayInterface(tb, name, s),
            neighborAddress: (n, f) => neighborAddress(tb, name, n, f),
            ...defined({ tunnels: tunnelsOf() }),
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
    stage: (ops, io) => call((d) => d.stage?.(ops, io) ?? Promise.resolve(undefined)),
    rollback: (tx, io) => call((d) => d.rollback(tx, io)),
    snapshotRunning: (io) => call((d) => d.snapshotRunning(io)),
    addHostRoute: (r, io) => call((d) => d.addHostRoute(r, io)),
    removeHostRoute: (r, io) => call((d) => d.removeHostRoute(r, io)),
    readRoutes: (io) => call((d) => d.readRoutes(io)),
    readNeighbors: (io) => call((d) => d.readNeighbors(io)),
  };
}
