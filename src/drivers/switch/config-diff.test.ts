import { test, expect } from '@playwright/test';
import { parseXml } from '../../transports/netconf/xml.js';
import { canonicalConfig, diffLines, diffText, flattenXml } from './config-diff.js';

test('flattened XML diff ignores order and empty module containers, reports leaf changes', () => {
  const a = parseXml('<data><interfaces xmlns="urn:if"><interface><name>b</name><enabled>true</enabled></interface>' +
    '<interface><name>a</name></interface></interfaces></data>');
  const b = parseXml('<data><routing xmlns="urn:rt"/><interfaces xmlns="urn:if"><interface><name>a</name></interface>' +
    '<interface><name>b</name><enabled>false</enabled></interface></interfaces></data>');
  const d = diffLines(flattenXml(a.children), flattenXml(b.children));
  expect(d).toEqual({
    same: false,
    added: ['/interfaces/interface[b]/enabled = false'],
    removed: ['/interfaces/interface[b]/enabled = true'],
  });
  expect(diffLines(flattenXml(a.children), flattenXml(a.children)).same).toBe(true);
});

test('text diff ignores comments and banners', () => {
  expect(
    diffText(
      'Building configuration...\n!\nip route 198.18.1.0/24 198.18.0.1\n',
      '!\nip route 198.18.1.0/24 198.18.0.1\n',
    ).same,
  ).toBe(true);
  expect(diffText('a\n', 'a\nb\n').added).toEqual(['b']);
});

test('canonicalConfig: reordered elements and an emptied container compare equal; a leftover route does not', () => {
  const ns = 'urn:ietf:params:xml:ns:yang:ietf-routing';
  const before =
    `<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>a</name><enabled>true</enabled></interface>` +
    `<interface><name>b</name><enabled>false</enabled></interface></interfaces>`;
  const reordered =
    `<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>b</name><enabled>false</enabled></interface>` +
    `<interface><name>a</name><enabled>true</enabled></interface></interfaces>`;
  const emptied = `${reordered}\n<routing xmlns="${ns}"/>`;
  const leftover = `${before}<routing xmlns="${ns}"><static-routes><route><destination-prefix>198.18.10.100/32</destination-prefix></route></static-routes></routing>`;
  expect(canonicalConfig(reordered)).toBe(canonicalConfig(before));
  expect(canonicalConfig(emptied)).toBe(canonicalConfig(before));
  expect(canonicalConfig(leftover)).not.toBe(canonicalConfig(before));
  expect(canonicalConfig(leftover)).toContain('198.18.10.100/32');
  // Text (CLI) configs: comment and timestamp lines do not count, configuration lines do.
  expect(canonicalConfig('! generated 12:00\nip route 1\n')).toBe(canonicalConfig('! generated 12:05\nip route 1'));
  expect(canonicalConfig('ip route 1\nip route 2')).not.toBe(canonicalConfig('ip route 1'));
});
