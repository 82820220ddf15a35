/**
 * `openconfig-netconf`: OpenConfig over NETCONF (openconfig-network-instance static routes,
 * openconfig-interfaces + openconfig-vlan access ports, openconfig-if-ip neighbors, fdb mac-table).
 * Payloads follow the published OpenConfig models and are pinned by golden files; NOT YET
 * EXERCISED AGAINST HARDWARE (vendors differ in which OC paths they implement).
 */
import type { NetconfClient } from '../../transports/netconf/client.js';
import { nodeOperation } from '../../transports/netconf/operations.js';
import { e, el, type XElement } from '../../transports/netconf/xml-build.js';
import { child, childrenNamed, textAt, type XNode } from '../../transports/netconf/xml.js';
import type { IoOptions } from '../../util/abort.js';
import type { ChangeOp, NetconfDialect } from './netconf-driver.js';
import {
  ocInstanceFilter, ocL2Stretch, ocL2StretchFilter, ocL2StretchPlan, ocL3Vpn, ocL3VpnFilter, ocL3VpnPlan,
} from './dci-openconfig.js';
import { IETF_PLATFORM_QUERY, OC_SYSTEM_QUERY } from './netconf-version.js';
import type { ConfigChange } from './transaction.js';
import {
  parsePrefix,
  type HostRoute,
  type MacEntry,
  type NeighborEntry,
  type RouteEntry,
  type Segment,
} from './types.js';

export const NS_OC_NI = 'http://openconfig.net/yang/network-instance';
export const NS_OC_POL_TYPES = 'http://openconfig.net/yang/policy-types';
export const NS_OC_IF = 'http://openconfig.net/yang/interfaces';
export const NS_OC_ETH = 'http://openconfig.net/yang/interfaces/ethernet';
export const NS_OC_VLAN = 'http://openconfig.net/yang/vlan';
export const NS_OC_IP = 'http://openconfig.net/yang/interfaces/ip';

/** Network instance and static protocol instance names vmmi uses. */
export const OC_INSTANCE = 'default';
export const OC_STATIC_NAME = 'DEFAULT';

function staticIdentifier(): XElement {
  return el('identifier', { 'xmlns:oc-pol-types': NS_OC_POL_TYPES }, 'oc-pol-types:STATIC');
}

function staticProtocol(...statics: XElement[]): XElement {
  return el('network-instances', { xmlns: NS_OC_NI },
    e('network-instance',
      e('name', OC_INSTANCE),
      e('protocols',
        e('protocol',
          staticIdentifier(),
          e('name', OC_STATIC_NAME),
          e('config', staticIdentifier(), e('name', OC_STATIC_NAME)),
          e('static-routes', ...statics)))));
}

export function ocHostRoute(r: HostRoute, op: ChangeOp): ConfigChange {
  parsePrefix(r.prefix);
  if (op === 'add' && r.nextHop === undefined && r.device === undefined) {
    throw new TypeError(`host route ${r.prefix} needs a nextHop or a device`);
  }
  const entry = op === 'remove'
    ? el('static', nodeOperation('remove'), e('prefix', r.prefix))
    : e('static',
      e('prefix', r.prefix),
      e('config', e('prefix', r.prefix), r.description !== undefined && e('description', r.description)),
      e('next-hops',
        e('next-hop',
          e('index', '0'),
          e('config', e('index', '0'), r.nextHop !== undefined && e('next-hop', r.nextHop)),
          r.device !== undefined && e('interface-ref', e('config', e('interface', r.device))))));
  return { description: `${op} host route ${r.prefix}`, config: staticProtocol(entry) };
}

/** Access port in a VLAN (openconfig-vlan switched-vlan). */
export function ocSegment(s: Segment, op: ChangeOp): ConfigChange {
  if (op === 'add' && s.vlan === undefined) throw new TypeError(`segment on ${s.port} needs a vlan for OpenConfig`);
  const sv = op === 'remove'
    ? el('switched-vlan', { xmlns: NS_OC_VLAN, ...nodeOperation('remove') })
    : el('switched-vlan', { xmlns: NS_OC_VLAN },
      e('config', e('interface-mode', 'ACCESS'), e('access-vlan', String(s.vlan))));
  return {
    description: `${op === 'add' ? 'attach' : 'detach'} segment on ${s.port}`,
    config: el('interfaces', { xmlns: NS_OC_IF },
      e('interface', e('name', s.port), el('ethernet', { xmlns: NS_OC_ETH }, sv))),
  };
}

