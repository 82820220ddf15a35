import { test, expect } from '@playwright/test';
import { parseXml } from '../../transports/netconf/xml.js';
import { diffLines, diffText, flattenXml } from './config-diff.js';

test('flattened XML diff ignores order and empty module containers, reports leaf changes', () => {
  const a = parseXml('<data><interfaces xmlns="urn:if"><interface><name>b</name><enabled>true</enabled></interface>' +
    '<interface><name>a</name></interface></interfaces></data>');
  const b = parseXml('<data><routing xmlns="urn:rt"/><interfaces xmlns="urn:if"><interface><name>a</name></interface>' +
    '<interface><name>b</name><enabled>false</enabled></interface></interfaces></data>');
  const d = diffLines(flattenXml(a.children), flattenXml(b.children));
  expect(d).toEqual({ same: false, added: ['/interfaces/interface[b]/enabled = false'], removed: ['/interfaces/interface[b]/enabled = true'] });
  expect(diffLines(flattenXml(a.children), flattenXml(a.children)).same).toBe(true);
});

test('text diff ignores comments and banners', () => {
  expect(diffText('Building configuration...\n!\nip route 198.18.1.0/24 198.18.0.1\n', '!\nip route 198.18.1.0/24 198.18.0.1\n').same).toBe(true);
  expect(diffText('a\n', 'a\nb\n').added).toEqual(['b']);
});
