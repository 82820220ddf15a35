import { child, childrenNamed, textAt, type XNode } from '../../transports/netconf/xml.js';
import { defined } from '../../model/defined.js';

/**
 * The data-plane agent's decisions, pure: running config (ietf-interfaces + ietf-ip + ietf-routing
 * static routes) → desired state; desired vs. the kernel → `ip` argv lists. Level-triggered: the
 * same inputs always give the same commands, so it runs after every notification, on (re)connect
 * and periodically.
 *
 * Ownership: the agent only removes what it added itself (`Owned`), so the lab's planned addresses
 * stay when a config never mentioned them. Kernel routes it manages carry `proto static`; FRR on the
 * TORs redistributes them (`redistribute kernel`), which is how a host route reaches the network.
 * Bridge ports: an interface whose `description` contains `bridge=<name>` (or `bridge:<name>`) joins that bridge;
 * an interface of type `ianaift:bridge` is created as a Linux bridge when missing. An interface whose
 * description carries `vxlan id=<vni> local=<addr> [dstport=<port>]` is created as a VXLAN device
 * (no learning: EVPN fills its forwarding table) when missing, with bridge-port learning off.
 * ARP/ND suppression (`neighSuppress`, from the lab's knob, neigh-suppress.ts): when given, every VXLAN
 * bridge port of the config gets `neigh_suppress` on or off, a port it creates as it joins the bridge.
 */

export interface DesiredInterface {
  readonly name: string;
  /** YANG default: true. */
  readonly enabled: boolean;
  readonly isBridge: boolean;
  /** Bridge this port belongs to (`bridge:<name>` in the description). */
  readonly bridge?: string;
  /** `addr/len`, IPv4 and IPv6. */
  readonly addresses: readonly string[];
  readonly vxlan?: VxlanSpec;
}

export interface VxlanSpec {
  readonly id: number;
  readonly local: string;
  readonly dstport: number;
}

