import { test, expect } from '@playwright/test';
import { NETCONF_PROFILES } from '../../platforms/netconf-profiles.js';
import { BASE_10, BASE_11, buildClientHello, negotiateFraming, parseServerHello } from './hello.js';

const srv = (caps: string[], sid = '7', prefix = ''): string => {
  const p = prefix === '' ? '' : `${prefix}:`;
  const ns = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
  return (
    `<?xml version="1.0"?><!-- junos --><${p}hello ${ns}="urn:ietf:params:xml:ns:netconf:base:1.0"><${p}capabilities>` +
    caps.map((c) => `<${p}capability>${c}</${p}capability>`).join('') +
    `</${p}capabilities><${p}session-id>${sid}</${p}session-id></${p}hello>`
  );
};

test('client hello per profile: bases, extra URIs, no session-id', () => {
  const g = buildClientHello(NETCONF_PROFILES.generic);
  expect(g).toContain(BASE_10);
  expect(g).toContain(BASE_11);
  expect(g).not.toContain('session-id');
  const nx = buildClientHello(NETCONF_PROFILES['nxos-xmlagent']);
  expect(nx).not.toContain(BASE_11);
  expect(nx).toContain('<capability>urn:ietf:params:xml:ns:netconf:base:1.0</capability>');
});

test('server hello parsed with and without nc: prefix', () => {
  for (const prefix of ['', 'nc']) {
    const h = parseServerHello(srv([BASE_10, 'urn:ietf:params:netconf:capability:candidate:1.0'], '42', prefix));
    expect(h.sessionId).toBe(42);
    expect(h.capabilities).toContain('urn:ietf:params:netconf:capability:candidate:1.0');
  }
});

test('bad server hellos are refused', () => {
  expect(() => parseServerHello(srv([BASE_10], ''))).toThrow(/session-id/);
  expect(() => parseServerHello(srv([BASE_10], '0'))).toThrow(/session-id/);
  expect(() => parseServerHello('<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>')).toThrow(
    /expected <hello>/,
  );
  expect(() => parseServerHello('<hello xmlns="urn:other"/>')).toThrow(/expected <hello>/);
});

test('framing negotiation: 1.1 when both, 1.0 fallback, clear error without a common base', () => {
  const g = NETCONF_PROFILES.generic;
  expect(negotiateFraming(g, [BASE_10, BASE_11])).toBe('chunked');
  expect(negotiateFraming(g, [BASE_10])).toBe('eom');
  expect(negotiateFraming(g, [BASE_11])).toBe('chunked');
  expect(negotiateFraming(NETCONF_PROFILES['nxos-xmlagent'], [BASE_10, BASE_11])).toBe('eom');
  expect(() => negotiateFraming(NETCONF_PROFILES['nxos-xmlagent'], [BASE_11]))
    .toThrow(/no common NETCONF base: client \(profile nxos-xmlagent\) offers base:1.0, server offers base:1.1/);
});
