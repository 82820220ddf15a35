/**
 * DCI intents in OpenConfig (openconfig-network-instance with openconfig-evpn, pinned revision
 * test/yang/openconfig): an L2 stretch is an L2VSI network instance with one VLAN-based EVPN
 * instance (RD, route targets, VNI) whose VXLAN overlay points at vmmi's VTEP, a connection point
 * `vmmi-vtep` of the default instance holding the source interface and the local VNI → VLAN map;
 * an L3VPN is an L3VRF instance with RD, interfaces and inter-instance import/export route targets.
 * Pure builders; NOT YET EXERCISED AGAINST HARDWARE.
 */
import type { NetconfClient } from '../../transports/netconf/client.js';
import { nodeOperation, type Filter } from '../../transports/netconf/operations.js';
import { e, el, type XChild, type XElement } from '../../transports/netconf/xml-build.js';
import { child, childrenNamed, textAt } from '../../transports/netconf/xml.js';
import type { IoOptions } from '../../util/abort.js';
import { checkL2Stretch, checkL3Vpn, l2StretchName, rtValue, splitInterface } from './dci-intent.js';
import type { ChangeOp, L2StretchContext } from './netconf-driver.js';
import type { ConfigChange } from './transaction.js';
import type { L2Stretch, L3Vpn } from './types.js';

const NS_OC_NI = 'http://openconfig.net/yang/network-instance';
const NS_OC_NI_TYPES = 'http://openconfig.net/yang/network-instance-types';
const NS_OC_EVPN_TYPES = 'http://openconfig.net/yang/evpn-types';

/** The default instance's name (as openconfig-netconf's host routes use it) and vmmi's VTEP. */
const DEFAULT_NI = 'default';
export const OC_VTEP = 'vmmi-vtep';

const niType = (t: 'L2VSI' | 'L3VRF'): XElement =>
  el('type', { 'xmlns:oc-ni-types': NS_OC_NI_TYPES }, `oc-ni-types:${t}`);
const vxlanEncap = (): XElement =>
  el('encapsulation-type', { 'xmlns:oc-ni-types': NS_OC_NI_TYPES }, 'oc-ni-types:VXLAN');
const remove = nodeOperation('remove');

function instances(...children: XChild[]): XElement {
  return el('network-instances', { xmlns: NS_OC_NI }, ...children);
}

/** Route targets in OpenConfig's tagged form (`route-target:ASN:nn`). */
function importExport(imp: readonly string[], exp: readonly string[]): XElement {
  return e('import-export-policy', e('config',
    ...exp.map((rt) => e('export-route-target', `route-target:${rtValue(rt)}`)),
    ...imp.map((rt) => e('import-route-target', `route-target:${rtValue(rt)}`))));
}

/** vmmi's VTEP in the default instance, with (add) or without (remove) this stretch's VNI. */
function vtep(s: L2Stretch, op: ChangeOp, ctx: L2StretchContext | undefined): XElement {
  const vni = String(s.vni);
  const others = ctx?.vnis.filter((v) => v !== s.vni);
  // The last VNI takes the connection point with it; without a context only the VNI entry goes.
  const last = op === 'remove' && others !== undefined && others.length === 0;
  const cpId = e('connection-point-id', OC_VTEP);
  const point = last
    ? el('connection-point', remove, cpId)
    : e('connection-point', cpId,
      op === 'add' && e('config', e('connection-point-id', OC_VTEP)),
      e('endpoints', e('endpoint', e('endpoint-id', OC_VTEP),
        op === 'add' && e('config', e('endpoint-id', OC_VTEP)),
        e('vxlan',
          op === 'add' && e('config', e('source-interface', s.vtepInterface), e('enabled', 'true')),
          e('local-endpoint-vnis', op === 'remove'
            ? el('local-endpoint-vni', remove, e('vni', vni))
            : e('local-endpoint-vni', e('vni', vni),
              e('config', e('vni', vni), e('vni-type', 'L2'), e('bridge-domain', String(s.vlan)))))))));
  return e('network-instance', e('name', DEFAULT_NI), e('connection-points', point));
}

