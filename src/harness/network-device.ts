/**
 * Adapts a switch driver to the executor's NetworkDevice. `applyTransaction` runs its intent-level
 * DeviceOps one at a time, each through the driver call of its family: host-route and BGP ops are one
 * confirmed, verified driver transaction per route; tunnel intents go to the lab tunnel driver; EVPN
 * intents to the device's VXLAN model (or its CLI driver); anycast gateways to its interface
 * addresses. The call is all-or-nothing only by compensation: when an op fails, the inverse intents
 * of the ops it already applied are run before the error is reported. A VNI or gateway op that finds
 * its target state already there is not recorded (host-route and tunnel ops always are). `rollback`
 * applies the inverse intents of a transaction in reverse order, except that its host-route and BGP
 * ops run after all the others; the executor's residue check (running-config snapshots
 * before/after) proves it left nothing behind.
 */
import { ConfigRejectedError, UnsupportedError } from '../errors/classes.js';
import { isVmmiError } from '../errors/vmmi-error.js';
import {
  canStageHostRoutes, hasAddresses, hasHostRoutes, hasTunnels, type HostRouteChange, type HostRoute as DriverHostRoute,
  type SwitchDriver, type TunnelCapable,
} from '../drivers/switch/types.js';
import { canonicalConfig } from '../drivers/switch/config-diff.js';
import { invertOps } from '../migration/strategies/ops.js';
import type { DeviceOp, OnLink } from '../migration/strategies/types.js';
import type { HostRoute, NetworkDevice, StagedTx, TxHandle } from '../migration/types.js';
import type { IoOptions } from '../util/abort.js';
import type { LabTunnelDriver } from '../tunnel/lab-driver.js';
import { defined } from '../model/defined.js';

export interface NetworkDeviceOptions {
  /** Address of neighbour `device` on the link toward it, when a strategy names only the device. */
  readonly neighborAddress: (neighbor: string, family: 4 | 6) => string | undefined;
  /** Interface that serves `subnet` on this device (bridge/SVI), for on-link routes. */
  readonly subnetInterface: (subnet: string) => string | undefined;
  /** Interface holding `subnet`'s gateway addresses (anycast gateway), when not the subnet interface. */
  readonly gatewayInterface?: (subnet: string) => string | undefined;
  /** Executes tunnel intents (emulated lab); absent on hardware without a tunnel driver. */
  readonly tunnels?: LabTunnelDriver;
  /** A CLI driver of the same device for what the NETCONF models cannot express (EVPN, VXLAN). */
  readonly cli?: SwitchDriver;
  /** Device confirm timer for the transaction (s). */
  readonly confirmTimeoutS?: number;
}

/** The driver being adapted, with its options: what every op family works on. */
interface Target {
  readonly driver: SwitchDriver;
  readonly o: NetworkDeviceOptions;
  readonly device: string;
}

export type RouteOp = Extract<DeviceOp, { prefix: string }>;
type RouteLookups = Pick<NetworkDeviceOptions, 'neighborAddress' | 'subnetInterface'>;
type EvpnOp = Extract<DeviceOp, { op: 'evpn-attach' | 'evpn-detach' }>;
type GatewayOp = Extract<DeviceOp, { op: 'anycast-gateway' }>;

const isAdd = (op: RouteOp): boolean => op.op === 'add-host-route' || op.op === 'bgp-announce';
const isRouteOp = (op: DeviceOp): op is RouteOp =>
  op.op === 'add-host-route' || op.op === 'remove-host-route' || op.op === 'bgp-announce' || op.op === 'bgp-withdraw';

