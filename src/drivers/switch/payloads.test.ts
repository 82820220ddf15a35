import { readFileSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { parseXml } from '../../transports/netconf/xml.js';
import { compactXml, payloadCases } from './payload-cases.js';

const fixture = (f: string): string => readFileSync(new URL(`../../../test/fixtures/netconf/${f}`, import.meta.url), 'utf8');

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
