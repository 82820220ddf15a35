import { expect, test } from '@playwright/test';
import { contains, formatIpv6, isMac, isNetwork, overlaps, parseCidr, parseIpv4, parseIpv6 } from './ip.js';

test('IPv4 parsing accepts dotted quads only', () => {
  expect(parseIpv4('198.18.10.1')).toBe(0xc6120a01n);
  for (const bad of ['198.18.10', '256.1.1.1', '01.2.3.4', '1.2.3.4.5', '', 'a.b.c.d'])
    expect(parseIpv4(bad)).toBeUndefined();
});

test('IPv6 parsing handles compression and embedded IPv4', () => {
  expect(parseIpv6('2001:2::1')).toBe((0x2001n << 112n) | (0x2n << 96n) | 1n);
  expect(parseIpv6('::')).toBe(0n);
  expect(parseIpv6('::ffff:198.18.0.1')).toBe((0xffffn << 32n) | 0xc6120001n);
  for (const bad of ['2001:::1', '1:2:3:4:5:6:7:8:9', 'g::1', '1::2::3', '12345::', ':1'])
    expect(parseIpv6(bad)).toBeUndefined();
  expect(formatIpv6(parseIpv6('2001:2:0:10:0:0:0:100') ?? 0n)).toBe('2001:2:0:10::100');
});

test('prefix arithmetic: containment, overlap, host bits', () => {
  const p = parseCidr('198.18.10.0/24');
  const q = parseCidr('198.18.0.0/15');
  const r = parseCidr('198.18.11.0/24');
  if (p === undefined || q === undefined || r === undefined) throw new Error('parse');
  expect(contains(p, 4, parseIpv4('198.18.10.200') ?? 0n)).toBe(true);
  expect(contains(p, 4, parseIpv4('198.18.11.1') ?? 0n)).toBe(false);
  expect(overlaps(p, q)).toBe(true);
  expect(overlaps(p, r)).toBe(false);
  expect(isNetwork(parseCidr('198.18.10.1/24') ?? p)).toBe(false);
  expect(parseCidr('198.18.10.0/33')).toBeUndefined();
  expect(parseCidr('2001:2:0:10::/64')?.len).toBe(64);
});

test('MAC addresses', () => {
  expect(isMac('52:54:00:12:0a:64')).toBe(true);
  expect(isMac('52:54:00:12:0a')).toBe(false);
  expect(isMac('52-54-00-12-0a-64')).toBe(false);
});
