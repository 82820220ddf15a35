import type { EmulatedLab, Hypervisor, Link, LinkEndpoint, Subnet, Switch, Testbed } from '../model/testbed.js';
import { LabError } from '../errors/classes.js';
import { hostOf, intToV4, splitCidr, v4InPrefix, v4Peer, v4ToInt, v6Host } from './addr.js';
import { bgpdConf, domainXml, libvirtdConf, qemuConf, staticdConf, switchStartupXml, zebraConf } from './configs.js';

/**
 * Pure planner: from a resolved Testbed, everything the lab builds (namespaces, veths, bridges,
 * addresses, routes, router and hypervisor configs, domain XML). No I/O; unit-tested without root.
 */

/**
 * MAC of the anycast gateway every TOR serves (a macvlan on the TOR's bridge, VRR style), so a moved
 * guest keeps its gateway's ARP/ND entry. The bridge itself has a MAC and an address of its own: the
 * TOR's own ARP/ND solicitations toward hosts must not come from the shared MAC, or a host's answer
 * would be taken by the other site's TOR once the segment is stretched over VXLAN.
 */
export const ANYCAST_MAC = '02:00:c6:12:0a:01';
/** Host number of a TOR's own address in each of its subnets (last usable IPv4, `::254` for IPv6). */
export const TOR_HOST_V6 = 254;
export const HV_BRIDGE = 'br0';
export const SWITCH_MGMT_DEV = 'mgmt0';
/** Port of the OpenSSH daemons on the management addresses of traffic hosts and hypervisors. */
export const MGMT_SSH_PORT = 22;

/** The lab's SSH keys (host keys, client keys, authorized_keys), shared by every SSH service of the lab. */
export const keysDir = (plan: Pick<LabPlan, 'dir'>): string => `${plan.dir}/keys`;
/** known_hosts listing every SSH service of the lab (switches, management sshds) with the lab's host keys. */
export const knownHostsFile = (plan: Pick<LabPlan, 'dir'>): string => `${plan.dir}/known_hosts`;

export type NodeRole = 'client' | 'tor' | 'core' | 'router' | 'wan' | 'hypervisor';
export interface NodePlan { readonly node: string; readonly ns: string; readonly role: NodeRole }
/** `ns` undefined = the controller's (root) namespace. */
export interface End { readonly ns: string | undefined; readonly dev: string }
export interface VethPlan { readonly a: End; readonly b: End; readonly offloadsOff: boolean }
export interface BridgePlan {
  readonly ns: string; readonly name: string; readonly mac?: string; readonly ports: readonly string[];
  /** The subnet a TOR bridge serves (absent on a hypervisor's br0). */
  readonly subnet?: string;
  /** Anycast gateway macvlan on this bridge (its addresses are in `addresses` under its name). */
  readonly gateway?: { readonly name: string; readonly mac: string };
}
/** A TOR's VXLAN endpoint for a stretched segment (L2VNI), a port of the segment's bridge. */
export interface VxlanPlan {
  readonly ns: string;
  readonly name: string;
  readonly vni: number;
  readonly local: string;
  readonly bridge: string;
}
export interface AddrPlan { readonly ns: string | undefined; readonly dev: string; readonly cidr: string }
export interface RoutePlan { readonly ns: string; readonly dst: string; readonly via: string }
export interface RouterPlan {
  readonly node: string; readonly ns: string; readonly tor: boolean; readonly asn: number; readonly routerId: string;
  /** BGP neighbour addresses (IPv4 and IPv6 sessions) with their AS. */
  readonly neighbors: readonly { readonly address: string; readonly asn: number; readonly peer: string }[];
  readonly files: Readonly<Record<'zebra.conf' | 'bgpd.conf' | 'staticd.conf', string>>;
}
export interface HypervisorPlan {
  readonly name: string; readonly ns: string; readonly address: string; readonly dir: string;
  readonly hostUuid: string; readonly files: Readonly<Record<'libvirtd.conf' | 'qemu.conf', string>>;
}
export interface VmPlan {
  readonly name: string;
  readonly home: string;
  readonly xml: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
}
export interface SwitchPlan {
  readonly name: string; readonly ns: string; readonly rootDev: string; readonly address: string;
  readonly controller: string; readonly len: number;
  /** NETCONF port (sshd + netconfd) and, when the switch has a CLI, the port of its vtysh sshd. */
  readonly port: number; readonly cliPort: number | undefined;
  /** netconfd startup datastore: the switch's interfaces and addresses as the lab builds them. */
  readonly startupXml: string;
  /** The testbed's NETCONF user for this switch when it is not root: a system account under NACM. */
  readonly netconfUser: string | undefined;
}
/**
 * A traffic host or hypervisor the way a hardware lab offers it: a management veth from the root
 * namespace (its own /30, device at .2 of it, controller at .1, as the switches') and an OpenSSH sshd
 * in the node's namespace on that address. hardware.yaml names these addresses; the controller reaches
 * the node only through them.
 */
