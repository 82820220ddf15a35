/**
 * `junos-netconf`: Junos native XML over NETCONF (edit-config of `<configuration>` into the shared
 * candidate, standard confirmed commit) and Junos operational RPCs for tables. Payloads follow the
 * Junos XML API documentation, validate against Juniper's published junos-qfx YANG models (yanglint,
 * docs/vendor-models.md) and are pinned by golden files; NOT YET EXERCISED AGAINST HARDWARE.
 * Junos offers confirmed-commit:1.0 only, so a failed transaction reverts by ending the session.
 */
import { nodeOperation } from '../../transports/netconf/operations.js';
import { e, el, type XChild, type XElement } from '../../transports/netconf/xml-build.js';
import { childrenNamed, textAt, type XNode } from '../../transports/netconf/xml.js';
import type { ChangeOp, NetconfDialect } from './netconf-driver.js';
import {
  junosDciFilter, junosInstanceFilter, junosL2Stretch, junosL2StretchPlan, junosL3Vpn, junosL3VpnPlan,
} from './dci-junos.js';
import { JUNOS_SOFTWARE_QUERY } from './netconf-version.js';
import type { ConfigChange } from './transaction.js';
import {
  parsePrefix, type HostRoute, type MacEntry, type NeighborEntry, type RouteEntry, type Segment, type TunnelEndpoint,
} from './types.js';

/**
 * Namespaces of the published Junos YANG configuration models (family junos-qfx): the root module
 * holds `<configuration>`, every top-level hierarchy is an augment from its own module. Payloads carry
 * them so they validate against those models (test/yang/juniper, docs/vendor-models.md).
 */
export const NS_JUNOS_CONF = 'http://yang.juniper.net/junos-qfx/conf';
const ns = (module: string): { xmlns: string } => ({ xmlns: `${NS_JUNOS_CONF}/${module}` });

/** Deletions use the RFC 6241 `operation` attribute in the NETCONF base namespace. */
const del = nodeOperation('delete');

function configuration(...children: XChild[]): XElement {
  return el('configuration', ns('root'), ...children);
}

export function junosHostRoute(r: HostRoute, op: ChangeOp): ConfigChange {
  const { family } = parsePrefix(r.prefix);
  if (op === 'add' && r.nextHop === undefined && r.device === undefined) {
    throw new TypeError(`host route ${r.prefix} needs a nextHop or a device`);
  }
  const route = op === 'remove'
    ? el('route', del, e('name', r.prefix))
    : e('route', e('name', r.prefix), e('next-hop', r.nextHop ?? r.device));
  const stat = e('static', route);
  const ro = el('routing-options', ns('routing-options'), family === 4 ? stat : e('rib', e('name', 'inet6.0'), stat));
  return { description: `${op} host route ${r.prefix}`, config: configuration(ro) };
}

export function junosVlanName(s: { vlan?: number; vni?: number }): string {
  return `vmmi-${s.vlan ?? 'x'}${s.vni !== undefined ? `-${s.vni}` : ''}`;
}

/** Access port on a VLAN (ELS `ethernet-switching`), the VLAN optionally mapped to a VNI. */
export function junosSegment(s: Segment, op: ChangeOp): ConfigChange {
  if (s.vlan === undefined) throw new TypeError(`segment on ${s.port} needs a vlan for Junos`);
  const name = junosVlanName(s);
  const member = op === 'remove' ? el('members', del, name) : e('members', name);
  const iface = el('interfaces', ns('interfaces'), e('interface', e('name', s.port),
    e('unit', e('name', '0'), e('family', e('ethernet-switching',
      op === 'add' && e('interface-mode', 'access'),
      e('vlan', member))))));
  const vlan =
    op === 'remove'
      ? undefined
      : el(
          'vlans',
          ns('vlans'),
          e(
            'vlan',
            e('name', name),
            e('vlan-id', String(s.vlan)),
            s.vni !== undefined && e('vxlan', e('vni', String(s.vni))),
          ),
        );
  return {
    description: `${op === 'add' ? 'attach' : 'detach'} segment on ${s.port}`,
    config: configuration(iface, vlan),
  };
}

/** Static VXLAN: VTEP source lo0.0 and the remote VTEP list of the VLAN mapped to `vni`. */
export function junosTunnel(t: TunnelEndpoint, op: ChangeOp): ConfigChange {
  const name = junosVlanName({ ...(t.vlan !== undefined ? { vlan: t.vlan } : {}), vni: t.vni });
  const remotes = t.remotes.map((r) =>
    op === 'remove' ? el('static-remote-vtep-list', del, r) : e('static-remote-vtep-list', r),
  );
  return {
    description: `${op} VXLAN VNI ${t.vni}`,
    config: configuration(
      op === 'add' &&
        el(
          'switch-options',
          ns('switch-options'),
          e('vtep-source-interface', e('interface-name', 'lo0.0')),
          ...t.remotes.map((r) => e('remote-vtep-list', r)),
        ),
      el('vlans', ns('vlans'), e('vlan', e('name', name), e('vxlan', e('vni', String(t.vni)), ...remotes))),
    ),
  };
}

