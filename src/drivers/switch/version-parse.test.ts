import { readFileSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { NETCONF_SOFTWARE } from '../../platforms/netconf-software.js';
import { EOS_SHOW_VERSION, FRR_SHOW_VERSION } from '../../platforms/show-version.js';
import { child, parseXml } from '../../transports/netconf/xml.js';
import {
  helloFacts, parseIetfPlatform, parseJunosSoftware, parseOcSystemState, parseShowVersion, parseVendorState,
  showVersionFacts,
} from './version-parse.js';

// Captures and their sources: test/fixtures/versions/README.md.
const fx = (f: string): string => readFileSync(new URL(`../../../test/fixtures/versions/${f}`, import.meta.url), 'utf8');
const data = (f: string) => child(parseXml(fx(f)), 'data');

test('ietf-system platform leaves; nothing when the server serves none', () => {
  expect(parseIetfPlatform(data('ietf-system-platform.xml'))).toEqual({
    'os-name': 'Linux', 'os-release': '5.15.0-91-generic',
    'os-version': '#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023', machine: 'x86_64',
  });
  // netconfd (no SIL) answers system-state with its own augment only: no platform, no facts.
  expect(parseIetfPlatform(data('netconfd-2.13-system-state.xml'))).toEqual({});
  expect(parseIetfPlatform(undefined)).toEqual({});
  // A platform container in another namespace is not ietf-system's.
  expect(parseIetfPlatform(parseXml('<data><system-state xmlns="urn:x"><platform><os-name>X</os-name>' +
    '</platform></system-state></data>'))).toEqual({});
});

test('vendor state named by the hello: yuma123-system on real netconfd 2.13', () => {
  const yuma = NETCONF_SOFTWARE.find((s) => s.software === 'yuma123 netconfd')?.state;
  if (yuma === undefined) throw new Error('yuma123 entry lost its state');
  expect(parseVendorState(data('netconfd-2.13-system-state.xml'), yuma)).toEqual({
    server: 'netconfd 2.13-1', hostname: 'localhost', 'os-name': 'Linux', 'os-release': '6.18.44-fc-v1272',
    'os-version': '#1 SMP PREEMPT_DYNAMIC @0', machine: 'x86_64',
  });
});

test('NETCONF hello facts of real netconfd 2.13: count, yang-library id, server software', () => {
  const caps = fx('netconfd-2.13-hello.txt').trim().split('\n');
  expect(helloFacts(caps, NETCONF_SOFTWARE)).toEqual({
    capabilities: '44',
    'module-set-id': 'bce42c78666eb0316b9e0aabb8850beb4e568aff',
    // yuma123 also announces netconfcentral.org modules: the table order makes yuma123 win.
    'server-software': 'yuma123 netconfd',
    'server-capability': 'http://yuma123.org/ns/yuma123-system?module=yuma123-system&revision=2017-03-26',
  });
  // A server announcing nothing recognisable: only the count, nothing invented.
  expect(helloFacts(['urn:ietf:params:netconf:base:1.1'], NETCONF_SOFTWARE)).toEqual({ capabilities: '1' });
  // yang-library 1.1 (RFC 8526) names a content-id instead.
  expect(helloFacts(['urn:ietf:params:netconf:capability:yang-library:1.1?revision=2019-01-04&content-id=42',
    'http://xml.juniper.net/netconf/junos/1.0'], NETCONF_SOFTWARE)).toEqual({
    capabilities: '2', 'content-id': '42', 'server-software': 'Junos',
    'server-capability': 'http://xml.juniper.net/netconf/junos/1.0',
  });
});

test('OpenConfig system state', () => {
  expect(parseOcSystemState(parseXml('<data><system xmlns="http://openconfig.net/yang/system"><state>' +
    '<hostname>leaf1</hostname><software-version>4.31.1F</software-version><boot-time>1</boot-time>' +
    '</state></system></data>'))).toEqual({ hostname: 'leaf1', 'software-version': '4.31.1F' });
  expect(parseOcSystemState(parseXml('<data/>'))).toEqual({});
});

test('Junos software-information: single RE, and pre-15.1 multi-member from package comments', () => {
  expect(parseJunosSoftware(parseXml(fx('junos-software-information.xml')))).toEqual({
    junos: '20.4R3-S2.6', hostname: 'qfx-leaf1', model: 'qfx5120-48y-8c', product: 'qfx5120-48y-8c',
  });
  expect(parseJunosSoftware(parseXml(fx('junos-multi-re-software-information.xml')))).toEqual({
    junos: '12.3R12.4', hostname: 'ex-vc1', model: 'ex4200-48t', product: 'ex4200-48t', members: 'fpc0,fpc1',
  });
  expect(parseJunosSoftware(parseXml('<rpc-reply><ok/></rpc-reply>'))).toEqual({});
});

test('FRR show version: real 8.4.4 capture, and the 7.x first line without the OS suffix', () => {
  expect(parseShowVersion(fx('frr-8.4.4-show-version.txt'), FRR_SHOW_VERSION)).toEqual({
    frr: '8.4.4', hostname: 'vm', os: 'Linux', 'frr-kernel': '6.18.44-fc-v1272',
  });
  expect(parseShowVersion(fx('frr-7-show-version.txt'), FRR_SHOW_VERSION)).toEqual({ frr: '7.2.1', hostname: 'leaf1' });
});

test('EOS show version: hardware and cEOS-lab (empty fields left out, kernel only where printed)', () => {
  expect(parseShowVersion(fx('eos-7280-show-version.txt'), EOS_SHOW_VERSION)).toEqual({
    model: 'DCS-7280SR3K-48YC8-F', hardware: '11.02', serial: 'JPE20000001', eos: '4.31.1F', machine: 'x86_64',
    build: '4.31.1F-34556000.4311F',
  });
  expect(parseShowVersion(fx('eos-ceoslab-show-version.txt').replace(/\n/g, '\r\n'), EOS_SHOW_VERSION)).toEqual({
    model: 'cEOSLab', serial: 'leaf3', eos: '4.32.1F-37313256.4321F (engineering build)', machine: 'i686',
    build: '4.32.1F-37313256.4321F', kernel: '5.14.0-503.21.1.el9_5.x86_64',
  });
});

test('a show version of another platform is an error, not an empty version', () => {
  expect(() => showVersionFacts(fx('frr-8.4.4-show-version.txt'), EOS_SHOW_VERSION, 'leaf1'))
    .toThrow(/leaf1: read version failed: "show version" printed none of the expected fields \(first line: "FRRouting/);
  expect(showVersionFacts(fx('frr-8.4.4-show-version.txt'), FRR_SHOW_VERSION, 'leaf1').frr).toBe('8.4.4');
});
