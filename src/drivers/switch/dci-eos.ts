/**
 * DCI intents on Arista EOS. EOS 4.36.1F's OpenConfig marks the network instance's `evpn`,
 * `encapsulation`, the VXLAN connection-point config and `inter-instance-policies/import-export-policy`
 * not-supported (test/yang/arista), so: the L2 stretch is CLI only (`interface Vxlan1` VLAN → VNI and
 * `router bgp <AS> / vlan` RD and route targets), the L3VPN is the OpenConfig L3VRF instance (name,
 * RD, interfaces) plus its route targets on the CLI (`router bgp <AS> / vrf`). Every change is planned
 * from running (`show running-config` of Vxlan1 and `router bgp`, the L3VRF over NETCONF): apply refuses
 * what exists, removal takes only what vmmi created. Pure builders and plans; NOT YET EXERCISED AGAINST
 * HARDWARE.
 */
import { checkL2Stretch, checkL3Vpn, dciRefusal, platformLimit, rtValue } from './dci-intent.js';
import { ocL3Vpn, ocL3VpnFilter, ocL3VpnPlan } from './dci-openconfig.js';
import type { ChangeOp, DciIntent } from './netconf-driver.js';
import type { ConfigChange } from './transaction.js';
import type { L2Stretch, L3Vpn } from './types.js';

/** A read-back after the commit timer: `pattern` must (not) match the command's output. */
export interface EosCheck {
  readonly command: string;
  readonly pattern: RegExp;
}

function routerBgp(what: 'l2Stretch' | 'l3Vpn', localAs: number | undefined): string {
  if (localAs === undefined) {
    platformLimit(what, 'localAs', localAs, "the device's BGP AS (EOS keeps RD and route targets under router bgp)");
  }
  return `router bgp ${localAs}`;
}

function targets(family: 'evpn' | 'vpn-ipv4', imp: readonly string[], exp: readonly string[]): string[] {
  return [...imp.map((rt) => `route-target import ${family} ${rtValue(rt)}`),
    ...exp.map((rt) => `route-target export ${family} ${rtValue(rt)}`)];
}

/** The commands that read what an EOS DCI decision looks at (before the configuration session). */
export const EOS_VXLAN_CONFIG = 'show running-config interfaces Vxlan1';
export const EOS_BGP_CONFIG = 'show running-config section router bgp';

/** Vxlan1's description when vmmi created the interface / set its source interface on an empty one. */
export const EOS_VTEP_CREATED = 'vmmi-vtep';
export const EOS_VTEP_SOURCE = 'vmmi-vtep-source';

/**
 * What an L2 stretch change touches besides its `router bgp` VLAN, decided from running by
 * eosL2StretchPlan. `vxlan`: add `create` (no Vxlan1: create it, marked), `source` (Vxlan1 without
 * source interface or description: set both), `shared` (same source interface: the VNI line only);
 * remove `delete` (vmmi created Vxlan1 and nothing else is on it), `source` (take back the source
 * interface and the mark vmmi set), `keep`. Without a scope: add creates, remove keeps Vxlan1.
 */
export interface EosL2Scope {
  readonly vxlan: 'create' | 'source' | 'shared' | 'delete' | 'keep';
  /** remove: the `vxlan vlan … vni …` line (present). */
  readonly map: boolean;
}

/**
 * Commands for a configuration session (the last block ends one level below the session, whose
 * `exit` eosSessionCommands adds).
 */
export function eosL2StretchCommands(s: L2Stretch, op: ChangeOp, scope?: EosL2Scope): string[] {
  checkL2Stretch(s);
  const sc = scope ?? { vxlan: op === 'add' ? 'create' : 'keep', map: true };
  const bgp = routerBgp('l2Stretch', s.localAs);
  const map = `vxlan vlan ${s.vlan} vni ${s.vni}`;
  if (op === 'remove') {
    const vx = sc.vxlan === 'delete' ? ['no interface Vxlan1']
      : sc.vxlan === 'source' ? ['interface Vxlan1', `no ${map}`, 'no vxlan source-interface', 'no description', 'exit']
        : sc.map ? ['interface Vxlan1', `no ${map}`, 'exit'] : [];
    return [...vx, bgp, `no vlan ${s.vlan}`];
  }
  const mark = sc.vxlan === 'create' ? EOS_VTEP_CREATED : sc.vxlan === 'source' ? EOS_VTEP_SOURCE : undefined;
  return ['interface Vxlan1',
    ...(mark !== undefined ? [`description ${mark}`, `vxlan source-interface ${s.vtepInterface}`] : []), map, 'exit',
    bgp, `vlan ${s.vlan}`, `rd ${s.routeDistinguisher}`, ...targets('evpn', s.importTargets, s.exportTargets),
    'redistribute learned', 'exit'];
}