export interface MgmtHostPlan {
  /** Lab node (namespace `<prefix>-<node>`): a netns traffic host's namespace or a hypervisor's. */
  readonly node: string;
  readonly kind: 'traffic-host' | 'hypervisor';
  /** Testbed names reached through it: the hypervisor, or the traffic hosts living in that namespace. */
  readonly serves: readonly string[];
  readonly ns: string;
  readonly rootDev: string;
  /** The node's management address (mgmt0) and the controller's end in the root namespace. */
  readonly address: string;
  readonly controller: string;
  readonly len: number;
  readonly sshPort: number;
}
export interface WanPlan {
  readonly link: string; readonly ns: string; readonly devs: readonly [string, string];
  readonly impairment: { delayMs: number; jitterMs: number; lossPct: number; rateMbit: number };
  readonly controlSocket: string;
}
export interface LabPlan {
  readonly prefix: string; readonly dir: string;
  readonly nodes: readonly NodePlan[]; readonly veths: readonly VethPlan[]; readonly bridges: readonly BridgePlan[];
  readonly vxlans: readonly VxlanPlan[];
  readonly addresses: readonly AddrPlan[]; readonly routes: readonly RoutePlan[];
  readonly routers: readonly RouterPlan[]; readonly hypervisors: readonly HypervisorPlan[];
  readonly vms: readonly VmPlan[]; readonly switches: readonly SwitchPlan[]; readonly wan: WanPlan | undefined;
  /** Management veths and sshds of netns traffic hosts and hypervisors (the hardware view). */
  readonly mgmtHosts: readonly MgmtHostPlan[];
  /** Namespace probes run in (the first netns traffic host). */
  readonly clientNs: string | undefined;
}

export interface PlanOptions {
  /** Directory holding guest-vmlinuz and guest-initrd.gz (identical path on every hypervisor). */
  readonly assetsDir: string;
}

const fail = (msg: string): never => {
  throw new LabError(msg, { operation: 'plan lab', hint: 'fix the testbed file' });
};

/** A bridge while it is being planned: links add ports to it. */
interface BridgeDraft {
  ns: string; name: string; mac?: string; ports: string[]; gateway?: { name: string; mac: string }; subnet?: string;
}

/** What the planning steps append to, in the order planLab runs them. */
interface PlanAcc {
  readonly veths: VethPlan[];
  readonly addresses: AddrPlan[];
  readonly routes: RoutePlan[];
  /** Keyed `<tor>/<subnet>` for TOR bridges, `<hypervisor>/` for a hypervisor's bridge. */
  readonly bridges: Map<string, BridgeDraft>;
  readonly vxlans: VxlanPlan[];
}

/** The testbed with its lab section and nodes, and the lookups every planning step uses. */
interface PlanCtx {
  readonly tb: Testbed;
  readonly lab: EmulatedLab;
  readonly nodes: ReadonlyMap<string, NodePlan>;
  /** Traffic host name → its lab node. */
  readonly trafficNs: ReadonlyMap<string, string>;
  readonly wanLink: Link | undefined;
  readonly nsOf: (node: string) => string;
  readonly nodeOf: (device: string) => NodePlan;
  readonly hvByName: ReadonlyMap<string, Hypervisor>;
  readonly swByName: ReadonlyMap<string, Switch>;
  readonly subnetOfHv: (hv: Hypervisor) => Subnet;
}

type Neighbors = Map<string, { address: string; asn: number; peer: string }[]>;

