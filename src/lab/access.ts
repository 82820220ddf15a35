/**
 * The emulated lab's TestbedAccess (harness/access.ts): its nodes are network namespaces on this host,
 * so probes, commands, conflict probes, route monitors and tunnel agents enter them. This is the only
 * place outside the lab's build and tear-down that does (lint: namespace entry stays in src/lab/ and
 * the fault kit); a testbed without a `lab:` section never reaches it.
 */
import { netnsArgv, netnsRunner } from '../exec/netns.js';
import { localRunner } from '../exec/local.js';
import { execFileText } from '../exec/spawn.js';
import { LabError, UsageError } from '../errors/classes.js';
import type { AccessNeeds, SubnetHost, TestbedAccess } from '../harness/access.js';
import type { Subnet, Testbed, TrafficHost, Vm } from '../model/testbed.js';
import { createLabRouteMonitor } from '../probes/route-monitor/adapter.js';
import type { ProbePlacement } from '../probes/udp/run.js';
import { createLabTunnelDriver } from '../tunnel/lab-driver.js';
import { PACKAGE_ROOT } from '../util/layout.js';
import { udpEcho } from './health.js';

export { netnsRunner } from '../exec/netns.js';
import { createPacketFloodSource } from '../probes/flood/counter.js';
import { createFloodObserver } from '../probes/flood/observer.js';
import type { FloodObserver } from '../migration/types.js';
import type { FloodSegmentRef } from '../probes/flood/types.js';
import { switchPriorityArgv } from './switch-priority.js';
import type { IoOptions } from '../util/abort.js';
import type { CommandRunner } from '../exec/types.js';

/** Namespace of a lab node, `<prefix>-<node>`. */
export function labNs(tb: Testbed, node: string): string {
  if (tb.lab === undefined) {
    throw new UsageError(`testbed "${tb.name}" has no lab section: its node "${node}" is not a namespace`, {
      hint: 'reach hardware through the testbed\'s management interfaces',
    });
  }
  return `${tb.lab.prefix}-${node}`;
}

export interface LabAccessOptions {
  /** Bound of every monitor's and tunnel agent's life (ms). */
  readonly maxLifetimeMs: number;
  /** Interface serving `subnet` on a device (the TOR bridge). */
  readonly subnetInterface: (device: string, subnet: string) => string | undefined;
}

function nsOfHost(tb: Testbed, h: TrafficHost): string | undefined {
  return h.kind === 'netns' && h.netns !== undefined ? labNs(tb, h.netns) : undefined;
}

/** Conflict probes run in a hypervisor namespace of the subnet's site, on its bridge `br0`. */
function labSubnetHost(tb: Testbed, subnet: Subnet): SubnetHost | undefined {
  const hv = tb.hypervisors.find((h) => h.site === subnet.site) ?? tb.hypervisors[0];
  if (hv === undefined) return undefined;
  const ns = labNs(tb, hv.name);
  return { name: `netns:${ns}`, open: () => Promise.resolve({ runner: netnsRunner(ns), dev: 'br0' }) };
}

/** Boots a fresh copy of a VM at `source` through `vmmi lab up --place` (the lab's composition root). */
async function placeLabVm(tb: Testbed, vm: Vm, source: string): Promise<{ vm: Vm; from: string } | undefined> {
  if (tb.file === undefined) return undefined;
  const up = [process.execPath, `${PACKAGE_ROOT}/bin/vmmi.js`, 'lab', 'up', '--testbed', tb.file,
    '--place', `${vm.name}=${source}`];
  const opts = { cwd: process.cwd(), keepLocale: true, timeoutMs: 300_000, maxBuffer: 16 << 20 };
  try {
    await execFileText(up, opts);
  } catch {
    // The health gate can miss a daemon still settling after the failed attempt: converge once more.
    await new Promise((r) => setTimeout(r, 5000));
    await execFileText(up, opts);
  }
  return { vm, from: source };
}