export function asNetworkDevice(driver: SwitchDriver, o: NetworkDeviceOptions): NetworkDevice {
  const applied = new Map<string, readonly DeviceOp[]>();
  let seq = 0;
  const t: Target = { driver, o, device: driver.device };
  const device = driver.device;
  return {
    name: device,
    async applyTransaction(ops, io): Promise<TxHandle> {
      const done: DeviceOp[] = [];
      try {
        for (const op of ops) done.push(...await execute(t, [op], io));
      } catch (e) {
        // All-or-nothing: undo what this call applied before reporting the failure.
        await execute(t, invertOps(done), { timeoutMs: io.timeoutMs ?? 30_000 }).catch(() => undefined);
        if (isVmmiError(e)) throw e;
        throw new ConfigRejectedError((e as Error).message, { device, operation: 'apply', cause: e });
      }
      const id = `${device}#${++seq}`;
      applied.set(id, done);
      return { device, id };
    },
    async stage(ops, io): Promise<StagedTx | undefined> {
      // Only host-route and BGP ops of the device itself stage (one candidate transaction); anything else,
      // routes the tunnel driver carries included, goes the usual way.
      if (!canStageHostRoutes(driver) || !ops.every(isRouteOp) || ops.some((op) => o.tunnels?.handles(op) === true)) {
        return undefined;
      }
      const routeOps = ops as readonly RouteOp[];
      const configured = routeOps.some((op) => !isAdd(op))
        ? new Set((await driver.readRoutes(io)).filter((x) => x.protocol === 'static').map((x) => x.prefix))
        : new Set<string>();
      // Withdrawing is idempotent: a route that is not configured is already withdrawn (as applyRoutes does).
      const changes = routeOps.flatMap((op): HostRouteChange[] => {
        const route = hostRouteOf(o, op);
        return isAdd(op) ? [{ route, op: 'add' as const }]
          : configured.has(route.prefix) ? [{ route, op: 'remove' as const }] : [];
      });
      const staged = changes.length === 0 ? undefined : await driver.stageHostRoutes(changes, io);
      return {
        commit: async (cio) => {
          await staged?.commit(cio);
        },
        confirm: async (cio) => {
          await staged?.confirm(cio);
          const id = `${device}#${++seq}`;
          applied.set(id, [...ops]);
          return { device, id };
        },
        abort: async (cio) => {
          await staged?.abort(cio).catch(() => undefined);
        },
      };
    },
    async rollback(tx, io) {
      const ops = applied.get(tx.id);
      // A handle of another session (the driver reconnected): the caller must undo by inverse ops.
      if (ops === undefined) {
        throw new ConfigRejectedError(`unknown transaction ${tx.id} (session was re-opened)`,
          { device, operation: 'rollback' });
      }
      await execute(t, invertOps(ops), io);
      applied.delete(tx.id);
    },
    ...directAccess(driver),
  };
}

/** Reads and single host routes straight through the driver, outside any transaction. */
function directAccess(driver: SwitchDriver): Omit<NetworkDevice, 'name' | 'applyTransaction' | 'rollback'> {
  const device = driver.device;
  return {
    snapshotRunning: async (io) => canonicalConfig(await driver.readRunningConfig(io)),
    async addHostRoute(route: HostRoute, io) {
      if (!hasHostRoutes(driver)) throw new UnsupportedError(`${driver.kind} cannot set host routes`, { device });
      await driver.addHostRoute(
        {
          prefix: route.prefix,
          ...(route.nextHop ? { nextHop: route.nextHop } : {}),
          ...(route.dev ? { device: route.dev } : {}),
        },
        io,
      );
    },
    async removeHostRoute(route: HostRoute, io) {
      if (!hasHostRoutes(driver)) throw new UnsupportedError(`${driver.kind} cannot set host routes`, { device });
      await driver.removeHostRoute(
        {
          prefix: route.prefix,
          ...(route.nextHop ? { nextHop: route.nextHop } : {}),
          ...(route.dev ? { device: route.dev } : {}),
        },
        io,
      );
    },
    async readRoutes(io) {
      return (await driver.readRoutes(io)).map((r) => ({
        prefix: r.prefix, protocol: r.protocol,
        ...defined({ nextHop: r.nextHops[0], dev: r.device }),
      }));
    },
    async readNeighbors(io) {
      return (await driver.readNeighbors(io)).map((n) => ({
        address: n.ip,
        mac: n.mac,
        ...defined({ dev: n.device }),
      }));
    },
  };
}

/**
 * Runs `ops`; returns the ones that changed the device. Attaching a VNI or an address that is
 * already there changes nothing and is left out, so the inverse of the result (rollback) removes
 * only what this call added.
 */
async function execute(t: Target, ops: readonly DeviceOp[], io: IoOptions): Promise<DeviceOp[]> {
  const { driver, o, device } = t;
  const routeOps: RouteOp[] = [];
  const changed: DeviceOp[] = [];
  for (const op of ops) {
    if (o.tunnels?.handles(op) === true) {
      await o.tunnels.apply(op, io);
      changed.push(op);
    } else if (isRouteOp(op)) {
      routeOps.push(op);
    } else if (op.op === 'evpn-attach' || op.op === 'evpn-detach') {
      if (await applyEvpn(t, op, io)) changed.push(op);
    } else if (op.op === 'anycast-gateway') {
      if (await applyGateway(t, op, io)) changed.push(op);
    } else {
      throw new UnsupportedError(`${op.op} is not supported on ${driver.kind}`, { device, operation: op.op });
    }
  }
  if (routeOps.length > 0) changed.push(...await applyRoutes(t, routeOps, io));
  return changed;
}