export function planLab(tb: Testbed, opts: PlanOptions): LabPlan {
  const lab = tb.lab ?? fail(`testbed "${tb.name}" has no lab section: it is not an emulated lab`);
  const ctx = planContext(tb, lab);
  const acc: PlanAcc = { veths: [], addresses: [], routes: [], bridges: new Map(), vxlans: [] };
  const anycastOf = planTorBridges(ctx, acc);
  const { neighbors, wan } = planLinks(ctx, acc);
  const hypervisors = planHypervisors(ctx, acc);
  const vms = planVms(ctx, opts);
  const routers = planRouters(ctx, neighbors, anycastOf);
  const switches = planSwitches(ctx, acc);
  const mgmtHosts = planMgmtHosts(ctx, acc, switches);
  const rootDevs = [...switches.map((s) => s.rootDev), ...mgmtHosts.map((h) => h.rootDev)];
  if (new Set(rootDevs).size !== rootDevs.length) {
    fail(`management interface names collide: ${rootDevs.join(', ')}; use a shorter lab.prefix`);
  }
  for (const v of acc.veths) {
    for (const e of [v.a, v.b]) if (e.dev.length > 15) fail(`interface name too long (max 15): ${e.dev}`);
  }

  const { veths, bridges, vxlans, addresses, routes } = acc;
  const clientNode = [...ctx.nodes.values()].find((n) => n.role === 'client');
  return {
    prefix: lab.prefix, dir: lab.dir, nodes: [...ctx.nodes.values()], veths, bridges: [...bridges.values()], vxlans,
    addresses, routes, routers, hypervisors, vms, switches, wan, mgmtHosts, clientNs: clientNode?.ns,
  };
}

/** Nodes: one namespace per netns traffic host, switch and hypervisor, plus the WAN relay. */
function planContext(tb: Testbed, lab: EmulatedLab): PlanCtx {
  const nsOf = (node: string): string => `${lab.prefix}-${node}`;
  const nodes = new Map<string, NodePlan>();
  const add = (node: string, role: NodeRole): void => {
    if (`${lab.prefix}-${node}`.length > 40) fail(`namespace name too long: ${lab.prefix}-${node}`);
    if (!nodes.has(node)) nodes.set(node, { node, ns: nsOf(node), role });
  };
  const trafficNs = new Map<string, string>();
  for (const th of tb.trafficHosts) {
    if (th.kind !== 'netns') continue;
    const node = th.netns ?? th.name;
    add(node, 'client');
    trafficNs.set(th.name, node);
  }
  for (const sw of tb.switches) add(sw.name, sw.role === 'tor' ? 'tor' : sw.role === 'core' ? 'core' : 'router');
  for (const hv of tb.hypervisors) add(hv.name, 'hypervisor');
  const wanLink = tb.links.find((l) => l.name === lab.wanLink) ?? tb.links.find((l) => l.wan);
  if (wanLink !== undefined) add('wan', 'wan');

  const nodeOf = (device: string): NodePlan =>
    nodes.get(trafficNs.get(device) ?? device) ?? fail(`link endpoint device "${device}" is not a lab node`);
  const subnetOfHv = (hv: Hypervisor): Subnet =>
    tb.subnets.find((s) => s.ipv4 !== undefined && v4InPrefix(hv.address, s.ipv4.prefix))
    ?? fail(`hypervisor ${hv.name}: address ${hv.address} is in no subnet`);
  return {
    tb, lab, nodes, trafficNs, wanLink, nsOf, nodeOf, subnetOfHv,
    hvByName: new Map(tb.hypervisors.map((h) => [h.name, h])), swByName: new Map(tb.switches.map((s) => [s.name, s])),
  };
}

const bridgeName = (s: Subnet, i: number): string => `br${s.vni ?? i}`;
const gatewayName = (bridge: string): string => bridge.replace(/^br/, 'gw');
const hex2 = (n: number): string => (n & 255).toString(16).padStart(2, '0');

/**
 * TOR bridges: one per subnet of the TOR's site with the TOR's own address in it; on each an anycast
 * gateway macvlan holding the subnet's gateway (/32, /128), and on the first one also the gateways of
 * every other site's subnets, so a guest moved here keeps its gateway.
 * A subnet that holds VMs and has a VNI is an L2VNI at its home TOR from the start (VXLAN port of
 * its bridge, advertised by EVPN); a TOR elsewhere joins it only while a VM of it is there.
 * Returns each TOR's anycast gateway prefixes (never advertised).
 */