export function createLabAccess(tb: Testbed, o: LabAccessOptions): TestbedAccess {
  const tunnels = createLabTunnelDriver({
    nsOf: (d) => labNs(tb, d),
    runnerOf: (d) => netnsRunner(labNs(tb, d)),
    maxLifetimeMs: o.maxLifetimeMs * 4,
    interfaceOf: (d, dev) => (dev.subnet === undefined ? undefined : o.subnetInterface(d, dev.subnet)) ?? dev.port,
  });
  return {
    via: `network namespaces on this host (lab ${tb.lab?.prefix ?? '?'})`,
    prepare: () => Promise.resolve(),
    placementOf(h): ProbePlacement {
      const ns = nsOfHost(tb, h);
      if (ns !== undefined) return { kind: 'netns', netns: ns };
      if (h.kind === 'local') return { kind: 'local' };
      throw new UsageError(`traffic host ${h.name}: kind ${h.kind} is not a lab node`, {
        hint: 'in the emulated lab, traffic hosts are netns or local; describe SSH hosts in a hardware testbed',
      });
    },
    runnerOf: (h) => {
      const ns = nsOfHost(tb, h);
      return Promise.resolve(ns !== undefined ? netnsRunner(ns) : h.kind === 'local' ? localRunner : undefined);
    },
    subnetHost: (s) => labSubnetHost(tb, s),
    routes: createLabRouteMonitor({ nsOf: (r) => labNs(tb, r), enterOf: (r) => netnsArgv(labNs(tb, r)),
      maxLifetimeMs: o.maxLifetimeMs, fdb: true }),
    tunnels,
    flooding: labFloodObserver(tb, o),
    missing: (_needs: AccessNeeds) => Promise.resolve([]),
    freshVm: (vm, source) => placeLabVm(tb, vm, source),
    echoFrom: (h) => labEcho(tb, h),
    routeResolutionMs: 1,
    clockSyncKnown: true,
    async close() {
      await tunnels.stopAll({ timeoutMs: 10_000 }).catch(() => undefined);
    },
  };
}

/**
 * Flooding in the lab: the AF_PACKET counter in each TOR's namespace, on the bridges of its site's
 * subnets (the VM's segment there: the home bridge, or the access bridge a stretched VNI joins). It runs
 * at the switches' real-time priority: at nice 0 it waited over a second for a core while both guests
 * were busy after a move, and its sockets overflowed (92 frames dropped at torB in one tunnel move).
 */
function labFloodObserver(tb: Testbed, o: LabAccessOptions): FloodObserver {
  const packets = createPacketFloodSource((d) => {
    const ns = labNs(tb, d);
    return { runner: netnsRunner(ns), argvPrefix: [...switchPriorityArgv(), ...netnsArgv(ns)] };
  });
  // Suppression is read where it acts: the segment's VXLAN ports. A host-facing port with neigh_suppress
  // would turn the bridge's proxy off for requests from its hosts (br_arp_nd_proxy.c), so the lab never sets it.
  const source = { ...packets, suppression: async (seg: FloodSegmentRef, io: IoOptions) =>
    packets.suppression(seg, { ...io, ports: await vxlanPorts(netnsRunner(labNs(tb, seg.device)), seg.bridge, io) }) };
  return createFloodObserver(source, (device) => {
    const site = tb.switches.find((s) => s.name === device)?.site;
    const bridges = tb.subnets.filter((s) => s.site === site).map((s) => o.subnetInterface(device, s.name))
      .filter((b): b is string => b !== undefined);
    return [...new Set(bridges)].map((bridge) => ({ device, bridge }));
  });
}

/** The VXLAN ports of `bridge` (`ip -d -j link show master BRIDGE`, kind vxlan). */
async function vxlanPorts(runner: CommandRunner, bridge: string, io: IoOptions): Promise<string[]> {
  const r = await runner.run(['ip', '-d', '-j', 'link', 'show', 'master', bridge], { timeoutMs: io.timeoutMs ?? 5000,
    ...(io.signal === undefined ? {} : { signal: io.signal }) });
  if (r.failed) throw new LabError(`cannot list the ports of ${bridge} (${runner.where}): ${r.stderr.trim()}`);
  const links = JSON.parse(r.stdout || '[]') as { ifname?: string; linkinfo?: { info_kind?: string } }[];
  return links.filter((l) => l.linkinfo?.info_kind === 'vxlan' && l.ifname !== undefined).map((l) => l.ifname as string);
}

/**
 * The lab's cheap guest check: a plain-node UDP echo from a traffic host's namespace (~10× cheaper
 * to start than the probe agent). Undefined for hosts that are not lab namespaces.
 */
export function labEcho(tb: Testbed, h: TrafficHost):
  ((target: string, port: number, io: { signal?: AbortSignal }) => Promise<boolean>) | undefined {
  const ns = tb.lab === undefined ? undefined : nsOfHost(tb, h);
  if (ns === undefined) return undefined;
  return async (target, port, io) =>
    (await udpEcho(ns, target, port, { count: 10, intervalMs: 50, ...(io.signal ? { signal: io.signal } : {}) })).ok;
}
