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
