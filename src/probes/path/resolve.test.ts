import { test, expect } from '@playwright/test';
import { labTestbed } from '../../migration/fixtures/lab-testbed.js';
import type { Link, Testbed } from '../../model/testbed.js';
import type { PathHop } from './parse.js';
import { pathAddressIndex, pathNames, resolvePathHops, viaSite } from './resolve.js';

/** The lab fixture with routed link addresses: client—coreA—(WAN)—coreB—torB—hv3. */
function routed(): Testbed {
  const tb = labTestbed();
  const addr: Record<string, [string, string, string, string]> = {
    'client:eth0--coreA:to-client': ['198.18.20.2/24', '2001:2:0:20::2/64', '198.18.20.1/24', '2001:2:0:20::1/64'],
    'coreA:to-wan--coreB:to-wan': ['198.18.31.0/31', '2001:2:0:31::/127', '198.18.31.1/31', '2001:2:0:31::1/127'],
    'coreB:to-torB--torB:up0': ['198.18.32.0/31', '2001:2:0:32::/127', '198.18.32.1/31', '2001:2:0:32::1/127'],
  };
  const links = tb.links.map((l): Link => {
    const a = addr[l.name];
    if (a === undefined) return l;
    const [e0, e1] = l.endpoints;
    return { ...l, endpoints: [{ ...e0, ipv4: a[0], ipv6: a[1] }, { ...e1, ipv4: a[2], ipv6: a[3] }] };
  });
  return { ...tb, links };
}

const hop = (ttl: number, address: string | undefined, kind: PathHop['kind'] = 'time-exceeded'): PathHop =>
  ({ ttl, address, rttsMs: address === undefined ? [] : [0.4], kind, probes: 3 });

test('link endpoints, router ids, management and host addresses name devices and sites', () => {
  const hops = resolvePathHops([
    hop(1, '198.18.20.1'), hop(2, '198.18.31.1'), hop(3, '198.18.32.1'), hop(4, undefined),
    hop(5, '198.18.11.13', 'port-unreachable'),
  ], routed());
  expect(hops.map((h) => [h.device, h.site])).toEqual([
    ['coreA', 'A'], ['coreB', 'B'], ['torB', 'B'], [undefined, undefined], ['hv3', 'B'],
  ]);
  expect(pathNames(hops)).toEqual(['coreA', 'coreB', 'torB', '*', 'hv3']);
  const index = pathAddressIndex(routed());
  expect(index.get('198.18.30.0')).toEqual({ device: 'coreA', site: 'A' }); // router id
  expect(index.get('198.19.0.13')).toEqual({ device: 'coreB', site: 'B' }); // management address
  expect(index.get('198.18.10.1')).toBeUndefined(); // a subnet gateway names no device
});

test('IPv6 addresses match whatever their spelling', () => {
  const hops = resolvePathHops([hop(1, '2001:2:0:20::1'), hop(2, '2001:2:0:31:0:0:0:1'), hop(3, '2001:2:0:32::1')],
    routed());
  expect(pathNames(hops)).toEqual(['coreA', 'coreB', 'torB']);
  expect(resolvePathHops([hop(1, '2001:0002:0000:0020:0000:0000:0000:0001')], routed())[0]?.device).toBe('coreA');
});

test('viaSite: any hop of a device of the site', () => {
  const tb = routed();
  const viaA = resolvePathHops([hop(1, '198.18.20.1'), hop(2, '198.18.31.1'), hop(3, '198.18.32.1')], tb);
  const direct = resolvePathHops([hop(1, '198.18.31.1'), hop(2, '198.18.32.1')], tb);
  expect(viaSite(viaA, 'A')).toBe(true);
  expect(viaSite(viaA, 'B')).toBe(true);
  expect(viaSite(direct, 'A')).toBe(false);
  expect(viaSite(resolvePathHops([hop(1, '203.0.113.9'), hop(2, undefined)], tb), 'A')).toBe(false);
  expect(viaSite([], 'A')).toBe(false);
});

test('an address two devices claim names their common site only, and no device', () => {
  const tb = routed();
  const anycast = (dev: string, port: string, ip: string): Link =>
    ({ name: `${dev}-any`, wan: false, endpoints: [{ device: dev, port, ipv4: ip }, { device: 'x', port: 'p' }] });
  const same = { ...tb, links: [...tb.links, anycast('torA', 'gw', '198.18.40.1/24'), anycast('coreA', 'gw', '198.18.40.1/24')] };
  const split = { ...tb, links: [...tb.links, anycast('torA', 'gw', '198.18.40.1/24'), anycast('torB', 'gw', '198.18.40.1/24')] };
  expect(resolvePathHops([hop(1, '198.18.40.1')], same)[0]).toMatchObject({ site: 'A' });
  expect(resolvePathHops([hop(1, '198.18.40.1')], same)[0]?.device).toBeUndefined();
  const h = resolvePathHops([hop(1, '198.18.40.1')], split)[0];
  expect([h?.device, h?.site]).toEqual([undefined, undefined]);
});

test('an index built once resolves like the testbed', () => {
  const tb = routed();
  const hops = [hop(1, '198.18.20.1'), hop(2, '198.18.31.1')];
  expect(resolvePathHops(hops, pathAddressIndex(tb))).toEqual(resolvePathHops(hops, tb));
});
