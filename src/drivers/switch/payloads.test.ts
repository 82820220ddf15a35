import { readFileSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { parseXml } from '../../transports/netconf/xml.js';
import { compactXml, payloadCases } from './payload-cases.js';

const fixture = (f: string): string =>
  readFileSync(new URL(`../../../test/fixtures/netconf/${f}`, import.meta.url), 'utf8');

test('every vendor payload matches its golden file', () => {
  const cases = payloadCases();
  expect(Object.keys(cases).length).toBeGreaterThanOrEqual(20);
  for (const [file, got] of Object.entries(cases)) {
    const want = fixture(file);
    if (file.endsWith('.xml')) {
      expect(compactXml(got), file).toBe(compactXml(want));
      parseXml(got); // well-formed
    } else {
      expect(got, file).toBe(want.trimEnd());
    }
  }
});

test('user text is escaped in payloads, never spliced as markup', () => {
  const v4 = payloadCases()['openconfig/host-route-v4-add.xml'] ?? '';
  expect(v4).toContain('<description>vm1 &lt;moved&gt; &amp; pinned</description>');
});

test('FRR commands use canonical IPv6 (what FRR prints back), inverse commands mirror them', async () => {
  const { canonicalIp, frrHostRouteCommands } = await import('./frr-ssh.js');
  expect(canonicalIp('2001:0002:0000:0030:0000:0000:0000:0005')).toBe('2001:2:0:30::5');
  expect(canonicalIp('198.18.0.1')).toBe('198.18.0.1');
  expect(() => canonicalIp('2001:::1')).toThrow(TypeError);
  expect(frrHostRouteCommands({ prefix: '2001:2:0:30:0::5/128', nextHop: '2001:2:0:1:0::1' }, 'remove'))
    .toEqual(['no ipv6 route 2001:2:0:30::5/128 2001:2:0:1::1']);
  expect(() => frrHostRouteCommands({ prefix: '198.18.0.0/24', device: 'eth0; reboot' }, 'add')).toThrow(TypeError);
});

test('netconf-ietf verify filter selects one static route by key, per family', async () => {
  const { ietfHostRouteFilter } = await import('./netconf-ietf.js');
  const { filterElement } = await import('../../transports/netconf/operations.js');
  const { render } = await import('../../transports/netconf/xml-build.js');
  expect(render(filterElement(ietfHostRouteFilter('198.18.5.1/32')))).toBe('<filter type="subtree">' +
    '<routing xmlns="urn:ietf:params:xml:ns:yang:ietf-routing"><control-plane-protocols><control-plane-protocol>' +
    '<name>vmmi</name><static-routes><ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ipv4-unicast-routing"><route>' +
    '<destination-prefix>198.18.5.1/32</destination-prefix></route></ipv4></static-routes></control-plane-protocol>' +
    '</control-plane-protocols></routing></filter>');
  expect(render(filterElement(ietfHostRouteFilter('2001:2::5/128')))).toContain(
    '<ipv6 xmlns="urn:ietf:params:xml:ns:yang:ietf-ipv6-unicast-routing"><route><destination-prefix>2001:2::5/128<');
  expect(() => ietfHostRouteFilter('198.18.5.1')).toThrow(TypeError);
});
