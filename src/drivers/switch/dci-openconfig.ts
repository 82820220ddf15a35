/**
 * DCI intents in OpenConfig (openconfig-network-instance with openconfig-evpn, pinned revision
 * test/yang/openconfig): an L2 stretch is an L2VSI network instance with one VLAN-based EVPN
 * instance (RD, route targets, VNI) whose VXLAN overlay points at vmmi's VTEP, a connection point
 * `vmmi-vtep` of the default instance holding the source interface and the local VNI → VLAN map;
 * an L3VPN is an L3VRF instance with RD, interfaces and inter-instance import/export route targets.
 * Pure builders; NOT YET EXERCISED AGAINST HARDWARE.
 */
import { nodeOperation, type Filter } from '../../transports/netconf/operations.js';
import { e, el, type XChild, type XElement } from '../../transports/netconf/xml-build.js';
import { child, childrenNamed, textAt, type XNode } from '../../transports/netconf/xml.js';
import {
  checkL2Stretch, checkL3Vpn, dciMarker, dciRefusal, l2StretchName, rtValue, splitInterface,
} from './dci-intent.js';
import type { ChangeOp } from './netconf-driver.js';
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

/**
 * What an L2 stretch change touches besides its own instance, decided from running by ocL2StretchPlan.
 * Without it: add creates the VTEP too; remove takes the instance and this VNI's entry, never the VTEP.
 */
export interface OcL2Scope {
  /** add: create the `vmmi-vtep` connection point (absent); remove: take it away (nothing else uses it). */
  readonly vtep: boolean;
  /** remove: this VNI's entry on `vmmi-vtep` (present). */
  readonly vni: boolean;
  /** remove: the L2VSI instance (present, with vmmi's description). */
  readonly instance: boolean;
}

/** vmmi's VTEP in the default instance: created with (add) or without (remove) this stretch's VNI. */
function vtep(s: L2Stretch, op: ChangeOp, scope: OcL2Scope): XElement | undefined {
  const vni = String(s.vni);
  const cpId = e('connection-point-id', OC_VTEP);
  const create = op === 'add' && scope.vtep;
  let point: XElement;
  if (op === 'remove' && scope.vtep) point = el('connection-point', remove, cpId);
  else if (op === 'remove' && !scope.vni) return undefined;
  else {
    point = e('connection-point', cpId,
      create && e('config', e('connection-point-id', OC_VTEP)),
      e('endpoints', e('endpoint', e('endpoint-id', OC_VTEP),
        create && e('config', e('endpoint-id', OC_VTEP)),
        e('vxlan',
          create && e('config', e('source-interface', s.vtepInterface), e('enabled', 'true')),
          e('local-endpoint-vnis', op === 'remove'
            ? el('local-endpoint-vni', remove, e('vni', vni))
            : e('local-endpoint-vni', e('vni', vni),
              e('config', e('vni', vni), e('vni-type', 'L2'), e('bridge-domain', String(s.vlan)))))))));
  }
  return e('network-instance', e('name', DEFAULT_NI), e('connection-points', point));
}

export function ocL2Stretch(s: L2Stretch, op: ChangeOp, scope?: OcL2Scope): ConfigChange {
  checkL2Stretch(s);
  const sc = scope ?? { vtep: op === 'add', vni: true, instance: true };
  const name = l2StretchName(s);
  const vni = String(s.vni);
  const macVrf = op === 'remove'
    ? sc.instance && el('network-instance', remove, e('name', name))
    : e('network-instance', e('name', name),
      e('config', e('name', name), niType('L2VSI'), e('description', dciMarker(s)),
        e('route-distinguisher', s.routeDistinguisher)),
      e('encapsulation', e('config', vxlanEncap())),
      e('vlans', e('vlan', e('vlan-id', String(s.vlan)), e('config', e('vlan-id', String(s.vlan)), e('name', name)))),
      e('evpn', e('evpn-instances', e('evpn-instance', e('evi', vni),
        e('config', e('evi', vni), vxlanEncap(),
          el('service-type', { 'xmlns:oc-evpn-types': NS_OC_EVPN_TYPES }, 'oc-evpn-types:VLAN_BASED'),
          e('route-distinguisher', s.routeDistinguisher)),
        importExport(s.importTargets, s.exportTargets),
        e('vxlan', e('config', e('vni', vni), e('overlay-endpoint-network-instance', DEFAULT_NI),
          e('overlay-endpoint', OC_VTEP)))))));
  return { description: `${op} L2 stretch VNI ${s.vni} (VLAN ${s.vlan})`, config: instances(vtep(s, op, sc), macVrf) };
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
      e('config', e('name', v.name), niType('L3VRF'), e('description', dciMarker(v)),
        e('route-distinguisher', v.routeDistinguisher)),
      ifaces.length > 0 && e('interfaces', ...ifaces),
      routeTargets && e('inter-instance-policies', importExport(v.importTargets, v.exportTargets)));
  return { description: `${op} L3VPN ${v.name}`, config: instances(vrf) };
}

