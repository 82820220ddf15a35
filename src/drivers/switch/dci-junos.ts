/**
 * DCI intents in Junos configuration XML (junos-qfx `routing-instances`, pinned in test/yang/juniper):
 * an L2 stretch is a `mac-vrf` instance (EVPN with VXLAN encapsulation, VLAN-based service, its own
 * VTEP source interface, RD, vrf-target, one VLAN mapped to the VNI); an L3VPN is a `vrf` instance
 * with its interfaces, RD and vrf-target. Each intent owns exactly one routing instance, so removal
 * deletes that instance and nothing else. Pure builders; NOT YET EXERCISED AGAINST HARDWARE.
 */
import { nodeOperation, type Filter } from '../../transports/netconf/operations.js';
import { e, el, type XElement } from '../../transports/netconf/xml-build.js';
import { checkL2Stretch, checkL3Vpn, l2StretchName, platformLimit, splitInterface } from './dci-intent.js';
import type { ChangeOp } from './netconf-driver.js';
import type { ConfigChange } from './transaction.js';
import type { L2Stretch, L3Vpn } from './types.js';

const NS_CONF = 'http://yang.juniper.net/junos-qfx/conf';
/** junos-qfx-conf-vlans / routing-instances: `vxlan vni` is 0..16777214 (16777215 is reserved). */
const JUNOS_VNI_MAX = 16777214;

function routingInstances(instance: XElement): XElement {
  return el('configuration', { xmlns: `${NS_CONF}/root` },
    el('routing-instances', { xmlns: `${NS_CONF}/routing-instances` }, instance));
}

/** `vrf-target import/export` take one community each (more need vrf-import/vrf-export policies). */
function vrfTarget(what: 'l2Stretch' | 'l3Vpn', imp: readonly string[], exp: readonly string[]): XElement {
  for (const [field, rts] of [['importTargets', imp], ['exportTargets', exp]] as const) {
    if (rts.length !== 1) {
      platformLimit(what, field, rts, 'exactly one route target on Junos (vrf-target import/export)');
    }
  }
  return e('vrf-target', e('import', imp[0]), e('export', exp[0]));
}

function deleted(name: string): XElement {
  return el('instance', nodeOperation('delete'), e('name', name));
}

export function junosL2Stretch(s: L2Stretch, op: ChangeOp): ConfigChange {
  checkL2Stretch(s);
  if (s.vni > JUNOS_VNI_MAX) platformLimit('l2Stretch', 'vni', s.vni, `an integer 1..${JUNOS_VNI_MAX} on Junos`);
  const name = l2StretchName(s);
  const vni = String(s.vni);
  const instance = op === 'remove'
    ? deleted(name)
    : e('instance', e('name', name),
      e('instance-type', 'mac-vrf'),
      e('protocols', e('evpn', e('encapsulation', 'vxlan'), e('extended-vni-list', vni))),
      e('vtep-source-interface', e('interface-name', s.vtepInterface)),
      e('service-type', 'vlan-based'),
      e('route-distinguisher', e('rd-type', s.routeDistinguisher)),
      vrfTarget('l2Stretch', s.importTargets, s.exportTargets),
      e('vlans', e('vlan', e('name', `vmmi-${s.vlan}-${s.vni}`), e('vlan-id', String(s.vlan)),
        e('vxlan', e('vni', vni)))));
  return { description: `${op} L2 stretch VNI ${s.vni} (VLAN ${s.vlan})`, config: routingInstances(instance) };
}

export function junosL3Vpn(v: L3Vpn, op: ChangeOp): ConfigChange {
  checkL3Vpn(v);
  const instance = op === 'remove'
    ? deleted(v.name)
    : e('instance', e('name', v.name),
      e('instance-type', 'vrf'),
      ...v.interfaces.map((ref) => {
        const { name, unit } = splitInterface(ref);
        return e('interface', e('name', `${name}.${unit}`));
      }),
      e('route-distinguisher', e('rd-type', v.routeDistinguisher)),
      vrfTarget('l3Vpn', v.importTargets, v.exportTargets));
  return { description: `${op} L3VPN ${v.name}`, config: routingInstances(instance) };
}

/** One routing instance by name (verify that an apply/remove took). */
export function junosInstanceFilter(name: string): Filter {
  return { type: 'subtree', content: e('configuration', e('routing-instances', e('instance', e('name', name)))) };
}