function planTorBridges(ctx: PlanCtx, acc: PlanAcc): Map<string, string[]> {
  const { tb } = ctx;
  const used = new Set([...tb.hypervisors.map((h) => h.address), ...tb.vms.flatMap((v) => [v.ipv4, v.ipv6])
    .filter((a): a is string => a !== undefined).map((a) => hostOf(a).toLowerCase())]);
  const anycastOf = new Map<string, string[]>();
  tb.switches.filter((s) => s.role === 'tor').forEach((tor, torIndex) => {
    const ns = ctx.nsOf(tor.name);
    const local = tb.subnets.filter((s) => s.site === tor.site);
    const gws = local.flatMap((s) => planTorSubnet(ctx, acc, { tor, torIndex, s, used }));
    const first = local[0];
    if (first === undefined) return;
    const any: string[] = [];
    for (const s of tb.subnets.filter((x) => x.site !== tor.site)) {
      if (s.ipv4) any.push(`${s.ipv4.gateway}/32`);
      if (s.ipv6) any.push(`${s.ipv6.gateway}/128`);
    }
    const firstGateway = gatewayName(bridgeName(first, tb.subnets.indexOf(first)));
    for (const cidr of any) acc.addresses.push({ ns, dev: firstGateway, cidr });
    // Gateways are anycast: never advertised (each site routes to its own).
    anycastOf.set(tor.name, [...gws, ...any]);
  });
  return anycastOf;
}

/** One subnet at its TOR: bridge (VXLAN port for an L2VNI), the TOR's own address, the gateway; returns gateways. */
function planTorSubnet(ctx: PlanCtx, acc: PlanAcc,
  { tor, torIndex, s, used }: { tor: Switch; torIndex: number; s: Subnet; used: ReadonlySet<string> }): string[] {
  const { tb } = ctx;
  const ns = ctx.nsOf(tor.name);
  const gws: string[] = [];
  const name = bridgeName(s, tb.subnets.indexOf(s));
  const vni = s.vni !== undefined && tb.vms.some((v) => v.subnet === s.name) ? s.vni : undefined;
  const gateway = { name: gatewayName(name), mac: ANYCAST_MAC };
  const vxlan = vni === undefined ? undefined : { ns, name: `vxlan${vni}`, vni, bridge: name,
    local: tor.routerId ?? fail(`switch ${tor.name}: routerId (the VTEP address) is required for VNI ${vni}`) };
  acc.bridges.set(`${tor.name}/${s.name}`, {
    ns, name, mac: `02:00:c6:13:${hex2(torIndex + 1)}:${hex2(tb.subnets.indexOf(s) + 1)}`,
    ports: vxlan ? [vxlan.name] : [], gateway, subnet: s.name,
  });
  if (vxlan !== undefined) acc.vxlans.push(vxlan);
  const own = (a: string): string => (used.has(a.toLowerCase())
    ? fail(`subnet ${s.name}: ${a} is the TOR's own address in the lab; no hypervisor or VM may use it`) : a);
  if (s.ipv4) {
    const { addr, len } = splitCidr(s.ipv4.prefix);
    const last = ((v4ToInt(addr) >>> 0) + 2 ** (32 - len) - 2) >>> 0;
    acc.addresses.push({ ns, dev: name, cidr: `${own(intToV4(last))}/${len}` });
    acc.addresses.push({ ns, dev: gateway.name, cidr: `${s.ipv4.gateway}/32` });
    gws.push(`${s.ipv4.gateway}/32`);
  }
  if (s.ipv6) {
    const torV6 = own(v6Host(s.ipv6.prefix, TOR_HOST_V6));
    acc.addresses.push({ ns, dev: name, cidr: `${torV6}/${splitCidr(s.ipv6.prefix).len}` });
    acc.addresses.push({ ns, dev: gateway.name, cidr: `${s.ipv6.gateway}/128` });
    gws.push(`${s.ipv6.gateway}/128`);
  }
  return gws;
}

/**
 * Links: endpoint addresses, BGP sessions along router links, veths (the WAN link split by the relay
 * namespace), bridge ports between TORs and hypervisors, and the default routes of traffic hosts.
 */