export function parseOcRoutes(data: XNode | undefined): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (const ni of childrenNamed(child(data, 'network-instances'), 'network-instance')) {
    for (const p of childrenNamed(child(ni, 'protocols'), 'protocol')) {
      for (const s of childrenNamed(child(p, 'static-routes'), 'static')) {
        const hops = childrenNamed(child(s, 'next-hops'), 'next-hop');
        const addrs = hops.map((h) => textAt(h, 'state', 'next-hop') ?? textAt(h, 'config', 'next-hop')).filter(isStr);
        const dev = hops
          .map(
            (h) =>
              textAt(h, 'interface-ref', 'state', 'interface') ?? textAt(h, 'interface-ref', 'config', 'interface'),
          )
          .find(isStr);
        out.push({
          prefix: textAt(s, 'prefix') ?? '',
          nextHops: addrs,
          protocol: 'static',
          active: child(s, 'state') !== undefined,
          ...(dev !== undefined ? { device: dev } : {}),
        });
      }
    }
  }
  return out;
}

function isStr(x: string | undefined): x is string {
  return x !== undefined && x !== '';
}

export function parseOcNeighbors(data: XNode | undefined): NeighborEntry[] {
  const out: NeighborEntry[] = [];
  for (const i of childrenNamed(child(data, 'interfaces'), 'interface')) {
    for (const si of childrenNamed(child(i, 'subinterfaces'), 'subinterface')) {
      for (const fam of ['ipv4', 'ipv6']) {
        for (const n of childrenNamed(child(child(si, fam), 'neighbors'), 'neighbor')) {
          const st = textAt(n, 'state', 'neighbor-state') ?? textAt(n, 'state', 'origin');
          out.push({ ip: textAt(n, 'state', 'ip') ?? textAt(n, 'ip') ?? '',
            mac: (textAt(n, 'state', 'link-layer-address') ?? '').toLowerCase(), device: textAt(i, 'name') ?? '',
            ...(st !== undefined ? { state: st } : {}) });
        }
      }
    }
  }
  return out;
}

export function parseOcMacTable(data: XNode | undefined): MacEntry[] {
  const out: MacEntry[] = [];
  for (const ni of childrenNamed(child(data, 'network-instances'), 'network-instance')) {
    for (const en of childrenNamed(child(child(child(ni, 'fdb'), 'mac-table'), 'entries'), 'entry')) {
      const vlan = textAt(en, 'state', 'vlan') ?? textAt(en, 'vlan');
      const type = textAt(en, 'state', 'entry-type');
      out.push({ mac: (textAt(en, 'state', 'mac-address') ?? textAt(en, 'mac-address') ?? '').toLowerCase(),
        port: textAt(en, 'interface', 'interface-ref', 'state', 'interface') ?? '',
        ...(vlan !== undefined && /^\d+$/.test(vlan) ? { vlan: Number(vlan) } : {}),
        ...(type !== undefined ? { type: type.toLowerCase() } : {}) });
    }
  }
  return out;
}

const niFilter = (...inner: XElement[]): XElement =>
  el('network-instances', { xmlns: NS_OC_NI }, e('network-instance', e('name', OC_INSTANCE), ...inner));

export const ocFilters = {
  routes: niFilter(e('protocols', e('protocol', e('static-routes')))),
  neighbors: el('interfaces', { xmlns: NS_OC_IF }),
  macTable: niFilter(e('fdb', e('mac-table'))),
};

export const openconfigNetconf: NetconfDialect = {
  kind: 'openconfig-netconf',
  configFilter: {
    type: 'subtree',
    content: [el('interfaces', { xmlns: NS_OC_IF }), el('network-instances', { xmlns: NS_OC_NI })],
  },
  hostRoute: ocHostRoute,
  segment: ocSegment,
  l2Stretch: { build: (s, op) => ocL2Stretch(s, op), filter: ocL2StretchFilter, plan: ocL2StretchPlan },
  l3Vpn: {
    build: (v, op) => ocL3Vpn(v, op), filter: ocL3VpnFilter,
    plan: (v, op, data, device) => ocL3VpnPlan(v, op, data, device),
  },
  instanceFilter: ocInstanceFilter,
  readRoutes: async (c: NetconfClient, o: IoOptions) =>
    parseOcRoutes((await c.get({ type: 'subtree', content: ocFilters.routes }, o)).data),
  readNeighbors: async (c, o) =>
    parseOcNeighbors((await c.get({ type: 'subtree', content: ocFilters.neighbors }, o)).data),
  readMacTable: async (c, o) =>
    parseOcMacTable((await c.get({ type: 'subtree', content: ocFilters.macTable }, o)).data),
  // openconfig-system's software-version first; many OC devices serve ietf-system's platform too.
  versionQueries: [OC_SYSTEM_QUERY, IETF_PLATFORM_QUERY],
};
