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
  const file = join(mkdtempSync(join(tmpdir(), 'vmmi-tun-')), 'tb.yaml');
  writeFileSync(file, text);
  return validateTestbedText(text, file, { env: {} });
}

const show = (r: ReturnType<typeof validateTestbedText>): string =>
  r.ok ? 'ok' : r.issues.map((i) => `${i.path}: ${i.message}`).join('\n');

test('the tunnel encapsulation defaults to ipip, with or without a defaults.tunnel block', () => {
  for (const text of [base, `${base}defaults: { tunnel: {} }\n`, `${base}defaults: { migration: { strategy: tunnel } }\n`]) {
    const r = load(text);
    expect(r.ok, show(r)).toBe(true);
    if (r.ok) expect(r.testbed.tunnel).toEqual({ encapsulation: 'ipip' });
  }
});

test('gre and udp are taken as written', () => {
  for (const e of ['gre', 'udp', 'ipip'] as const) {
    const r = load(`${base}defaults:\n  tunnel:\n    encapsulation: ${e}\n`);
    expect(r.ok, show(r)).toBe(true);
    if (r.ok) expect(r.testbed.tunnel?.encapsulation).toBe(e);
  }
});

test('a bad encapsulation names its path and the supported values; unknown keys and types are refused', () => {
  expect(show(load(`${base}defaults: { tunnel: { encapsulation: vxlan } }\n`))).toContain(
    'defaults.tunnel.encapsulation: unknown tunnel encapsulation "vxlan"; supported: ipip, gre, udp',
  );
  expect(show(load(`${base}defaults: { tunnel: { encapsulation: GRE } }\n`))).toContain(
    'defaults.tunnel.encapsulation: unknown tunnel encapsulation "GRE"; supported: ipip, gre, udp',
  );
  expect(show(load(`${base}defaults: { tunnel: { encap: gre } }\n`))).toMatch(/defaults\.tunnel\.encap: unknown field "encap"/);
  expect(show(load(`${base}defaults: { tunnel: gre }\n`))).toMatch(/defaults\.tunnel: expected a mapping, got the string "gre"/);
});