function planLinks(ctx: PlanCtx, acc: PlanAcc): { neighbors: Neighbors; wan: WanPlan | undefined } {
  const { nsOf, nodeOf, lab } = ctx;
  const neighbors: Neighbors = new Map();
  const epAddrs = (e: LinkEndpoint, ns: string): void => {
    if (e.ipv4) acc.addresses.push({ ns, dev: e.port, cidr: e.ipv4 });
    if (e.ipv6) acc.addresses.push({ ns, dev: e.port, cidr: e.ipv6 });
  };

  let wan: WanPlan | undefined;
  ctx.tb.links.forEach((link: Link) => {
    const [x, y] = link.endpoints;
    const nx = nodeOf(x.device);
    const ny = nodeOf(y.device);
    epAddrs(x, nx.ns);
    epAddrs(y, ny.ns);
    peerSessions(ctx, neighbors, x, y);
    peerSessions(ctx, neighbors, y, x);
    if (link === ctx.wanLink) {
      const devs = ['wanA', 'wanB'] as const;
      acc.veths.push({ a: { ns: nx.ns, dev: x.port }, b: { ns: nsOf('wan'), dev: devs[0] }, offloadsOff: true });
      acc.veths.push({ a: { ns: ny.ns, dev: y.port }, b: { ns: nsOf('wan'), dev: devs[1] }, offloadsOff: true });
      const imp = link.impairment ?? { delayMs: 0, jitterMs: 0, lossPct: 0, rateMbit: 0 };
      wan = {
        link: link.name,
        ns: nsOf('wan'),
        devs,
        impairment: { ...imp },
        controlSocket: `${lab.dir}/wan/relay.sock`,
      };
      return;
    }
    acc.veths.push({ a: { ns: nx.ns, dev: x.port }, b: { ns: ny.ns, dev: y.port }, offloadsOff: false });
    planBridgePorts(ctx, acc, link);
    // A traffic host routes everything through the far end of its link.
    for (const [a, b] of [[x, y], [y, x]] as const) {
      if (!ctx.trafficNs.has(a.device)) continue;
      if (b.ipv4) acc.routes.push({ ns: nodeOf(a.device).ns, dst: 'default', via: hostOf(b.ipv4) });
      if (b.ipv6) acc.routes.push({ ns: nodeOf(a.device).ns, dst: '::/0', via: hostOf(b.ipv6) });
    }
  });
  return { neighbors, wan };
}

/** BGP sessions of `x`'s router toward `y`'s (IPv4 and IPv6), when both ends are routers with an AS. */
function peerSessions(ctx: PlanCtx, neighbors: Neighbors, x: LinkEndpoint, y: LinkEndpoint): void {
  const sx = ctx.swByName.get(x.device);
  const sy = ctx.swByName.get(y.device);
  if (sx?.asn === undefined || sy?.asn === undefined) return;
  const list = neighbors.get(sx.name) ?? [];
  if (y.ipv4) list.push({ address: hostOf(y.ipv4), asn: sy.asn, peer: sy.name });
  if (y.ipv6) list.push({ address: hostOf(y.ipv6), asn: sy.asn, peer: sy.name });
  neighbors.set(sx.name, list);
}

/** A switch–hypervisor link: the switch port joins the bridge of the hypervisor's subnet, the other end its br0. */
function planBridgePorts(ctx: PlanCtx, acc: PlanAcc, link: Link): void {
  const [x, y] = link.endpoints;
  for (const [hvEnd, swEnd] of [[x, y], [y, x]] as const) {
    const hv = ctx.hvByName.get(hvEnd.device);
    const sw = ctx.swByName.get(swEnd.device);
    if (hv === undefined || sw === undefined) continue;
    const sn = ctx.subnetOfHv(hv);
    const br = acc.bridges.get(`${sw.name}/${sn.name}`)
      ?? fail(`link ${link.name}: ${sw.name} has no bridge for subnet ${sn.name} of ${hv.name}`);
    br.ports.push(swEnd.port);
    const hb = acc.bridges.get(`${hv.name}/`) ?? { ns: ctx.nsOf(hv.name), name: HV_BRIDGE, ports: [] };
    hb.ports.push(hvEnd.port);
    acc.bridges.set(`${hv.name}/`, hb);
  }
}