/** `1,3-5` → [1, 3, 4, 5] (EOS VLAN/VNI lists); undefined when malformed. */
function numberList(t: string): number[] | undefined {
  const out: number[] = [];
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) return undefined;
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (b < a || b - a > 4094) return undefined;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

/** Config blocks of `show running-config` output: each top-level line with its indented lines. */
function blocks(out: string): Array<{ head: string; lines: string[] }> {
  const res: Array<{ head: string; lines: string[] }> = [];
  for (const raw of out.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (line === '' || /^\s*!/.test(line)) continue;
    if (!/^\s/.test(line)) res.push({ head: line, lines: [] });
    else res.at(-1)?.lines.push(line);
  }
  return res;
}

/** What `interface Vxlan1` and `router bgp` hold that an EOS DCI decision looks at. */
export interface EosDciView {
  /** Vxlan1's lines (trimmed), undefined when there is no Vxlan1. */
  readonly vxlan?: readonly string[];
  readonly description?: string;
  readonly sourceInterface?: string;
  /** VNI → where it is mapped; VLAN → the VNI it is mapped to. */
  readonly vnis: ReadonlyMap<number, string>;
  readonly vlans: ReadonlyMap<number, string>;
  /** `router bgp` sub-blocks: `vlan 100`, `vrf red`, `vlan-aware-bundle x` → their lines (trimmed). */
  readonly bgp: ReadonlyMap<string, readonly string[]>;
}

/** Outputs of EOS_VXLAN_CONFIG and EOS_BGP_CONFIG → the view. Pure. */
export function parseEosDci(vxlanOut: string, bgpOut: string): EosDciView {
  const vnis = new Map<number, string>();
  const vlans = new Map<number, string>();
  const vx = blocks(vxlanOut).find((b) => /^interface Vxlan1$/i.test(b.head));
  const lines = vx?.lines.map((l) => l.trim());
  let description: string | undefined;
  let sourceInterface: string | undefined;
  for (const l of lines ?? []) {
    description ??= /^description (.+)$/.exec(l)?.[1];
    sourceInterface ??= /^vxlan source-interface (\S+)$/.exec(l)?.[1];
    const m = /^vxlan vlan (?:add )?(\S+) vni (\S+)$/.exec(l);
    if (m !== null) {
      const [vl, vn] = [numberList(m[1] as string), numberList(m[2] as string)];
      for (const [i, vni] of (vn ?? []).entries()) {
        const vlan = vl?.[i];
        vnis.set(vni, `mapped to VLAN ${vlan ?? '?'} on Vxlan1 ("${l}")`);
        if (vlan !== undefined) vlans.set(vlan, `mapped to VNI ${vni} on Vxlan1 ("${l}")`);
      }
    }
    const r = /^vxlan vrf (\S+) vni (\d+)$/.exec(l);
    if (r !== null) vnis.set(Number(r[2]), `mapped to VRF ${r[1]} on Vxlan1 ("${l}")`);
  }
  const bgp = new Map<string, string[]>();
  for (const b of blocks(bgpOut).filter((x) => /^router bgp /.test(x.head))) {
    const base = Math.min(...b.lines.map((l) => /^\s*/.exec(l)?.[0].length ?? 0));
    let cur: string[] | undefined;
    for (const l of b.lines) {
      const depth = (/^\s*/.exec(l)?.[0].length ?? 0) - base;
      if (depth === 0) {
        cur = /^(vlan|vrf|vlan-aware-bundle) \S+$/.test(l.trim()) ? [] : undefined;
        if (cur !== undefined) bgp.set(l.trim(), cur);
      } else cur?.push(l.trim());
    }
  }
  for (const [head, body] of bgp) {
    if (!head.startsWith('vlan-aware-bundle ')) continue;
    for (const l of body) {
      const m = /^vlan (?:add )?(\S+)$/.exec(l);
      for (const v of m === null ? [] : numberList(m[1] as string) ?? []) vlans.set(v, `in router bgp ${head}`);
    }
  }
  return { ...(lines !== undefined ? { vxlan: lines } : {}), ...(description !== undefined ? { description } : {}),
    ...(sourceInterface !== undefined ? { sourceInterface } : {}), vnis, vlans, bgp };
}

/**
 * The L2 stretch's session commands given running (empty: nothing of vmmi's to remove). Apply refuses
 * when `router bgp` has the VLAN, the VNI or the VLAN is mapped already, or Vxlan1 has another source
 * interface (or none and a description of its own, so vmmi could not mark what it sets). Remove takes
 * the `router bgp` VLAN only when its RD is the intent's (apply made it: apply refuses an existing one),
 * the VNI line with it, and Vxlan1's source interface or Vxlan1 itself only as vmmi's mark says and
 * when nothing else is on Vxlan1. Pure; throws PrecheckError when it refuses.
 */
