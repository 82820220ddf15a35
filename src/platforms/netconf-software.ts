/**
 * NETCONF servers named by their hello (data only). A server that answers no standard version data
 * (ietf-system `system-state/platform` empty or refused) still announces its own YANG modules: the
 * first capability starting with one of these prefixes names the server software. Where a server is
 * known to serve its own version in a vendor module, `state` says where, so the driver reads it
 * instead of guessing. Order matters: yuma123 announces the older netconfcentral.org modules too.
 */

/** A subtree of operational state holding the server's own version facts. */
export interface VendorVersionState {
  /** Top-level container (`name` in namespace `ns`) and the vendor child inside it. */
  readonly top: { readonly name: string; readonly ns: string };
  readonly child: { readonly name: string; readonly ns: string };
  /** Version key → path of leaf names below `child`. */
  readonly leaves: Readonly<Record<string, readonly string[]>>;
}

export interface NetconfSoftware {
  /** Prefix of a capability URI the server announces. */
  readonly capabilityPrefix: string;
  readonly software: string;
  readonly state?: VendorVersionState;
}

export const NETCONF_SOFTWARE: readonly NetconfSoftware[] = [
  {
    capabilityPrefix: 'http://yuma123.org/ns/yuma123-system',
    software: 'yuma123 netconfd',
    // yuma123's netconfd augments ietf-system's system-state with its own id and the host's uname
    // (module yuma123-system), served even when the ietf-system SIL (platform leaves) is not loaded.
    state: {
      top: { name: 'system-state', ns: 'urn:ietf:params:xml:ns:yang:ietf-system' },
      child: { name: 'yuma', ns: 'http://yuma123.org/ns/yuma123-system' },
      leaves: {
        server: ['sysNetconfServerId'],
        hostname: ['sysName'],
        'os-name': ['uname', 'sysname'],
        'os-release': ['uname', 'release'],
        'os-version': ['uname', 'version'],
        machine: ['uname', 'machine'],
      },
    },
  },
  { capabilityPrefix: 'http://netconfcentral.org/ns/yuma', software: 'Yuma netconfd' },
  { capabilityPrefix: 'http://xml.juniper.net/', software: 'Junos' },
  { capabilityPrefix: 'http://tail-f.com/ns/', software: 'Tail-f ConfD/NSO' },
  { capabilityPrefix: 'http://cisco.com/ns/yang/Cisco-IOS-XR', software: 'Cisco IOS XR' },
  { capabilityPrefix: 'http://cisco.com/ns/yang/Cisco-IOS-XE', software: 'Cisco IOS XE' },
  { capabilityPrefix: 'http://cisco.com/ns/yang/cisco-nx-os', software: 'Cisco NX-OS' },
  { capabilityPrefix: 'http://arista.com/yang/', software: 'Arista EOS' },
  { capabilityPrefix: 'urn:srl_nokia/', software: 'Nokia SR Linux' },
  { capabilityPrefix: 'urn:nokia.com:srlinux', software: 'Nokia SR Linux' },
];