/** One network instance by name (verify that an apply/remove took). */
export function ocInstanceFilter(name: string): Filter {
  return { type: 'subtree', content: instances(e('network-instance', e('name', name), e('config', e('name')))) };
}

/** Every instance's name, config, connection points and EVPN (what an L2 stretch decision needs). */
export function ocL2StretchFilter(): Filter {
  return { type: 'subtree', content: instances(e('network-instance', e('name'), e('config'), e('connection-points'),
    e('evpn'))) };
}

/** One instance's config (an L3VPN's decision). */
export function ocL3VpnFilter(v: L3Vpn): Filter {
  return { type: 'subtree', content: instances(e('network-instance', e('name', v.name), e('config'))) };
}

/** What running holds that an L2 stretch or L3VPN decision looks at. */
export interface OcDciView {
  /** Instance name → its type identity (prefix stripped) and description. */
  readonly instances: ReadonlyMap<string, { readonly type?: string; readonly description?: string }>;
  /** VNI → where it is mapped. */
  readonly vnis: ReadonlyMap<number, string>;
  /** VLAN (bridge domain) → the VNI mapping that uses it. */
  readonly vlans: ReadonlyMap<number, string>;
  /** vmmi's VTEP, when configured. */
  readonly vtep?: { readonly sourceInterface?: string; readonly vnis: readonly number[] };
  /** Instances whose EVPN overlay endpoint is vmmi's VTEP. */
  readonly vtepUsers: readonly string[];
}

/** `<data>` of a get-config reply → the instances, VNI and VLAN mappings and vmmi's VTEP. Pure. */
export function parseOcDci(data: XNode | undefined): OcDciView {
  const instancesFound = new Map<string, { type?: string; description?: string }>();
  const vnis = new Map<number, string>();
  const vlans = new Map<number, string>();
  const vtepUsers: string[] = [];
  let vtepView: { sourceInterface?: string; vnis: number[] } | undefined;
  const int = (t: string | undefined): number | undefined => (t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined);
  for (const ni of childrenNamed(child(data, 'network-instances'), 'network-instance')) {
    const name = textAt(ni, 'name') ?? '';
    const type = textAt(ni, 'config', 'type')?.replace(/^.*:/, '');
    const description = textAt(ni, 'config', 'description');
    instancesFound.set(name, { ...(type !== undefined ? { type } : {}),
      ...(description !== undefined ? { description } : {}) });
    for (const cp of childrenNamed(child(ni, 'connection-points'), 'connection-point')) {
      const id = textAt(cp, 'connection-point-id') ?? '';
      const mine = name === DEFAULT_NI && id === OC_VTEP;
      const here: number[] = [];
      let source: string | undefined;
      for (const ep of childrenNamed(child(cp, 'endpoints'), 'endpoint')) {
        const vx = child(ep, 'vxlan');
        source ??= textAt(vx, 'config', 'source-interface');
        for (const v of childrenNamed(child(vx, 'local-endpoint-vnis'), 'local-endpoint-vni')) {
          const n = int(textAt(v, 'vni'));
          if (n === undefined) continue;
          here.push(n);
          const bd = int(textAt(v, 'config', 'bridge-domain'));
          vnis.set(n, `mapped on connection point ${id} of instance ${name}`
            + (bd !== undefined ? ` (bridge domain ${bd})` : ''));
          if (bd !== undefined) vlans.set(bd, `mapped to VNI ${n} on connection point ${id} of instance ${name}`);
        }
      }
      if (mine) vtepView = { ...(source !== undefined ? { sourceInterface: source } : {}), vnis: here };
    }
    for (const evi of childrenNamed(child(child(ni, 'evpn'), 'evpn-instances'), 'evpn-instance')) {
      const cfg = child(child(evi, 'vxlan'), 'config');
      const n = int(textAt(cfg, 'vni'));
      if (n !== undefined && !vnis.has(n)) vnis.set(n, `the VNI of EVPN instance ${textAt(evi, 'evi') ?? ''} of ${name}`);
      if (textAt(cfg, 'overlay-endpoint') === OC_VTEP
        && (textAt(cfg, 'overlay-endpoint-network-instance') ?? DEFAULT_NI) === DEFAULT_NI) vtepUsers.push(name);
    }
  }
  return { instances: instancesFound, vnis, vlans, ...(vtepView !== undefined ? { vtep: vtepView } : {}), vtepUsers };
}

