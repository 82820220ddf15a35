/**
 * `netconf-ietf`: IETF models only — ietf-interfaces + ietf-ip (ports, addresses, ARP/ND state) and
 * ietf-routing with the ipv4/ipv6 unicast static-route augments (RFC 8022 revision 2016-11-04, the
 * one netconfd serves in the emulated lab). No MAC table or VXLAN model exists in these modules: a
 * VXLAN endpoint is an interface of type `ianaift:tunnel` named `vxlan<vni>` whose description
 * carries `vxlan id=<vni> local=<addr> dstport=<port> bridge=<name>`, which the lab switches' agent
 * turns into a Linux VXLAN device in that bridge (FRR advertises it in EVPN).
 */
import type { NetconfClient } from '../../transports/netconf/client.js';
import { nodeOperation, type Filter } from '../../transports/netconf/operations.js';
import { e, el, type XElement } from '../../transports/netconf/xml-build.js';
import { child, childrenNamed, textAt, type XNode } from '../../transports/netconf/xml.js';
import type { ChangeOp, HostRouteContext, NetconfDialect } from './netconf-driver.js';
import type { ConfigChange } from './transaction.js';
import {
  parsePrefix,
  type HostRoute,
  type InterfaceAddress,
  type NeighborEntry,
  type RouteEntry,
  type Segment,
  type TunnelEndpoint,
} from './types.js';

export const NS_IF = 'urn:ietf:params:xml:ns:yang:ietf-interfaces';
export const NS_IP = 'urn:ietf:params:xml:ns:yang:ietf-ip';
export const NS_RT = 'urn:ietf:params:xml:ns:yang:ietf-routing';
export const NS_V4UR = 'urn:ietf:params:xml:ns:yang:ietf-ipv4-unicast-routing';
export const NS_V6UR = 'urn:ietf:params:xml:ns:yang:ietf-ipv6-unicast-routing';
export const NS_IANAIFT = 'urn:ietf:params:xml:ns:yang:iana-if-type';
/** Name of the static-routing protocol instance vmmi owns. */
export const STATIC_INSTANCE = 'vmmi';

function staticProtocol(...routes: XElement[]): XElement {
  return el('routing', { xmlns: NS_RT },
    e('control-plane-protocols',
      e('control-plane-protocol',
        el('type', { 'xmlns:rt': NS_RT }, 'rt:static'),
        e('name', STATIC_INSTANCE),
        e('static-routes', ...routes))));
}

/**
 * Removes the `vmmi` static-routing instance, and the `control-plane-protocols` container with it
 * when it is the only instance: used when the route being removed is the instance's last, so a run
 * that added and removed routes leaves running exactly as it found it (netconfd keeps an emptied list
 * entry with its key leaves, and an emptied container, which a before/after comparison reports).
 */
export function ietfStaticInstanceRemoval(lastPrefix: string, onlyInstance: boolean): ConfigChange {
  const cpp = onlyInstance
    ? el('control-plane-protocols', nodeOperation('remove'))
    : e('control-plane-protocols',
      el('control-plane-protocol', nodeOperation('remove'),
        el('type', { 'xmlns:rt': NS_RT }, 'rt:static'),
        e('name', STATIC_INSTANCE)));
  return {
    description: `remove host route ${lastPrefix} (the last one: ${onlyInstance ? 'routing protocols' : `instance ${STATIC_INSTANCE}`} removed)`,
    config: el('routing', { xmlns: NS_RT }, cpp),
  };
}

/** What is configured: the `vmmi` instance's route prefixes, and whether it is the only instance. */
export async function ietfConfiguredRoutes(
  c: NetconfClient,
  o: { timeoutMs?: number; signal?: AbortSignal },
): Promise<HostRouteContext> {
  const cfg = await c.getConfig(
    'running',
    {
      type: 'subtree',
      content: el('routing', { xmlns: NS_RT }, e('control-plane-protocols')),
    },
    o,
  );
  const protos = childrenNamed(child(child(cfg.data, 'routing'), 'control-plane-protocols'), 'control-plane-protocol');
  const mine = protos.filter((p) => textAt(p, 'name') === STATIC_INSTANCE);
  return {
    configured: staticRoutesOf(mine).map((r) => r.prefix),
    onlyInstance: protos.length === mine.length,
  };
}

/**
 * Static host route in the ipv4/ipv6 augment of the `vmmi` static protocol instance. Removing the
 * instance's last route removes the instance (`ctx`: what was configured before the change).
 */