export function eosL2StretchPlan(s: L2Stretch, op: ChangeOp, view: EosDciView, device: string): string[] {
  checkL2Stretch(s, device);
  const inst = `router bgp ${s.localAs ?? '?'} vlan ${s.vlan}`;
  const block = view.bgp.get(`vlan ${s.vlan}`);
  const map = `vxlan vlan ${s.vlan} vni ${s.vni}`;
  if (op === 'add') {
    const refuse = (found: string): never => { throw dciRefusal('l2Stretch', 'apply', device, inst, found); };
    if (block !== undefined) refuse(`router bgp has vlan ${s.vlan} (${block.join('; ') || 'empty'})`);
    const vni = view.vnis.get(s.vni);
    if (vni !== undefined) refuse(`VNI ${s.vni} is ${vni}`);
    const vlan = view.vlans.get(s.vlan);
    if (vlan !== undefined) refuse(`VLAN ${s.vlan} is ${vlan}`);
    const src = view.sourceInterface;
    if (src !== undefined && src !== s.vtepInterface) {
      refuse(`interface Vxlan1 has vxlan source-interface ${src}, not ${s.vtepInterface}`);
    }
    if (view.vxlan !== undefined && src === undefined && view.description !== undefined) {
      refuse(`interface Vxlan1 has no vxlan source-interface and its own description "${view.description}"`);
    }
    const vxlan = view.vxlan === undefined ? 'create' : src === undefined ? 'source' : 'shared';
    return eosL2StretchCommands(s, 'add', { vxlan, map: true });
  }
  if (block === undefined) return [];
  if (!block.includes(`rd ${s.routeDistinguisher}`)) {
    throw dciRefusal('l2Stretch', 'remove', device, inst,
      `router bgp has vlan ${s.vlan} without this stretch's rd ${s.routeDistinguisher} (${block.join('; ') || 'empty'})`);
  }
  const hasMap = view.vxlan?.includes(map) ?? false;
  const mark = view.description;
  const others = (view.vxlan ?? []).filter((l) => l !== map && l !== `description ${mark ?? ''}`
    && !l.startsWith('vxlan source-interface '));
  const vxlan = others.length > 0 || view.vxlan === undefined ? 'keep'
    : mark === EOS_VTEP_CREATED ? 'delete' : mark === EOS_VTEP_SOURCE ? 'source' : 'keep';
  return eosL2StretchCommands(s, 'remove', { vxlan, map: hasMap });
}

export function eosL2StretchChecks(s: L2Stretch): EosCheck[] {
  return [
    {
      command: 'show running-config interfaces Vxlan1',
      pattern: new RegExp(`^\\s*vxlan vlan ${s.vlan} vni ${s.vni}\\s*$`, 'm'),
    },
    { command: 'show running-config section router bgp', pattern: new RegExp(`^\\s+vlan ${s.vlan}\\s*$`, 'm') },
  ];
}

/** The OpenConfig part of an EOS L3VPN: the L3VRF instance without route targets. */
export function eosL3VpnOc(v: L3Vpn, op: ChangeOp): ConfigChange {
  return ocL3Vpn(v, op, false);
}

/** The OpenConfig part as a planned intent (refuses an existing instance, removes only vmmi's). */
export const eosL3VpnOcIntent: DciIntent<L3Vpn> = {
  build: eosL3VpnOc,
  filter: ocL3VpnFilter,
  plan: (v, op, data, device) => ocL3VpnPlan(v, op, data, device, false),
};

/** Route targets of the VRF under `router bgp` (VPN-IPv4). */
export function eosL3VpnCommands(v: L3Vpn, op: ChangeOp): string[] {
  checkL3Vpn(v);
  const bgp = routerBgp('l3Vpn', v.localAs);
  if (op === 'remove') return [bgp, `no vrf ${v.name}`];
  return [bgp, `vrf ${v.name}`, ...targets('vpn-ipv4', v.importTargets, v.exportTargets), 'exit'];
}

/**
 * The CLI part of an L3VPN given running: apply refuses a `router bgp` VRF of that name; remove takes
 * it only when the OpenConfig L3VRF is vmmi's (`oursOc`: it carries vmmi's description), the two
 * halves being one intent. Empty: nothing to do. Pure.
 */
export function eosL3VpnPlan(v: L3Vpn, op: ChangeOp, view: EosDciView, oursOc: boolean, device: string): string[] {
  checkL3Vpn(v, device);
  const block = view.bgp.get(`vrf ${v.name}`);
  if (op === 'add') {
    if (block !== undefined) {
      throw dciRefusal('l3Vpn', 'apply', device, v.name, `router bgp has vrf ${v.name} (${block.join('; ') || 'empty'})`);
    }
    return eosL3VpnCommands(v, 'add');
  }
  return block !== undefined && oursOc ? eosL3VpnCommands(v, 'remove') : [];
}

export function eosL3VpnChecks(v: L3Vpn): EosCheck[] {
  return [{ command: 'show running-config section router bgp', pattern: new RegExp(`^\\s+vrf ${v.name}\\s*$`, 'm') }];
}
