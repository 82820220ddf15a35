/**
 * The intents every vendor payload golden file is rendered from (shared by the golden test and the
 * fixture writer). Addresses from 198.18.0.0/15 and 2001:2::/48 only.
 */
import { render } from '../../transports/netconf/xml-build.js';
import { eosL2StretchCommands, eosL3VpnCommands, eosL3VpnOc, type EosL2Scope } from './dci-eos.js';
import { junosL2Stretch, junosL3Vpn } from './dci-junos.js';
import { ocL2Stretch, ocL3Vpn } from './dci-openconfig.js';
import { eosHostRoute, eosSessionCommands, eosTunnelCommands } from './eos.js';
import { frrHostRouteCommands, linuxSegmentArgv, linuxTunnelArgv } from './frr-ssh.js';
import { junosHostRoute, junosSegment, junosTunnel } from './junos-netconf.js';
import type { ChangeOp } from './netconf-driver.js';
import { ietfHostRoute, ietfSegment } from './netconf-ietf.js';
import { ocHostRoute, ocSegment } from './openconfig-netconf.js';
import type { HostRoute, L2Stretch, L3Vpn, Segment, TunnelEndpoint } from './types.js';

export const R4: HostRoute = { prefix: '198.18.10.100/32', nextHop: '198.18.0.1', description: 'vm1 <moved> & pinned' };
export const R6: HostRoute = { prefix: '2001:2:0:10::64/128', device: 'swp1' };
export const SEG: Segment = { port: 'xe-0/0/1', vlan: 100, vni: 10100 };
export const TUN: TunnelEndpoint = {
  vni: 10100,
  vlan: 100,
  localAddress: '198.18.255.1',
  remotes: ['198.18.255.2', '198.18.255.3'],
};

/** The L2 stretch between sites (Junos names; OpenConfig/EOS cases swap in their interface names). */
export const L2: L2Stretch = {
  vni: 10100,
  vlan: 100,
  routeDistinguisher: '198.18.255.1:10100',
  importTargets: ['target:65000:10100'],
  exportTargets: ['target:65000:10100'],
  vtepInterface: 'lo0.0',
  localAs: 65000,
};
export const L3: L3Vpn = {
  name: 'vmmi-l3',
  routeDistinguisher: '65000:200',
  importTargets: ['target:65000:200'],
  exportTargets: ['target:65000:200'],
  interfaces: ['xe-0/0/2.0', 'xe-0/0/3.10'],
  localAs: 65000,
};
export const L2_OC: L2Stretch = { ...L2, vtepInterface: 'Loopback0' };
export const L3_OC: L3Vpn = { ...L3, interfaces: ['Ethernet2', 'Ethernet3.10'] };