function describe(name: string, i: { type?: string; description?: string }): string {
  return `network instance ${name} exists (type ${i.type ?? 'unknown'}`
    + `${i.description !== undefined ? `, description "${i.description}"` : ''})`;
}

/**
 * The L2 stretch's edits given running (`data` of the filtered get-config). Apply refuses when the
 * instance exists, the VNI or the VLAN is mapped already, or vmmi's VTEP has another source interface;
 * remove takes the instance only with vmmi's description, this VNI's VTEP entry only then, and the VTEP
 * when no VNI and no other instance is left on it. Pure; throws PrecheckError when it refuses.
 */
export function ocL2StretchPlan(s: L2Stretch, op: ChangeOp, data: XNode | undefined, device: string): ConfigChange[] {
  checkL2Stretch(s, device);
  const view = parseOcDci(data);
  const name = l2StretchName(s);
  const have = view.instances.get(name);
  if (op === 'add') {
    const refuse = (found: string): never => { throw dciRefusal('l2Stretch', 'apply', device, name, found); };
    if (have !== undefined) refuse(describe(name, have));
    const vniUse = view.vnis.get(s.vni);
    if (vniUse !== undefined) refuse(`VNI ${s.vni} is ${vniUse}`);
    const vlanUse = view.vlans.get(s.vlan);
    if (vlanUse !== undefined) refuse(`VLAN ${s.vlan} is ${vlanUse}`);
    const src = view.vtep?.sourceInterface;
    if (src !== undefined && src !== s.vtepInterface) {
      refuse(`connection point ${OC_VTEP} has source interface ${src}, not ${s.vtepInterface}`);
    }
    return [ocL2Stretch(s, 'add', { vtep: view.vtep === undefined, vni: true, instance: true })];
  }
  const ours = have !== undefined && have.description === dciMarker(s);
  if (have !== undefined && !ours) {
    throw dciRefusal('l2Stretch', 'remove', device, name, `${describe(name, have)} without vmmi's description`);
  }
  const vni = ours && (view.vtep?.vnis.includes(s.vni) ?? false);
  const left = (view.vtep?.vnis ?? []).filter((n) => !(vni && n === s.vni));
  const users = view.vtepUsers.filter((u) => !(ours && u === name));
  const vtepGoes = view.vtep !== undefined && left.length === 0 && users.length === 0;
  if (!ours && !vtepGoes) return [];
  return [ocL2Stretch(s, 'remove', { vtep: vtepGoes, vni: vni && !vtepGoes, instance: ours })];
}

/** The L3VPN's edits given running: apply refuses an existing instance, remove takes only vmmi's. Pure. */
export function ocL3VpnPlan(v: L3Vpn, op: ChangeOp, data: XNode | undefined, device: string, routeTargets = true):
  ConfigChange[] {
  checkL3Vpn(v, device);
  const have = parseOcDci(data).instances.get(v.name);
  if (op === 'add') {
    if (have !== undefined) throw dciRefusal('l3Vpn', 'apply', device, v.name, describe(v.name, have));
    return [ocL3Vpn(v, 'add', routeTargets)];
  }
  if (have === undefined) return [];
  if (have.description !== dciMarker(v)) {
    throw dciRefusal('l3Vpn', 'remove', device, v.name, `${describe(v.name, have)} without vmmi's description`);
  }
  return [ocL3Vpn(v, 'remove', routeTargets)];
}