/** Attaches or detaches a VNI; false when it was already in that state. */
async function applyEvpn(t: Target, op: EvpnOp, io: IoOptions): Promise<boolean> {
  const td = tunnelDriver(t, op);
  const bridge = t.o.subnetInterface(accessOf(op)) ?? `br${op.vni}`;
  const tunnel = { vni: op.vni, localAddress: op.vtep, remotes: [], bridge };
  const present = td.readTunnels === undefined ? undefined : (await td.readTunnels(io)).includes(op.vni);
  if (op.op === 'evpn-attach' && present !== true) await td.configureTunnel(tunnel, io);
  else if (op.op === 'evpn-detach' && present !== false) await td.removeTunnel(tunnel, io);
  else return false;
  return true;
}

/** Adds or removes an anycast gateway address; false when it was already in that state. */
async function applyGateway(t: Target, op: GatewayOp, io: IoOptions): Promise<boolean> {
  const { driver, device } = t;
  if (!hasAddresses(driver)) {
    throw new UnsupportedError(`${driver.kind} cannot configure interface addresses`, { device, operation: op.op });
  }
  const iface = gatewayIface(t, accessOf(op), op);
  const a = { iface, cidr: `${op.gateway}/${op.family === 4 ? 32 : 128}` };
  const gw = op.gateway.toLowerCase();
  const present = (await driver.readAddresses(io))
    .some((x) => x.iface === iface && x.cidr.split('/')[0]?.toLowerCase() === gw);
  if (op.remove !== true && !present) await driver.addAddress(a, io);
  else if (op.remove === true && present) await driver.removeAddress(a, io);
  else return false;
  return true;
}

/** Host-route and BGP ops, after the others of the same call; every one is recorded. */
async function applyRoutes(t: Target, routeOps: readonly RouteOp[], io: IoOptions): Promise<RouteOp[]> {
  const { driver, device } = t;
  if (!hasHostRoutes(driver)) {
    throw new UnsupportedError(`${driver.kind} cannot set host routes`, { device, operation: 'host route' });
  }
  // One route at a time through the driver: each is its own confirmed, verified transaction.
  for (const op of routeOps) {
    const r = hostRouteOf(t.o, op);
    if (op.op === 'add-host-route' || op.op === 'bgp-announce') {
      await driver.addHostRoute(r, io);
    } else if ((await driver.readRoutes(io)).some((x) => x.prefix === r.prefix && x.protocol === 'static')) {
      // Withdrawing is idempotent: a route that is not configured is already withdrawn.
      await driver.removeHostRoute(r, io);
    }
  }
  return [...routeOps];
}

/** The driver route of a host-route or BGP op: next hop resolved by neighbour, device by subnet interface. */
export function hostRouteOf(o: RouteLookups, op: RouteOp): DriverHostRoute {
  const nh = 'nextHop' in op ? op.nextHop : undefined;
  const nextHop = nh === undefined ? undefined : nh.address ?? o.neighborAddress(nh.device, op.family);
  const dev = onLinkInterface(o, op.dev);
  return {
    prefix: op.prefix, description: `vmmi ${op.op}`,
    ...defined({ nextHop, device: dev }),
  };
}

function onLinkInterface(o: RouteLookups, dev: OnLink | undefined): string | undefined {
  if (dev === undefined) return undefined;
  // The subnet's bridge/SVI first: a port toward a hypervisor is a bridge member and carries no routes.
  const svi = dev.subnet === undefined ? undefined : o.subnetInterface(dev.subnet);
  return svi ?? dev.port;
}

/** The driver that carries VXLAN endpoints: the device's own (NETCONF) when it can, else its CLI driver. */
function tunnelDriver({ driver, o, device }: Target, op: DeviceOp): SwitchDriver & TunnelCapable {
  if (hasTunnels(driver)) return driver;
  if (o.cli !== undefined && hasTunnels(o.cli)) return o.cli;
  throw new UnsupportedError(`${op.op} needs a driver with VXLAN support; ${driver.kind} has none`,
    { device, operation: op.op });
}

const accessOf = (op: { subnet: string; access?: string }): string => op.access ?? op.subnet;

function gatewayIface({ o, device }: Target, subnet: string, op: DeviceOp): string {
  const iface = (o.gatewayInterface ?? o.subnetInterface)(subnet);
  if (iface === undefined) {
    throw new UnsupportedError(`no interface serves subnet ${subnet} on ${device}`, { device, operation: op.op });
  }
  return iface;
}