/** file name (under test/fixtures/netconf/) → rendered payload. */
export function payloadCases(): Record<string, string> {
  const x = (c: { config: Parameters<typeof render>[0] }): string => render(c.config);
  const eosL2 = (op: ChangeOp, scope: EosL2Scope): string =>
    eosSessionCommands('vmmi-l2-10100-x', eosL2StretchCommands(L2_OC, op, scope), 120).join('\n');
  return {
    'ietf/host-route-v4-add.xml': x(ietfHostRoute(R4, 'add')),
    'ietf/host-route-v6-add.xml': x(ietfHostRoute(R6, 'add')),
    'ietf/host-route-v4-remove.xml': x(ietfHostRoute(R4, 'remove')),
    'ietf/segment-attach.xml': x(ietfSegment({ ...SEG, port: 'swp1' }, 'add')),
    'ietf/segment-detach.xml': x(ietfSegment({ ...SEG, port: 'swp1' }, 'remove')),
    'openconfig/host-route-v4-add.xml': x(ocHostRoute(R4, 'add')),
    'openconfig/host-route-v6-add.xml': x(ocHostRoute({ ...R6, device: 'Ethernet1' }, 'add')),
    'openconfig/host-route-v4-remove.xml': x(ocHostRoute(R4, 'remove')),
    'openconfig/segment-attach.xml': x(ocSegment({ ...SEG, port: 'Ethernet1' }, 'add')),
    'openconfig/segment-detach.xml': x(ocSegment({ ...SEG, port: 'Ethernet1' }, 'remove')),
    'junos/host-route-v4-add.xml': x(junosHostRoute(R4, 'add')),
    'junos/host-route-v6-add.xml': x(junosHostRoute({ prefix: R6.prefix, nextHop: '2001:2:0:1::1' }, 'add')),
    'junos/host-route-v4-remove.xml': x(junosHostRoute(R4, 'remove')),
    'junos/segment-attach.xml': x(junosSegment(SEG, 'add')),
    'junos/segment-detach.xml': x(junosSegment(SEG, 'remove')),
    'junos/tunnel-add.xml': x(junosTunnel(TUN, 'add')),
    'junos/tunnel-remove.xml': x(junosTunnel(TUN, 'remove')),
    'openconfig/l2-stretch-add.xml': x(ocL2Stretch(L2_OC, 'add')),
    'openconfig/l2-stretch-add-shared-vtep.xml': x(ocL2Stretch(L2_OC, 'add', { vtep: false, vni: true, instance: true })),
    'openconfig/l2-stretch-remove.xml': x(ocL2Stretch(L2_OC, 'remove', { vtep: true, vni: false, instance: true })),
    'openconfig/l2-stretch-remove-shared-vtep.xml':
      x(ocL2Stretch(L2_OC, 'remove', { vtep: false, vni: true, instance: true })),
    'openconfig/l3vpn-add.xml': x(ocL3Vpn(L3_OC, 'add')),
    'openconfig/l3vpn-remove.xml': x(ocL3Vpn(L3_OC, 'remove')),
    'junos/l2-stretch-add.xml': x(junosL2Stretch(L2, 'add')),
    'junos/l2-stretch-remove.xml': x(junosL2Stretch(L2, 'remove')),
    'junos/l3vpn-add.xml': x(junosL3Vpn(L3, 'add')),
    'junos/l3vpn-remove.xml': x(junosL3Vpn(L3, 'remove')),
    'eos/host-route-v4-add.xml': x(eosHostRoute(R4, 'add')),
    'eos/l2-stretch-add.txt': eosL2('add', { vxlan: 'create', map: true }),
    'eos/l2-stretch-add-shared-vxlan.txt': eosL2('add', { vxlan: 'shared', map: true }),
    'eos/l2-stretch-add-source.txt': eosL2('add', { vxlan: 'source', map: true }),
    'eos/l2-stretch-remove.txt': eosL2('remove', { vxlan: 'keep', map: true }),
    'eos/l2-stretch-remove-vxlan.txt': eosL2('remove', { vxlan: 'delete', map: true }),
    'eos/l2-stretch-remove-source.txt': eosL2('remove', { vxlan: 'source', map: true }),
    'eos/l3vpn-add.xml': x(eosL3VpnOc(L3_OC, 'add')),
    'eos/l3vpn-remove.xml': x(eosL3VpnOc(L3_OC, 'remove')),
    'eos/l3vpn-add.txt': eosSessionCommands('vmmi-l3-vmmi-l3-x', eosL3VpnCommands(L3_OC, 'add'), 120).join('\n'),
    'eos/l3vpn-remove.txt': eosSessionCommands('vmmi-l3-vmmi-l3-x', eosL3VpnCommands(L3_OC, 'remove'), 120).join('\n'),
    'eos/tunnel-add.txt': eosSessionCommands('vmmi-10100-x', eosTunnelCommands(TUN, 'add'), 120).join('\n'),
    'eos/tunnel-remove.txt': eosSessionCommands('vmmi-10100-x', eosTunnelCommands(TUN, 'remove'), 120).join('\n'),
    'frr/host-route-add.txt': [...frrHostRouteCommands(R4, 'add'), ...frrHostRouteCommands(R6, 'add')].join('\n'),
    'frr/host-route-remove.txt': [...frrHostRouteCommands(R4, 'remove'), ...frrHostRouteCommands(R6, 'remove')].join(
      '\n',
    ),
    'frr/segment-attach.txt': linuxSegmentArgv({ ...SEG, port: 'swp1', bridge: 'br100' }, 'add')
      .map((a) => a.join(' '))
      .join('\n'),
    'frr/tunnel-add.txt': linuxTunnelArgv({ ...TUN, bridge: 'br100' }, 'add')
      .map((a) => a.join(' '))
      .join('\n'),
  };
}

/** Indents XML one element per line (no mixed content in config payloads) for readable goldens. */
export function prettyXml(xml: string): string {
  const toks = xml.match(/<[^>]+>|[^<]+/g) ?? [];
  const out: string[] = [];
  let depth = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] as string;
    const ind = '  '.repeat(Math.max(depth, 0));
    const next = toks[i + 1];
    if (!t.startsWith('<')) continue;
    if (t.startsWith('</')) {
      depth--;
      out.push(`${'  '.repeat(Math.max(depth, 0))}${t}`);
    } else if (t.endsWith('/>')) {
      out.push(ind + t);
    } else if (next !== undefined && !next.startsWith('<') && toks[i + 2]?.startsWith('</') === true) {
      out.push(ind + t + next + (toks[i + 2] as string));
      i += 2;
    } else if (next?.startsWith('</') === true) {
      out.push(ind + t + next);
      i += 1;
    } else {
      out.push(ind + t);
      depth++;
    }
  }
  return `${out.join('\n')}\n`;
}

/** Whitespace between tags removed, for comparing goldens with rendered payloads. */
export function compactXml(xml: string): string {
  return xml.replace(/>\s+</g, '><').trim();
}
