/**
 * The intents every vendor payload golden file is rendered from (shared by the golden test and the
 * fixture writer). Addresses from 198.18.0.0/15 and 2001:2::/48 only.
 */
import { render } from '../../transports/netconf/xml-build.js';
import { eosHostRoute, eosSessionCommands, eosTunnelCommands } from './eos.js';
import { frrHostRouteCommands, linuxSegmentArgv, linuxTunnelArgv } from './frr-ssh.js';
import { junosHostRoute, junosSegment, junosTunnel } from './junos-netconf.js';
import { ietfHostRoute, ietfSegment } from './netconf-ietf.js';
import { ocHostRoute, ocSegment } from './openconfig-netconf.js';
import type { HostRoute, Segment, TunnelEndpoint } from './types.js';

export const R4: HostRoute = { prefix: '198.18.10.100/32', nextHop: '198.18.0.1', description: 'vm1 <moved> & pinned' };
export const R6: HostRoute = { prefix: '2001:2:0:10::64/128', device: 'swp1' };
export const SEG: Segment = { port: 'xe-0/0/1', vlan: 100, vni: 10100 };
export const TUN: TunnelEndpoint = {
  vni: 10100,
  vlan: 100,
  localAddress: '198.18.255.1',
  remotes: ['198.18.255.2', '198.18.255.3'],
};

/** file name (under test/fixtures/netconf/) → rendered payload. */
export function payloadCases(): Record<string, string> {
  const x = (c: { config: Parameters<typeof render>[0] }): string => render(c.config);
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
    'eos/host-route-v4-add.xml': x(eosHostRoute(R4, 'add')),
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