/** Hypervisors: br0 address and default routes in their subnet, libvirtd and QEMU configs. */
function planHypervisors(ctx: PlanCtx, acc: PlanAcc): HypervisorPlan[] {
  return ctx.tb.hypervisors.map((hv, i): HypervisorPlan => {
    const sn = ctx.subnetOfHv(hv);
    const ns = ctx.nsOf(hv.name);
    const len = splitCidr(sn.ipv4?.prefix ?? '0/24').len;
    acc.addresses.push({ ns, dev: HV_BRIDGE, cidr: `${hv.address}/${len}` });
    const hostId = Number(hv.address.split('.')[3]);
    if (sn.ipv6) {
      const v6 = v6Host(sn.ipv6.prefix, hostId);
      acc.addresses.push({ ns, dev: HV_BRIDGE, cidr: `${v6}/${splitCidr(sn.ipv6.prefix).len}` });
    }
    if (sn.ipv4) acc.routes.push({ ns, dst: 'default', via: sn.ipv4.gateway });
    if (sn.ipv6) acc.routes.push({ ns, dst: '::/0', via: sn.ipv6.gateway });
    if (!acc.bridges.has(`${hv.name}/`)) acc.bridges.set(`${hv.name}/`, { ns, name: HV_BRIDGE, ports: [] });
    const hostUuid = `6c61622d-6876-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`;
    return {
      name: hv.name, ns, address: hv.address, dir: `${ctx.lab.dir}/${hv.name}`, hostUuid,
      files: { 'libvirtd.conf': libvirtdConf(hostUuid), 'qemu.conf': qemuConf(hv.address) },
    };
  });
}

function planVms(ctx: PlanCtx, opts: PlanOptions): VmPlan[] {
  const { tb } = ctx;
  return tb.vms.map((vm, i): VmPlan => {
    const sn = tb.subnets.find((s) => s.name === vm.subnet) ?? fail(`vm ${vm.name}: unknown subnet ${vm.subnet}`);
    if (!ctx.hvByName.has(vm.home)) fail(`vm ${vm.name}: home ${vm.home} is not a hypervisor`);
    const uuid = `6c61622d-766d-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`;
    return { name: vm.name, home: vm.home, ipv4: vm.ipv4, ipv6: vm.ipv6, xml: domainXml(vm, sn, uuid, opts.assetsDir) };
  });
}

/** FRR configs of every switch with an AS. */
function planRouters(ctx: PlanCtx, neighbors: Neighbors, anycastOf: ReadonlyMap<string, string[]>): RouterPlan[] {
  const { lab } = ctx;
  return ctx.tb.switches.filter((s): s is Switch & { asn: number } => s.asn !== undefined).map((sw): RouterPlan => {
    const tor = sw.role === 'tor';
    const nbrs = neighbors.get(sw.name) ?? [];
    const routerId = sw.routerId ?? fail(`switch ${sw.name}: routerId is required for BGP`);
    const frrDir = `${lab.dir}/frr/${sw.name}`;
    return {
      node: sw.name,
      ns: ctx.nsOf(sw.name),
      tor,
      asn: sw.asn,
      routerId,
      neighbors: nbrs,
      files: {
        'zebra.conf': zebraConf(sw.name, frrDir),
        'staticd.conf': staticdConf(sw.name, frrDir),
        'bgpd.conf': bgpdConf({
          name: sw.name,
          asn: sw.asn,
          routerId,
          tor,
          neighbors: nbrs,
          anycast: anycastOf.get(sw.name) ?? [],
          frrDir,
        }),
      },
    };
  });
}

/**
 * Switches: a management veth from the root namespace (a /30 per switch), then the netconfd startup
 * datastore from everything planned in the switch's namespace (run last, after all other steps).
 */
function planSwitches(ctx: PlanCtx, acc: PlanAcc): SwitchPlan[] {
  const { veths, addresses } = acc;
  return ctx.tb.switches.map((sw): SwitchPlan => {
    const len = 30;
    const rootDev = `${ctx.lab.prefix}-${sw.name}`.slice(0, 15);
    const ns = ctx.nsOf(sw.name);
    const controller = v4Peer(sw.address, len);
    veths.push({ a: { ns: undefined, dev: rootDev }, b: { ns, dev: SWITCH_MGMT_DEV }, offloadsOff: false });
    addresses.push({ ns: undefined, dev: rootDev, cidr: `${controller}/${len}` });
    addresses.push({ ns, dev: SWITCH_MGMT_DEV, cidr: `${sw.address}/${len}` });
    return {
      name: sw.name,
      ns,
      rootDev,
      address: sw.address,
      controller,
      len,
      port: sw.port,
      cliPort: sw.cli?.port,
      startupXml: '',
      netconfUser: sw.credentials.username === 'root' ? undefined : sw.credentials.username,
    };
  }).map((s): SwitchPlan => ({ ...s, startupXml: switchStartup(s.ns, acc, s.netconfUser) }));
}

