import { expect, test } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateTestbedText } from './load.js';

const base = `name: t
sites: { s: {} }
hypervisors:
  h: { site: s, address: 198.18.0.9, uri: "qemu+tcp://198.18.0.9/system" }
`;

function load(text: string): ReturnType<typeof validateTestbedText> {
  const file = join(mkdtempSync(join(tmpdir(), 'vmmi-mode-')), 'tb.yaml');
  writeFileSync(file, text);
  return validateTestbedText(text, file, { env: {} });
}
const show = (r: ReturnType<typeof validateTestbedText>): string =>
  r.ok ? 'ok' : r.issues.map((i) => `${i.path}: ${i.message}`).join('\n');

test('defaults.migration.mode defaults to precopy; a mode and its settings are taken as written', () => {
  const plain = load(base);
  expect(plain.ok, show(plain)).toBe(true);
  if (plain.ok) expect(plain.testbed.migration.mode).toBe('precopy');
  const r = load(`${base}defaults:\n  migration: { mode: multifd, multifdChannels: 8, maxDowntimeMs: 100 }\n`);
  expect(r.ok, show(r)).toBe(true);
  if (r.ok) expect(r.testbed.migration).toMatchObject({ mode: 'multifd', multifdChannels: 8, maxDowntimeMs: 100 });
});

test('a bad mode or setting names its path and the allowed values', () => {
  expect(show(load(`${base}defaults: { migration: { mode: hybrid } }\n`))).toContain(
    'defaults.migration.mode: unknown migration mode "hybrid"; supported: precopy, postcopy, auto-converge, multifd, xbzrle');
  expect(show(load(`${base}defaults: { migration: { multifdChannels: 0 } }\n`))).toContain(
    'defaults.migration.multifdChannels: multifd channels: 0 is not allowed; allowed: an integer from 1 to 255');
  expect(show(load(`${base}defaults: { migration: { autoConvergeInitialPct: 2.5 } }\n`))).toMatch(
    /defaults\.migration\.autoConvergeInitialPct: .*2\.5 is not allowed; allowed: an integer from 1 to 99/);
  expect(show(load(`${base}defaults: { migration: { postcopy: 3 } }\n`))).toMatch(/unknown field "postcopy"/);
});
