import { expect, test } from '@playwright/test';
import { NACM_GROUP, NACM_PERMITTED_RPCS, NACM_WRITABLE, nacmAnchors, nacmXml } from './nacm.js';

const rules = (xml: string): string[] => [...xml.matchAll(/<rule>(.*?)<\/rule>/gs)].map((m) => m[1] ?? '');

test('the rules permit vmmi\'s operations and trees, and deny the access rules last', () => {
  const xml = nacmXml('vmmi-netconf');
  const all = rules(xml);
  expect(xml).toContain(`<user-name>vmmi-netconf</user-name>`);
  expect(xml).toContain('<write-default>deny</write-default>');
  expect(xml).toContain('<exec-default>deny</exec-default>');
  for (const r of NACM_PERMITTED_RPCS) expect(xml).toContain(`<rpc-name>${r}</rpc-name>`);
  for (const forbidden of ['kill-session', 'delete-config', 'copy-config']) expect(xml).not.toContain(`>${forbidden}<`);
  for (const w of NACM_WRITABLE) expect(xml).toContain(`/${w.prefix}:${w.top}</path>`);
  // netconfd lets the first update rule decide for any container: a deny before the permits refuses every edit.
  expect(all.at(-1)).toContain('<action>deny</action>');
  expect(all.slice(0, -1).every((r) => r.includes('<action>permit</action>'))).toBe(true);
  // netconfd matches access-operations as one word: a list of operations would match nothing.
  for (const r of all) expect(r).toMatch(/<access-operations>(exec|\*)<\/access-operations>/);
  expect(xml).toContain(`<name>${NACM_GROUP}</name>`);
});

test('a user name is escaped into the XML', () => {
  expect(nacmXml('a<b&c')).toContain('<user-name>a&lt;b&amp;c</user-name>');
});

test('anchors keep the writable trees present, but for those the datastore holds', () => {
  expect(nacmAnchors()).toContain('<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"/>');
  expect(nacmAnchors(['interfaces'])).toBe('<routing xmlns="urn:ietf:params:xml:ns:yang:ietf-routing"/>');
});