/** The lab's management range (198.18.0.0/15 holds every lab address, the network rule of the project). */
const LAB_V4 = '198.18.0.0/15';

/**
 * Management veths of the netns traffic hosts, then the hypervisors (testbed order): the next free /30s
 * after the highest switch management /30, in that /24 (198.19.0.0/24 when there are no switches), so
 * a lab run with shifted switch addresses (198.19.1.x) shifts these too. A /30 holding any planned
 * address is skipped. Runs after planSwitches.
 */
function planMgmtHosts(ctx: PlanCtx, acc: PlanAcc, switches: readonly SwitchPlan[]): MgmtHostPlan[] {
  const len = 30;
  const block = (a: string): number => (v4ToInt(a) & ~3) >>> 0;
  const v4s = acc.addresses.map((a) => hostOf(a.cidr)).filter((a) => !a.includes(':'));
  const used = new Set([...v4s, ...switches.map((s) => s.address)].map(block));
  const top = switches.length === 0 ? undefined : Math.max(...switches.map((s) => block(s.address)));
  let next = top === undefined ? v4ToInt('198.19.0.0') : top + 4;
  const net24 = ((top ?? next) & ~255) >>> 0;
  const take = (): number => {
    while (used.has(next)) next += 4;
    if (((next & ~255) >>> 0) !== net24) {
      fail(`no free management /30 left in ${intToV4(net24)}/24 after the switches' for every traffic host ` +
        'and hypervisor; move the switch management addresses lower in their /24');
    }
    used.add(next);
    return next;
  };
  // One management veth per namespace: traffic hosts sharing a namespace share its address.
  const wanted = new Map<string, { kind: MgmtHostPlan['kind']; serves: string[] }>();
  for (const [name, node] of ctx.trafficNs) {
    const w = wanted.get(node) ?? { kind: 'traffic-host' as const, serves: [] };
    wanted.set(node, { ...w, serves: [...w.serves, name] });
  }
  for (const h of ctx.tb.hypervisors) {
    if (wanted.has(h.name)) fail(`traffic host namespace "${h.name}" is also a hypervisor's`);
    wanted.set(h.name, { kind: 'hypervisor', serves: [h.name] });
  }
  return [...wanted].map(([node, { kind, serves }]): MgmtHostPlan => {
    const base = take();
    const address = intToV4(base + 2);
    const controller = intToV4(base + 1);
    if (!v4InPrefix(address, LAB_V4)) fail(`management address ${address} of ${node} is outside ${LAB_V4}`);
    const ns = ctx.nsOf(node);
    const rootDev = `${ctx.lab.prefix}-${node}`.slice(0, 15);
    acc.veths.push({ a: { ns: undefined, dev: rootDev }, b: { ns, dev: SWITCH_MGMT_DEV }, offloadsOff: false });
    acc.addresses.push({ ns: undefined, dev: rootDev, cidr: `${controller}/${len}` });
    acc.addresses.push({ ns, dev: SWITCH_MGMT_DEV, cidr: `${address}/${len}` });
    return { node, kind, serves, ns, rootDev, address, controller, len, sshPort: MGMT_SSH_PORT };
  });
}

/** netconfd startup datastore of the switch in `ns`: its bridges, ports, VXLANs and gateways with their addresses. */
function switchStartup(ns: string, acc: PlanAcc, netconfUser: string | undefined): string {
  const devs = new Set<string>();
  for (const v of acc.veths) for (const e of [v.a, v.b]) if (e.ns === ns) devs.add(e.dev);
  const brs = [...acc.bridges.values()].filter((b) => b.ns === ns);
  const vx = acc.vxlans.filter((v) => v.ns === ns);
  for (const v of vx) devs.add(v.name);
  for (const b of brs) if (b.gateway !== undefined) devs.add(b.gateway.name);
  const ifaces = [...brs.map((b) => b.name), ...devs].map((name) => {
    const x = vx.find((v) => v.name === name);
    return {
    name, bridge: brs.some((b) => b.name === name),
    addresses: acc.addresses.filter((a) => a.ns === ns && a.dev === name).map((a) => a.cidr),
    ...(brs.find((b) => b.ports.includes(name)) ? { master: brs.find((b) => b.ports.includes(name))?.name } : {}),
    ...(x === undefined ? {} : { vxlan: { vni: x.vni, local: x.local } }),
    };
  });
  return switchStartupXml(ifaces, netconfUser);
}
