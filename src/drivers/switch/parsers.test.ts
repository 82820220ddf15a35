import { readFileSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { child, parseXml } from '../../transports/netconf/xml.js';
import { parseBridgeFdb, parseFrrRoutes, parseIpNeigh } from './frr-parse.js';
import { parseJunosMacTable, parseJunosNeighbors, parseJunosRoutes } from './junos-netconf.js';
import { parseIetfNeighbors, parseIetfRoutes } from './netconf-ietf.js';
import { parseOcMacTable, parseOcNeighbors, parseOcRoutes } from './openconfig-netconf.js';

const fx = (f: string): string => readFileSync(new URL(`../../../test/fixtures/netconf/${f}`, import.meta.url), 'utf8');
const data = (f: string) => child(parseXml(fx(f)), 'data');

test('Junos route, ARP/ND and MAC replies', () => {
  expect(parseJunosRoutes(parseXml(fx('junos/reply-route-information.xml')))).toEqual([
    { prefix: '198.18.0.0/30', protocol: 'direct', active: true, nextHops: [], device: 'xe-0/0/0.0' },
    { prefix: '198.18.10.100/32', protocol: 'static', active: true, nextHops: ['198.18.0.1'], device: 'xe-0/0/0.0' },
  ]);
  expect(
    parseJunosNeighbors(parseXml(fx('junos/reply-arp-table.xml')), parseXml(fx('junos/reply-ipv6-nd.xml'))),
  ).toEqual([
    { ip: '198.18.10.100', mac: '52:54:00:aa:bb:01', device: 'irb.100 [xe-0/0/1.0]', state: 'dynamic' },
    { ip: '2001:2:0:10::64', mac: '52:54:00:aa:bb:01', device: 'irb.100', state: 'reachable' },
  ]);
  expect(parseJunosMacTable(parseXml(fx('junos/reply-mac-table.xml')))).toEqual([
    { mac: '52:54:00:aa:bb:01', port: 'xe-0/0/1.0', type: 'd', vlan: 100 },
    { mac: '52:54:00:aa:bb:02', port: 'vtep.32769', type: 'sr', vlan: 100 },
  ]);
});

test('OpenConfig route, neighbor and MAC replies', () => {
  expect(parseOcRoutes(data('openconfig/reply-routes.xml'))).toEqual([
    { prefix: '198.18.10.100/32', nextHops: ['198.18.0.1'], protocol: 'static', active: true },
    { prefix: '2001:2:0:10::64/128', nextHops: [], protocol: 'static', active: false, device: 'Ethernet1' },
  ]);
  expect(parseOcNeighbors(data('openconfig/reply-neighbors.xml'))).toEqual([
    { ip: '198.18.10.100', mac: '52:54:00:aa:bb:01', device: 'Vlan100', state: 'DYNAMIC' },
    { ip: '2001:2:0:10::64', mac: '52:54:00:aa:bb:01', device: 'Vlan100', state: 'REACHABLE' },
  ]);
  expect(parseOcMacTable(data('openconfig/reply-mac-table.xml'))).toEqual([
    { mac: '52:54:00:aa:bb:01', port: 'Ethernet1', vlan: 100, type: 'dynamic' },
  ]);
});

test('IETF neighbors and configured static routes', () => {
  expect(parseIetfNeighbors(data('ietf/reply-interfaces-state.xml'))).toEqual([
    { ip: '198.18.10.100', mac: '52:54:00:aa:bb:01', device: 'swp1' },
    { ip: '2001:2:0:10::64', mac: '52:54:00:aa:bb:01', device: 'swp1', state: 'reachable' },
  ]);
  const cfg = parseXml(
    `<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">${fx('ietf/host-route-v4-add.xml')}</data>`,
  );
  expect(parseIetfRoutes(cfg, undefined)).toEqual([
    { prefix: '198.18.10.100/32', nextHops: ['198.18.0.1'], protocol: 'static', active: false },
  ]);
});

test('FRR and iproute2 JSON; garbage yields no entries', () => {
  expect(parseFrrRoutes(fx('frr/show-ip-route.json'))).toEqual([
    { prefix: '198.18.10.100/32', protocol: 'static', active: true, nextHops: ['198.18.0.1'], device: 'swp1' },
    { prefix: '198.18.0.0/30', protocol: 'connected', active: true, nextHops: [], device: 'swp1' },
  ]);
  expect(parseIpNeigh(fx('frr/ip-neigh.json'))).toEqual([
    { ip: '198.18.10.100', mac: '52:54:00:aa:bb:01', device: 'br100', state: 'REACHABLE' },
    { ip: '198.18.10.101', mac: '', device: 'br100', state: 'FAILED' },
    { ip: '2001:2:0:10::64', mac: '52:54:00:aa:bb:01', device: 'br100', state: 'STALE' },
  ]);
  expect(parseBridgeFdb(fx('frr/bridge-fdb.json'))).toEqual([
    { mac: '52:54:00:aa:bb:01', port: 'swp1', type: 'dynamic', vlan: 100 },
    { mac: '00:00:00:00:00:00', port: 'vxlan10100', type: 'remote' },
    { mac: '52:54:00:aa:bb:02', port: 'vxlan10100', type: 'extern_learn' },
  ]);
  expect(parseFrrRoutes('% Unknown command')).toEqual([]);
  expect(parseIpNeigh('not json')).toEqual([]);
});
