/**
 * DCI intents on Arista EOS. EOS 4.36.1F's OpenConfig marks the network instance's `evpn`,
 * `encapsulation`, the VXLAN connection-point config and `inter-instance-policies/import-export-policy`
 * not-supported (test/yang/arista), so: the L2 stretch is CLI only (`interface Vxlan1` VLAN → VNI and
 * `router bgp <AS> / vlan` RD and route targets), the L3VPN is the OpenConfig L3VRF instance (name,
 * RD, interfaces) plus its route targets on the CLI (`router bgp <AS> / vrf`). Pure builders; NOT YET
 * EXERCISED AGAINST HARDWARE.
 */
import { checkL2Stretch, checkL3Vpn, platformLimit, rtValue } from './dci-intent.js';
import { ocL3Vpn } from './dci-openconfig.js';
import type { ChangeOp } from './netconf-driver.js';
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

/**
 * Commands for a configuration session (each block returns to the session's top level, as
 * eosSessionCommands expects). Removal leaves `vxlan source-interface`: Vxlan1 is shared with the
 * static tunnels and other stretches.
 */
export function eosL2StretchCommands(s: L2Stretch, op: ChangeOp): string[] {
  checkL2Stretch(s);
  const bgp = routerBgp('l2Stretch', s.localAs);
  const map = `vxlan vlan ${s.vlan} vni ${s.vni}`;
  if (op === 'remove') return ['interface Vxlan1', `no ${map}`, 'exit', bgp, `no vlan ${s.vlan}`];
  return ['interface Vxlan1', `vxlan source-interface ${s.vtepInterface}`, map, 'exit',
    bgp, `vlan ${s.vlan}`, `rd ${s.routeDistinguisher}`, ...targets('evpn', s.importTargets, s.exportTargets),
    'redistribute learned', 'exit'];
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

/** Route targets of the VRF under `router bgp` (VPN-IPv4). */
export function eosL3VpnCommands(v: L3Vpn, op: ChangeOp): string[] {
  checkL3Vpn(v);
  const bgp = routerBgp('l3Vpn', v.localAs);
  if (op === 'remove') return [bgp, `no vrf ${v.name}`];
  return [bgp, `vrf ${v.name}`, ...targets('vpn-ipv4', v.importTargets, v.exportTargets), 'exit'];
}

export function eosL3VpnChecks(v: L3Vpn): EosCheck[] {
  return [{ command: 'show running-config section router bgp', pattern: new RegExp(`^\\s+vrf ${v.name}\\s*$`, 'm') }];
}