export function ocL2Stretch(s: L2Stretch, op: ChangeOp, ctx?: L2StretchContext): ConfigChange {
  checkL2Stretch(s);
  const name = l2StretchName(s);
  const vni = String(s.vni);
  const macVrf = op === 'remove'
    ? el('network-instance', remove, e('name', name))
    : e('network-instance', e('name', name),
      e('config', e('name', name), niType('L2VSI'), e('route-distinguisher', s.routeDistinguisher)),
      e('encapsulation', e('config', vxlanEncap())),
      e('vlans', e('vlan', e('vlan-id', String(s.vlan)), e('config', e('vlan-id', String(s.vlan)), e('name', name)))),
      e('evpn', e('evpn-instances', e('evpn-instance', e('evi', vni),
        e('config', e('evi', vni), vxlanEncap(),
          el('service-type', { 'xmlns:oc-evpn-types': NS_OC_EVPN_TYPES }, 'oc-evpn-types:VLAN_BASED'),
          e('route-distinguisher', s.routeDistinguisher)),
        importExport(s.importTargets, s.exportTargets),
        e('vxlan', e('config', e('vni', vni), e('overlay-endpoint-network-instance', DEFAULT_NI),
          e('overlay-endpoint', OC_VTEP)))))));
  return { description: `${op} L2 stretch VNI ${s.vni} (VLAN ${s.vlan})`, config: instances(vtep(s, op, ctx), macVrf) };
}

/** The L3VRF instance; `routeTargets: false` leaves the inter-instance policy out (EOS: CLI). */
export function ocL3Vpn(v: L3Vpn, op: ChangeOp, routeTargets = true): ConfigChange {
  checkL3Vpn(v);
  const ifaces = v.interfaces.map((ref) => {
    const { name, unit } = splitInterface(ref);
    const id = `${name}.${unit}`;
    return e('interface', e('id', id),
      e('config', e('id', id), e('interface', name), e('subinterface', String(unit))));
  });
  const vrf = op === 'remove'
    ? el('network-instance', remove, e('name', v.name))
    : e('network-instance', e('name', v.name),
      e('config', e('name', v.name), niType('L3VRF'), e('route-distinguisher', v.routeDistinguisher)),
      ifaces.length > 0 && e('interfaces', ...ifaces),
      routeTargets && e('inter-instance-policies', importExport(v.importTargets, v.exportTargets)));
  return { description: `${op} L3VPN ${v.name}`, config: instances(vrf) };
}

/** One network instance by name (verify that an apply/remove took). */
export function ocInstanceFilter(name: string): Filter {
  return { type: 'subtree', content: instances(e('network-instance', e('name', name), e('config', e('name')))) };
}

/** The VNIs on vmmi's VTEP in running (the last one's removal takes the VTEP away). */
export async function ocConfiguredL2Stretches(c: NetconfClient, o: IoOptions): Promise<L2StretchContext> {
  const filter = instances(e('network-instance', e('name', DEFAULT_NI), e('connection-points',
    e('connection-point', e('connection-point-id', OC_VTEP)))));
  const data = (await c.getConfig('running', { type: 'subtree', content: filter }, o)).data;
  const vnis: number[] = [];
  for (const ni of childrenNamed(child(data, 'network-instances'), 'network-instance')) {
    for (const cp of childrenNamed(child(ni, 'connection-points'), 'connection-point')) {
      if (textAt(cp, 'connection-point-id') !== OC_VTEP) continue;
      for (const ep of childrenNamed(child(cp, 'endpoints'), 'endpoint')) {
        for (const v of childrenNamed(child(child(ep, 'vxlan'), 'local-endpoint-vnis'), 'local-endpoint-vni')) {
          const n = Number(textAt(v, 'vni'));
          if (Number.isInteger(n)) vnis.push(n);
        }
      }
    }
  }
  return { vnis };
}