export function ietfHostRoute(r: HostRoute, op: ChangeOp, ctx?: HostRouteContext): ConfigChange {
  if (
    op === 'remove' &&
    ctx !== undefined &&
    ctx.configured.length > 0 &&
    ctx.configured.every((p) => p === r.prefix)
  ) {
    return ietfStaticInstanceRemoval(r.prefix, ctx.onlyInstance);
  }
  const { family } = parsePrefix(r.prefix);
  const ns = family === 4 ? NS_V4UR : NS_V6UR;
  const route = op === 'remove'
    ? el('route', nodeOperation('remove'), e('destination-prefix', r.prefix))
    : e('route',
      e('destination-prefix', r.prefix),
      r.description !== undefined && e('description', r.description),
      e('next-hop',
        r.device !== undefined && e('outgoing-interface', r.device),
        r.nextHop !== undefined && e('next-hop-address', r.nextHop)));
  if (op === 'add' && r.nextHop === undefined && r.device === undefined) {
    throw new TypeError(`host route ${r.prefix} needs a nextHop or a device`);
  }
  return {
    description: `${op} host route ${r.prefix}`,
    config: staticProtocol(el(family === 4 ? 'ipv4' : 'ipv6', { xmlns: ns }, route)),
  };
}

/**
 * Subtree filter selecting one static route of the `vmmi` instance by its key: the transaction's
 * verify reads just that entry, so its cost does not grow with the size of running.
 */
export function ietfHostRouteFilter(prefix: string): Filter {
  const { family } = parsePrefix(prefix);
  return {
    type: 'subtree',
    content: el('routing', { xmlns: NS_RT },
      e('control-plane-protocols',
        e('control-plane-protocol',
          e('name', STATIC_INSTANCE),
          e('static-routes',
            el(family === 4 ? 'ipv4' : 'ipv6', { xmlns: family === 4 ? NS_V4UR : NS_V6UR },
              e('route', e('destination-prefix', prefix))))))),
  };
}

/** A segment is a switch port brought up (attach) or down (detach), tagged in its description. */
export function ietfSegment(s: Segment, op: ChangeOp): ConfigChange {
  const tag = [`vmmi-segment`, s.vlan !== undefined ? `vlan=${s.vlan}` : '', s.vni !== undefined ? `vni=${s.vni}` : '',
    s.bridge !== undefined ? `bridge=${s.bridge}` : ''].filter(Boolean).join(' ');
  return {
    description: `${op === 'add' ? 'attach' : 'detach'} segment on ${s.port}`,
    config: el('interfaces', { xmlns: NS_IF },
      e('interface',
        e('name', s.port),
        el('type', { 'xmlns:ianaift': NS_IANAIFT }, 'ianaift:ethernetCsmacd'),
        op === 'add' ? e('description', tag) : el('description', nodeOperation('remove')),
        e('enabled', op === 'add' ? 'true' : 'false'))),
  };
}

export const vxlanName = (vni: number): string => `vxlan${vni}`;

/** A VXLAN tunnel endpoint as a `tunnel` interface (see the header); removal deletes the interface. */
export function ietfTunnel(t: TunnelEndpoint, op: ChangeOp): ConfigChange {
  if (!Number.isInteger(t.vni) || t.vni < 1 || t.vni > 0xffffff) throw new TypeError(`VNI out of range: ${t.vni}`);
  const name = vxlanName(t.vni);
  if (op === 'remove') {
    return {
      description: `remove VXLAN ${t.vni}`,
      config: el('interfaces', { xmlns: NS_IF }, el('interface', nodeOperation('remove'), e('name', name))),
    };
  }
  if (t.remotes.length > 0)
    throw new TypeError('static VXLAN remotes are not expressible here: EVPN builds the flood list');
  const desc = [`vxlan id=${t.vni}`, `local=${t.localAddress}`, `dstport=${t.udpPort ?? 4789}`,
    ...(t.bridge === undefined ? [] : [`bridge=${t.bridge}`])].join(' ');
  return {
    description: `VXLAN ${t.vni} from ${t.localAddress}${t.bridge === undefined ? '' : ` in ${t.bridge}`}`,
    config: el('interfaces', { xmlns: NS_IF },
      e('interface',
        e('name', name),
        e('description', desc),
        el('type', { 'xmlns:ianaift': NS_IANAIFT }, 'ianaift:tunnel'),
        e('enabled', 'true'))),
  };
}

/** The configured interfaces (ietf-interfaces subtree of running). */
async function configuredInterfaces(
  c: NetconfClient,
  o: { timeoutMs?: number; signal?: AbortSignal },
): Promise<readonly XNode[]> {
  const cfg = await c.getConfig('running', { type: 'subtree', content: el('interfaces', { xmlns: NS_IF }) }, o);
  return childrenNamed(child(cfg.data, 'interfaces'), 'interface');
}

/** VNIs of the configured `vxlan<vni>` tunnel interfaces. */
export async function ietfReadTunnels(
  c: NetconfClient,
  o: { timeoutMs?: number; signal?: AbortSignal },
): Promise<number[]> {
  return (await configuredInterfaces(c, o)).flatMap((i) => {
    const m = /^vxlan(\d+)$/.exec(textAt(i, 'name') ?? '');
    return m !== null && /(?:^|:)tunnel$/.test(textAt(i, 'type') ?? '') ? [Number(m[1])] : [];
  });
}

