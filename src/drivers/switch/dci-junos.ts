/**
 * DCI intents in Junos configuration XML (junos-qfx `routing-instances`, pinned in test/yang/juniper):
 * an L2 stretch is a `mac-vrf` instance (EVPN with VXLAN encapsulation, VLAN-based service, its own
 * VTEP source interface, RD, vrf-target, one VLAN mapped to the VNI); an L3VPN is a `vrf` instance
 * with its interfaces, RD and vrf-target. Each intent owns exactly one routing instance, marked with
 * vmmi's description: apply refuses an instance name, VNI or VLAN that running already uses, and removal
 * deletes the instance only when running shows it as vmmi's. Pure builders and plans; NOT YET EXERCISED
 * AGAINST HARDWARE.
 */
import { nodeOperation, type Filter } from '../../transports/netconf/operations.js';
import { e, el, type XElement } from '../../transports/netconf/xml-build.js';
import { child, childrenNamed, textAt, type XNode } from '../../transports/netconf/xml.js';
import {
  checkL2Stretch, checkL3Vpn, dciMarker, dciRefusal, l2StretchName, platformLimit, splitInterface,
} from './dci-intent.js';
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
      e('description', dciMarker(s)),
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
      e('description', dciMarker(v)),
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

/** Every routing instance's name, type, description and VLANs, and the global VLANs (a DCI decision). */
export function junosDciFilter(): Filter {
  return { type: 'subtree', content: e('configuration',
    e('routing-instances', e('instance', e('name'), e('instance-type'), e('description'), e('vlans'))), e('vlans')) };
}

/** What running holds that a Junos DCI decision looks at. */
export interface JunosDciView {
  readonly instances: ReadonlyMap<string, { readonly type?: string; readonly description?: string }>;
  /** VNI → the VLAN that maps it. */
  readonly vnis: ReadonlyMap<number, string>;
  /** VLAN id → the VLAN (mapped to a VNI) that uses it. */
  readonly vlans: ReadonlyMap<number, string>;
}

/** `<data>` of a get-config reply → routing instances and VNI/VLAN mappings. Pure. */
export function parseJunosDci(data: XNode | undefined): JunosDciView {
  const conf = child(data, 'configuration');
  const instances = new Map<string, { type?: string; description?: string }>();
  const vnis = new Map<number, string>();
  const vlans = new Map<number, string>();
  const mapped = (list: XNode | undefined, where: string): void => {
    for (const v of childrenNamed(list, 'vlan')) {
      const vni = textAt(v, 'vxlan', 'vni');
      if (vni === undefined || !/^\d+$/.test(vni)) continue;
      const id = textAt(v, 'vlan-id');
      const what = `VLAN ${textAt(v, 'name') ?? ''}${id !== undefined ? ` (vlan-id ${id})` : ''} ${where}`;
      vnis.set(Number(vni), `mapped by ${what}`);
      if (id !== undefined && /^\d+$/.test(id)) vlans.set(Number(id), `mapped to VNI ${vni} by ${what}`);
    }
  };
  for (const ri of childrenNamed(child(conf, 'routing-instances'), 'instance')) {
    const name = textAt(ri, 'name') ?? '';
    const type = textAt(ri, 'instance-type');
    const description = textAt(ri, 'description');
    instances.set(name, { ...(type !== undefined ? { type } : {}),
      ...(description !== undefined ? { description } : {}) });
    mapped(child(ri, 'vlans'), `of routing instance ${name}`);
  }
  mapped(child(conf, 'vlans'), 'under vlans');
  return { instances, vnis, vlans };
}

function describe(name: string, i: { type?: string; description?: string }): string {
  return `routing instance ${name} exists (instance-type ${i.type ?? 'none'}`
    + `${i.description !== undefined ? `, description "${i.description}"` : ''})`;
}

/** Apply refuses an existing instance (and, for L2, a VNI or VLAN mapped already); remove takes vmmi's only. */
function plan(what: 'l2Stretch' | 'l3Vpn', name: string, marker: string, op: ChangeOp, view: JunosDciView,
  device: string, build: () => ConfigChange, conflicts: () => string | undefined): ConfigChange[] {
  const have = view.instances.get(name);
  if (op === 'add') {
    const found = have !== undefined ? describe(name, have) : conflicts();
    if (found !== undefined) throw dciRefusal(what, 'apply', device, name, found);
    return [build()];
  }
  if (have === undefined) return [];
  if (have.description !== marker) {
    throw dciRefusal(what, 'remove', device, name, `${describe(name, have)} without vmmi's description`);
  }
  return [build()];
}

/** The L2 stretch's edits given running (`data` of junosDciFilter's get-config). Pure. */
export function junosL2StretchPlan(s: L2Stretch, op: ChangeOp, data: XNode | undefined, device: string):
  ConfigChange[] {
  const view = parseJunosDci(data);
  return plan('l2Stretch', l2StretchName(s), dciMarker(s), op, view, device, () => junosL2Stretch(s, op), () => {
    const vni = view.vnis.get(s.vni);
    if (vni !== undefined) return `VNI ${s.vni} is ${vni}`;
    const vlan = view.vlans.get(s.vlan);
    return vlan === undefined ? undefined : `VLAN ${s.vlan} is ${vlan}`;
  });
}

/** The L3VPN's edits given running. Pure. */
export function junosL3VpnPlan(v: L3Vpn, op: ChangeOp, data: XNode | undefined, device: string): ConfigChange[] {
  return plan('l3Vpn', v.name, dciMarker(v), op, parseJunosDci(data), device, () => junosL3Vpn(v, op),
    () => undefined);
}