/** `<get-route-information>` reply → routes (inet.0 and inet6.0). */
export function parseJunosRoutes(reply: XNode | undefined): RouteEntry[] {
  const out: RouteEntry[] = [];
  const info = find(reply, 'route-information');
  for (const table of childrenNamed(info, 'route-table')) {
    for (const rt of childrenNamed(table, 'rt')) {
      const prefix = textAt(rt, 'rt-destination') ?? '';
      for (const en of childrenNamed(rt, 'rt-entry')) {
        const hops = childrenNamed(en, 'nh');
        const via = hops.map((h) => textAt(h, 'via')).find((x) => x !== undefined && x !== '');
        out.push({
          prefix, protocol: (textAt(en, 'protocol-name') ?? '').toLowerCase(),
          active: textAt(en, 'current-active') !== undefined || (textAt(en, 'active-tag') ?? '') === '*',
          nextHops: hops.map((h) => textAt(h, 'to')).filter((x): x is string => x !== undefined && x !== ''),
          ...(via !== undefined ? { device: via } : {}),
        });
      }
    }
  }
  return out;
}

/** `<get-arp-table-information>` and `<get-ipv6-nd-information>` replies → neighbors. */
export function parseJunosNeighbors(arp: XNode | undefined, nd: XNode | undefined): NeighborEntry[] {
  const v4 = childrenNamed(find(arp, 'arp-table-information'), 'arp-table-entry').map((x) => ({
    ip: textAt(x, 'ip-address') ?? '', mac: (textAt(x, 'mac-address') ?? '').toLowerCase(),
    device: textAt(x, 'interface-name') ?? '', state: 'dynamic',
  }));
  const v6 = childrenNamed(find(nd, 'ipv6-nd-information'), 'ipv6-nd-entry').map((x) => ({
    ip: textAt(x, 'ipv6-nd-neighbor-address') ?? '',
    mac: (textAt(x, 'ipv6-nd-neighbor-l2-address') ?? '').toLowerCase(),
    device: textAt(x, 'ipv6-nd-interface-name') ?? '',
    state: textAt(x, 'ipv6-nd-state') ?? '',
  }));
  return [...v4, ...v6];
}

/** `<get-ethernet-switching-table-information>` (ELS) reply → MAC entries. */
export function parseJunosMacTable(
  reply: XNode | undefined,
  vlanIds: ReadonlyMap<string, number> = new Map(),
): MacEntry[] {
  const out: MacEntry[] = [];
  const db = find(reply, 'l2ng-l2ald-rtb-macdb');
  for (const grp of childrenNamed(db, 'l2ng-l2ald-mac-entry-vlan')) {
    for (const m of childrenNamed(grp, 'l2ng-mac-entry')) {
      const vname = textAt(m, 'l2ng-l2-mac-vlan-name') ?? '';
      const vid = vlanIds.get(vname) ?? (/(\d+)/.exec(vname) ? Number(/(\d+)/.exec(vname)?.[1]) : undefined);
      out.push({
        mac: (textAt(m, 'l2ng-l2-mac-address') ?? '').toLowerCase(),
        port: textAt(m, 'l2ng-l2-mac-logical-interface') ?? '',
        type: (textAt(m, 'l2ng-l2-mac-flags') ?? '').toLowerCase(),
        ...(vid !== undefined ? { vlan: vid } : {}),
      });
    }
  }
  return out;
}

/** First descendant (depth-first) with this local name; replies may wrap data differently. */
function find(n: XNode | undefined, name: string): XNode | undefined {
  if (n === undefined) return undefined;
  if (n.name === name) return n;
  for (const c of n.children) {
    const hit = find(c, name);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

export const junosRpcs = {
  routes: e('get-route-information', e('table', 'inet.0')),
  routes6: e('get-route-information', e('table', 'inet6.0')),
  arp: e('get-arp-table-information', e('no-resolve')),
  nd: e('get-ipv6-nd-information'),
  mac: e('get-ethernet-switching-table-information'),
};

export const junosNetconf: NetconfDialect = {
  kind: 'junos-netconf',
  configFilter: {
    type: 'subtree',
    content: e('configuration', e('routing-options'), e('vlans'), e('interfaces'), e('switch-options')),
  },
  hostRoute: junosHostRoute,
  segment: junosSegment,
  tunnel: junosTunnel,
  l2Stretch: { build: junosL2Stretch, filter: junosDciFilter, plan: junosL2StretchPlan },
  l3Vpn: { build: junosL3Vpn, filter: junosDciFilter, plan: junosL3VpnPlan },
  instanceFilter: junosInstanceFilter,
  readRoutes: async (c, o) => [
    ...parseJunosRoutes((await c.rpc(junosRpcs.routes, o)).root()),
    ...parseJunosRoutes((await c.rpc(junosRpcs.routes6, o)).root()),
  ],
  readNeighbors: async (c, o) =>
    parseJunosNeighbors((await c.rpc(junosRpcs.arp, o)).root(), (await c.rpc(junosRpcs.nd, o)).root()),
  readMacTable: async (c, o) => parseJunosMacTable((await c.rpc(junosRpcs.mac, o)).root()),
  versionQueries: [JUNOS_SOFTWARE_QUERY],
};