/** `vxlan id=N local=A [dstport=P]` in a description; undefined when absent or malformed. */
export function parseVxlanSpec(description: string): VxlanSpec | undefined {
  if (!/(?:^|\s)vxlan(?:\s|$)/.test(description)) return undefined;
  const kv = new Map([...description.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  const id = Number(kv.get('id'));
  const local = kv.get('local') ?? '';
  const dstport = Number(kv.get('dstport') ?? 4789);
  if (!Number.isInteger(id) || id < 1 || id > 0xffffff || !/^[0-9a-fA-F.:]+$/.test(local)) return undefined;
  if (!Number.isInteger(dstport) || dstport < 1 || dstport > 65535) return undefined;
  return { id, local, dstport };
}

export interface RouteSpec {
  /** `prefix/len` (a host route is /32 or /128). */
  readonly dst: string;
  readonly dev?: string;
  readonly via?: string;
}

export interface DesiredConfig {
  readonly interfaces: readonly DesiredInterface[];
  readonly routes: readonly RouteSpec[];
}

export interface ActualLink {
  readonly name: string;
  readonly up: boolean;
  readonly master?: string;
  readonly addresses: readonly string[];
  /** The bridge port's `neigh_suppress` (`ip -d -j link show`); absent when not a bridge port or not read. */
  readonly neighSuppress?: boolean;
}

export interface ActualState {
  readonly links: readonly ActualLink[];
  /** Kernel routes with `proto static` (the agent's). */
  readonly routes: readonly RouteSpec[];
}

/** What the agent added, so it can take it back when the config no longer has it. */
export interface Owned {
  /** `dev addr/len` */
  readonly addresses: readonly string[];
  readonly bridges: readonly string[];
  /** VXLAN devices it created. */
  readonly tunnels?: readonly string[];
  /** `port bridge` */
  readonly ports: readonly string[];
}

export const NO_OWNED: Owned = { addresses: [], bridges: [], ports: [] };

export interface ReconcileOptions {
  /**
   * ARP/ND suppression wanted on the config's VXLAN bridge ports (`bridge link set dev P neigh_suppress
   * on|off`); undefined leaves the flag as it is.
   */
  readonly neighSuppress?: boolean;
}

export interface ReconcilePlan {
  readonly commands: readonly (readonly string[])[];
  readonly owned: Owned;
  /** Config entries that cannot be applied (e.g. an interface that does not exist). */
  readonly problems: readonly string[];
}

const isV6 = (a: string): boolean => a.includes(':');
/** Canonical `addr/len`: lower-case, host length added when missing. */
export function normPrefix(p: string): string {
  const s = p.trim().toLowerCase();
  return s.includes('/') ? s : `${s}/${isV6(s) ? 128 : 32}`;
}

function addressesOf(ifc: XNode, fam: 'ipv4' | 'ipv6'): string[] {
  return childrenNamed(child(ifc, fam), 'address').flatMap((a) => {
    const ip = textAt(a, 'ip');
    const len = textAt(a, 'prefix-length');
    return ip === undefined || len === undefined ? [] : [`${ip.toLowerCase()}/${len}`];
  });
}

/** Parses `<data>` of a running-config reply. Namespaces are ignored: local names are unique here. */
export function parseRunningConfig(data: XNode | undefined): DesiredConfig {
  const interfaces = childrenNamed(child(data, 'interfaces'), 'interface').flatMap((ifc): DesiredInterface[] => {
    const name = textAt(ifc, 'name');
    if (name === undefined || name === '') return [];
    const type = textAt(ifc, 'type') ?? '';
    const description = textAt(ifc, 'description') ?? '';
    const bridge = /(?:^|\s)bridge[:=](\S+)/.exec(description)?.[1];
    const vxlan = parseVxlanSpec(description);
    return [{
      name,
      enabled: textAt(ifc, 'enabled') !== 'false',
      isBridge: /(?:^|:)bridge$/.test(type),
      ...defined({ bridge }),
      addresses: [...addressesOf(ifc, 'ipv4'), ...addressesOf(ifc, 'ipv6')],
      ...defined({ vxlan }),
    }];
  });
  const routes: RouteSpec[] = [];
  for (const cpp of childrenNamed(child(child(data, 'routing'), 'control-plane-protocols'), 'control-plane-protocol')) {
    const sr = child(cpp, 'static-routes');
    for (const fam of ['ipv4', 'ipv6']) {
      for (const r of childrenNamed(child(sr, fam), 'route')) {
        const dst = textAt(r, 'destination-prefix');
        if (dst === undefined) continue;
        const nh = child(r, 'next-hop');
        const dev = textAt(nh, 'outgoing-interface');
        const via = textAt(nh, 'next-hop-address') ?? textAt(nh, 'address');
        routes.push({ dst: normPrefix(dst), ...(dev ? { dev } : {}), ...(via ? { via: via.toLowerCase() } : {}) });
      }
    }
  }
  return { interfaces, routes };
}

export function routeArgv(verb: 'replace' | 'del', r: RouteSpec): string[] {
  const argv = ['ip', ...(isV6(r.dst) ? ['-6'] : []), 'route', verb, normPrefix(r.dst)];
  if (verb === 'replace') {
    if (r.via !== undefined) argv.push('via', r.via);
    if (r.dev !== undefined) argv.push('dev', r.dev);
  }
  argv.push('proto', 'static');
  return argv;
}

/** Addresses (`dev addr/len`), bridges, ports (`port bridge`) and VXLAN devices. */
interface KindSets {
  readonly addr: Set<string>; readonly bridges: Set<string>; readonly ports: Set<string>; readonly tunnels: Set<string>;
}

/** What one reconcile pass works on: the links, the commands so far, what the agent owns and what the config wants. */
interface Pass {
  readonly links: ReadonlyMap<string, ActualLink>;
  readonly cmds: string[][];
  /** Updated as the pass adds and removes. */
  readonly owned: KindSets;
  readonly want: KindSets;
  readonly neighSuppress: boolean | undefined;
}

/** Commands that take the kernel from `actual` to `desired`, plus the new ownership record. */
export function reconcile(desired: DesiredConfig, actual: ActualState, owned: Owned = NO_OWNED,
  opts: ReconcileOptions = {}): ReconcilePlan {
  const problems: string[] = [];
  const p: Pass = {
    links: new Map(actual.links.map((l) => [l.name, l])),
    cmds: [],
    owned: {
      addr: new Set(owned.addresses), bridges: new Set(owned.bridges), ports: new Set(owned.ports),
      tunnels: new Set(owned.tunnels ?? []),
    },
    want: { addr: new Set(), bridges: new Set(), ports: new Set(), tunnels: new Set() },
    neighSuppress: opts.neighSuppress,
  };

  // Bridges first: ports and addresses may refer to them.
  for (const i of desired.interfaces.filter((x) => x.isBridge)) {
    p.want.bridges.add(i.name);
    if (!p.links.has(i.name)) {
      p.cmds.push(['ip', 'link', 'add', 'name', i.name, 'type', 'bridge']);
      p.owned.bridges.add(i.name);
    }
  }
  for (const i of desired.interfaces) {
    const problem = reconcileInterface(p, i);
    if (problem !== undefined) problems.push(problem);
  }
  removeUnwanted(p);
  reconcileRoutes(p.cmds, desired.routes, actual.routes);
  const o = p.owned;
  return {
    commands: p.cmds,
    owned: {
      addresses: [...o.addr].sort(), bridges: [...o.bridges].sort(), ports: [...o.ports].sort(),
      ...(o.tunnels.size === 0 ? {} : { tunnels: [...o.tunnels].sort() }),
    },
    problems,
  };
}

/** One configured interface: VXLAN device, bridge membership, admin state, addresses; a problem when it cannot be. */
function reconcileInterface(p: Pass, i: DesiredInterface): string | undefined {
  const { cmds } = p;
  const l = p.links.get(i.name);
  if (i.vxlan !== undefined) {
    p.want.tunnels.add(i.name);
    if (l === undefined) {
      cmds.push(['ip', 'link', 'add', 'name', i.name, 'type', 'vxlan', 'id', String(i.vxlan.id), 'local', i.vxlan.local,
        'dstport', String(i.vxlan.dstport), 'nolearning']);
      p.owned.tunnels.add(i.name);
    }
  }
  if (l === undefined && !i.isBridge && i.vxlan === undefined) {
    return `interface ${i.name} does not exist on this switch`;
  }
  if (i.bridge !== undefined) {
    p.want.ports.add(`${i.name} ${i.bridge}`);
    if (l?.master !== i.bridge) {
      cmds.push(['ip', 'link', 'set', 'dev', i.name, 'master', i.bridge]);
      // A VXLAN port must not learn: remote MACs come from EVPN (zebra installs them). Joining the
      // segment also forgets the bridge's learned locations: a MAC still aged-in on a local port
      // from a VM that left would be advertised as local (MAC mobility, higher sequence) and pull
      // that VM's traffic here until it aged out.
      if (i.vxlan !== undefined) {
        cmds.push(['ip', 'link', 'set', 'dev', i.name, 'type', 'bridge_slave', 'learning', 'off']);
        // A new bridge port starts with neigh_suppress off.
        if (p.neighSuppress === true) cmds.push(neighSuppressArgv(i.name, true));
        cmds.push(['bridge', 'fdb', 'flush', 'dev', i.bridge, 'dynamic']);
      }
      p.owned.ports.add(`${i.name} ${i.bridge}`);
    } else if (i.vxlan !== undefined && p.neighSuppress !== undefined && l?.neighSuppress !== undefined
      && l.neighSuppress !== p.neighSuppress) {
      cmds.push(neighSuppressArgv(i.name, p.neighSuppress));
    }
  }
  const up = l?.up ?? false;
  if (i.enabled && !up) cmds.push(['ip', 'link', 'set', 'dev', i.name, 'up']);
  if (!i.enabled && up) cmds.push(['ip', 'link', 'set', 'dev', i.name, 'down']);
  const have = new Set((l?.addresses ?? []).map(normPrefix));
  for (const a of i.addresses.map(normPrefix)) {
    p.want.addr.add(`${i.name} ${a}`);
    if (!have.has(a)) {
      cmds.push(['ip', 'addr', 'add', a, 'dev', i.name]);
      p.owned.addr.add(`${i.name} ${a}`);
    }
  }
  return undefined;
}

/** `bridge link set dev <port> neigh_suppress on|off`. */
export function neighSuppressArgv(port: string, on: boolean): string[] {
  return ['bridge', 'link', 'set', 'dev', port, 'neigh_suppress', on ? 'on' : 'off'];
}

/** Takes back what the agent added and the config no longer has: addresses, ports, tunnels, then bridges. */
function removeUnwanted({ links, cmds, owned, want }: Pass): void {
  for (const key of [...owned.addr]) {
    if (want.addr.has(key)) continue;
    const [dev, a] = key.split(' ') as [string, string];
    if (links.get(dev)?.addresses.map(normPrefix).includes(a)) cmds.push(['ip', 'addr', 'del', a, 'dev', dev]);
    owned.addr.delete(key);
  }
  for (const key of [...owned.ports]) {
    if (want.ports.has(key)) continue;
    const [port, br] = key.split(' ') as [string, string];
    if (links.get(port)?.master === br) cmds.push(['ip', 'link', 'set', 'dev', port, 'nomaster']);
    owned.ports.delete(key);
  }
  for (const t of [...owned.tunnels]) {
    if (want.tunnels.has(t)) continue;
    if (links.has(t)) cmds.push(['ip', 'link', 'del', 'dev', t]);
    owned.tunnels.delete(t);
  }
  for (const br of [...owned.bridges]) {
    if (want.bridges.has(br)) continue;
    if (links.has(br)) cmds.push(['ip', 'link', 'del', 'dev', br]);
    owned.bridges.delete(br);
  }
}

const sameDst = (a: RouteSpec, b: RouteSpec): boolean => normPrefix(a.dst) === normPrefix(b.dst);
/** The kernel route `h` is what the config route `w` asks for (what `w` leaves open, `h` may fill). */
const satisfies = (h: RouteSpec, w: RouteSpec): boolean =>
  sameDst(h, w) && (w.via === undefined || w.via === h.via) && (w.dev === undefined || w.dev === h.dev);

/** Static routes: foreign destinations deleted, missing or different ones replaced. */
function reconcileRoutes(cmds: string[][], desired: readonly RouteSpec[], actual: readonly RouteSpec[]): void {
  for (const h of actual) if (!desired.some((w) => sameDst(h, w))) cmds.push(routeArgv('del', h));
  for (const w of desired) if (!actual.some((h) => satisfies(h, w))) cmds.push(routeArgv('replace', w));
}

/**
 * The static routes the kernel holds once the route commands of reconcile(desired, actual) succeeded
 * (pure): the agent's cached view after applying them, so the next notification can be planned without
 * re-reading the kernel. Routes that already satisfied the config stay as read.
 */
export function routesAfter(desired: readonly RouteSpec[], actual: readonly RouteSpec[]): RouteSpec[] {
  return desired.map((w) => actual.find((h) => satisfies(h, w)) ?? { ...w, dst: normPrefix(w.dst) });
}

/** True for a command reconcile emits for a static route (`ip [-6] route …`). */
export function isRouteCommand(argv: readonly string[]): boolean {
  return argv[0] === 'ip' && (argv[1] === 'route' || (argv[1] === '-6' && argv[2] === 'route'));
}

/**
 * Reads `ip -j link` (with `-d`, also each bridge port's `neigh_suppress`), `ip -j addr` output and static
 * routes (`ip -j route show proto static`).
 */
export function parseActual(linkJson: string, addrJson: string, routeJson4: string, routeJson6: string): ActualState {
  type L = {
    ifname: string;
    flags?: string[];
    master?: string;
    addr_info?: { local: string; prefixlen: number; scope?: string }[];
    linkinfo?: { info_slave_kind?: string; info_slave_data?: { neigh_suppress?: boolean } };
  };
  const arr = <T>(s: string): T[] => (s.trim() === '' ? [] : (JSON.parse(s) as T[]));
  const addrs = new Map(arr<L>(addrJson).map((l) => [l.ifname, (l.addr_info ?? [])
    .filter((a) => a.scope !== 'link' && a.scope !== 'host').map((a) => `${a.local}/${a.prefixlen}`)]));
  const links = arr<L>(linkJson).map((l): ActualLink => ({
    name: l.ifname,
    up: (l.flags ?? []).includes('UP'),
    ...(l.master ? { master: l.master } : {}),
    addresses: addrs.get(l.ifname) ?? [],
    ...neighSuppressOf(l.linkinfo),
  }));
  type R = { dst: string; gateway?: string; dev?: string };
  const routes = [...arr<R>(routeJson4), ...arr<R>(routeJson6)].map((r): RouteSpec => ({
    dst: normPrefix(r.dst), ...(r.dev ? { dev: r.dev } : {}), ...(r.gateway ? { via: r.gateway } : {}),
  }));
  return { links, routes };
}

/** A bridge port's `neigh_suppress` from `ip -d -j link` (`linkinfo.info_slave_data`), when it says. */
function neighSuppressOf(li: { info_slave_kind?: string; info_slave_data?: { neigh_suppress?: boolean } } | undefined):
  { neighSuppress?: boolean } {
  const v = li?.info_slave_kind === 'bridge' ? li.info_slave_data?.neigh_suppress : undefined;
  return typeof v === 'boolean' ? { neighSuppress: v } : {};
}