/** One address on one interface (ietf-ip), merged in or removed by key. */
export function ietfAddress(a: InterfaceAddress, op: ChangeOp): ConfigChange {
  const { family, addr, len } = parsePrefix(a.cidr);
  const fam = family === 4 ? 'ipv4' : 'ipv6';
  const address = op === 'remove'
    ? el('address', nodeOperation('remove'), e('ip', addr))
    : e('address', e('ip', addr), e('prefix-length', String(len)));
  return {
    description: `${op === 'add' ? 'add' : 'remove'} address ${a.cidr} on ${a.iface}`,
    config: el('interfaces', { xmlns: NS_IF }, e('interface', e('name', a.iface), el(fam, { xmlns: NS_IP }, address))),
  };
}

/** Configured interface addresses (ietf-ip), both families. */
export async function ietfReadAddresses(
  c: NetconfClient,
  o: { timeoutMs?: number; signal?: AbortSignal },
): Promise<InterfaceAddress[]> {
  return (await configuredInterfaces(c, o)).flatMap((i) => {
    const iface = textAt(i, 'name') ?? '';
    return ['ipv4', 'ipv6'].flatMap((fam) =>
      childrenNamed(child(i, fam), 'address').flatMap((a) => {
        const ip = textAt(a, 'ip');
        const len = textAt(a, 'prefix-length');
        return ip === undefined || len === undefined ? [] : [{ iface, cidr: `${ip}/${len}` }];
      }),
    );
  });
}

/** Routes from configured static routes (`protocol: static`) and, when served, routing-state ribs. */
export function parseIetfRoutes(config: XNode | undefined, state: XNode | undefined): RouteEntry[] {
  const out = staticRoutesOf(
    childrenNamed(child(child(config, 'routing'), 'control-plane-protocols'), 'control-plane-protocol'),
  );
  for (const rib of childrenNamed(child(child(state, 'routing-state'), 'ribs'), 'rib')) {
    for (const r of childrenNamed(child(rib, 'routes'), 'route')) {
      const nh = child(r, 'next-hop');
      const addr = textAt(nh, 'next-hop-address');
      const dev = textAt(nh, 'outgoing-interface');
      out.push({ prefix: textAt(r, 'destination-prefix') ?? '', nextHops: addr ? [addr] : [],
        protocol: (textAt(r, 'source-protocol') ?? '').replace(/^.*:/, ''), active: child(r, 'active') !== undefined,
        ...(dev ? { device: dev } : {}) });
    }
  }
  return out;
}

/** Configured static routes of some control-plane-protocol entries. */
function staticRoutesOf(protos: readonly XNode[]): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (const p of protos) {
    for (const fam of ['ipv4', 'ipv6']) {
      for (const r of childrenNamed(child(child(p, 'static-routes'), fam), 'route')) {
        const nh = child(r, 'next-hop');
        const addr = textAt(nh, 'next-hop-address');
        const dev = textAt(nh, 'outgoing-interface');
        out.push({ prefix: textAt(r, 'destination-prefix') ?? '', nextHops: addr ? [addr] : [], protocol: 'static',
          active: false, ...(dev ? { device: dev } : {}) });
      }
    }
  }
  return out;
}

/** ARP/ND entries from `interfaces-state/interface/ipv4|ipv6/neighbor`. */
export function parseIetfNeighbors(state: XNode | undefined): NeighborEntry[] {
  const out: NeighborEntry[] = [];
  for (const i of childrenNamed(child(state, 'interfaces-state'), 'interface')) {
    const dev = textAt(i, 'name') ?? '';
    for (const fam of ['ipv4', 'ipv6']) {
      for (const n of childrenNamed(child(i, fam), 'neighbor')) {
        const st = textAt(n, 'state');
        out.push({ ip: textAt(n, 'ip') ?? '', mac: (textAt(n, 'link-layer-address') ?? '').toLowerCase(), device: dev,
          ...(st ? { state: st } : {}) });
      }
    }
  }
  return out;
}

async function readRoutes(c: NetconfClient, o: { timeoutMs?: number; signal?: AbortSignal }): Promise<RouteEntry[]> {
  const cfg = await c.getConfig('running', { type: 'subtree', content: el('routing', { xmlns: NS_RT }) }, o);
  const st = await c.get({ type: 'subtree', content: el('routing-state', { xmlns: NS_RT }) }, o);
  return parseIetfRoutes(cfg.data, st.data);
}

export const netconfIetf: NetconfDialect = {
  kind: 'netconf-ietf',
  configFilter: { type: 'subtree', content: [el('interfaces', { xmlns: NS_IF }), el('routing', { xmlns: NS_RT })] },
  hostRoute: ietfHostRoute,
  configuredHostRoutes: ietfConfiguredRoutes,
  hostRouteFilter: ietfHostRouteFilter,
  segment: ietfSegment,
  tunnel: ietfTunnel,
  readTunnels: ietfReadTunnels,
  address: ietfAddress,
  readAddresses: ietfReadAddresses,
  readRoutes,
  readNeighbors: async (c, o) =>
    parseIetfNeighbors((await c.get({ type: 'subtree', content: el('interfaces-state', { xmlns: NS_IF }) }, o)).data),
};
