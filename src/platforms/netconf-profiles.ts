/**
 * NETCONF hello profiles per platform (data only). See the vendor notes in the NETCONF guide: Junos
 * defaults to base:1.0 only and may prefix elements with `nc:`; IOS-XR 7.x offers only base:1.1;
 * legacy NX-OS xmlagent wants a bogus base capability in the client hello.
 */
import { STANDARD_PROFILE, type NetconfProfile } from '../transports/netconf/hello.js';

export const NETCONF_PROFILE_NAMES = ['generic', 'junos', 'iosxr', 'nxos-xmlagent', 'eos', 'srl'] as const;
export type NetconfProfileName = (typeof NETCONF_PROFILE_NAMES)[number];

export const NETCONF_PROFILES: Readonly<Record<NetconfProfileName, NetconfProfile>> = {
  generic: STANDARD_PROFILE,
  junos: {
    name: 'junos',
    offerBase10: true,
    offerBase11: true,
    extraCapabilities: [],
    defaultPort: 830,
    notes: 'base:1.1 only with `set system services netconf rfc-compliant` and version-1.1; port 22 also works',
  },
  iosxr: {
    name: 'iosxr',
    offerBase10: true,
    offerBase11: true,
    extraCapabilities: [],
    defaultPort: 830,
    notes: 'IOS-XR 7.x offers only base:1.1 by default',
  },
  'nxos-xmlagent': {
    name: 'nxos-xmlagent',
    offerBase10: true,
    offerBase11: false,
    // The legacy xmlagent refuses hellos without this (non-standard) URI.
    extraCapabilities: ['urn:ietf:params:xml:ns:netconf:base:1.0'],
    defaultPort: 22,
    notes: 'legacy NX-OS xmlagent (`xmlagent` subsystem); prefer generic on 9.3+ netconf port 830',
  },
  eos: {
    name: 'eos',
    offerBase10: true,
    offerBase11: true,
    extraCapabilities: [],
    defaultPort: 830,
    notes: '`management api netconf`; confirmed commit over NETCONF unverified',
  },
  srl: {
    name: 'srl',
    offerBase10: true,
    offerBase11: true,
    extraCapabilities: [],
    defaultPort: 830,
    notes: 'SR Linux: no NETCONF notifications or actions',
  },
};
