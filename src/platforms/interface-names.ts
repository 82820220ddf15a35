/**
 * What each switch platform calls the interface that serves a subnet (its SVI or bridge) and the one
 * holding the subnet's gateway addresses, from the subnet's VNI, when the testbed does not name them
 * (subnet `interface` / `gatewayInterface`). Data, one row per driver kind: no branches elsewhere.
 */
import type { SwitchDriverKind } from '../model/testbed.js';

export interface InterfaceNames {
  /** SVI/bridge of the subnet with VNI `vni`. */
  readonly subnet: (vni: number) => string;
  /** Interface holding the gateway addresses, given the subnet's interface (default: the same). */
  readonly gateway: (subnetInterface: string) => string;
}

const same = (svi: string): string => svi;

export const INTERFACE_NAMES: Readonly<Record<SwitchDriverKind, InterfaceNames>> = {
  // Linux bridges/VLAN devices as NETCONF-managed Linux boxes and FRR boxes name them (iproute2).
  'netconf-ietf': { subnet: (vni) => `vlan${vni}`, gateway: same },
  'frr-ssh': { subnet: (vni) => `vlan${vni}`, gateway: same },
  // EOS SVIs are `Vlan<id>`; Junos IRB units `irb.<unit>`; OpenConfig devices take the vendor's names.
  eos: { subnet: (vni) => `Vlan${vni}`, gateway: same },
  'junos-netconf': { subnet: (vni) => `irb.${vni}`, gateway: same },
  'openconfig-netconf': { subnet: (vni) => `Vlan${vni}`, gateway: same },
};

/**
 * Names the emulated lab gives its own TOR bridges (`br<vni>`) and anycast gateway macvlans
 * (`gw<vni>`): a testbed with a `lab:` section gets these as the subnets' defaults when it loads.
 */
export const LAB_INTERFACE_NAMES: InterfaceNames = {
  subnet: (vni) => `br${vni}`,
  gateway: (svi) => svi.replace(/^br/, 'gw'),
};
