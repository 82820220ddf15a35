import { test, expect } from '@playwright/test';
import {
  FLAG_KEEPALIVE, TUNNEL_HEADER_BYTES, decodeDatagram, encodeDatagram, flowIdOf, formatCounters, parseCounters, portOf,
  tunIfName,
} from './header.js';

/** Minimal IPv4 header (20 bytes, version 4, IHL 5) and IPv6 header (40 bytes). */
const ipv4 = Uint8Array.from([0x45, 0, 0, 20, ...new Array<number>(16).fill(0)]);
const ipv6 = Uint8Array.from([0x60, ...new Array<number>(39).fill(0)]);

test('golden bytes of the 16-byte control header', () => {
  const d = encodeDatagram({ flowId: 0x01020304, seq: 0xfffffffe }, ipv4);
  expect(Array.from(d.subarray(0, TUNNEL_HEADER_BYTES))).toEqual([
    0x56, 0x4d, 0x54, 0x4e, 1, 0, 0, 16, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xfe]);
  expect(Array.from(d.subarray(TUNNEL_HEADER_BYTES))).toEqual(Array.from(ipv4));
});

test('round trip for IPv4 and IPv6 inner packets and a keepalive', () => {
  for (const [inner, fam] of [[ipv4, 4], [ipv6, 6]] as const) {
    const r = decodeDatagram(encodeDatagram({ flowId: 7, seq: 42 }, inner));
    expect(r).toMatchObject({
      ok: true,
      header: { version: 1, flags: 0, flowId: 7, seq: 42, headerBytes: 16 },
      innerFamily: fam,
    });
    if (r.ok) expect(Array.from(r.inner)).toEqual(Array.from(inner));
  }
  const ka = decodeDatagram(encodeDatagram({ flowId: 7, seq: 1, flags: FLAG_KEEPALIVE }, new Uint8Array()));
  expect(ka).toMatchObject({ ok: true, header: { flags: 1 } });
});

test('rejects short, foreign, future-version and non-IP datagrams; skips a longer header', () => {
  expect(decodeDatagram(new Uint8Array(7))).toEqual({ ok: false, reason: 'short' });
  const bad = encodeDatagram({ flowId: 1, seq: 0 }, ipv4);
  bad[0] = 0x00;
  expect(decodeDatagram(bad)).toEqual({ ok: false, reason: 'magic' });
  const v2 = encodeDatagram({ flowId: 1, seq: 0 }, ipv4);
  v2[4] = 2;
  expect(decodeDatagram(v2)).toEqual({ ok: false, reason: 'version' });
  expect(decodeDatagram(encodeDatagram({ flowId: 1, seq: 0 }, Uint8Array.from([0x45, 0, 0])))).toEqual({
    ok: false,
    reason: 'inner',
  });
  expect(decodeDatagram(encodeDatagram({ flowId: 1, seq: 0 }, Uint8Array.from([0x20, ...ipv4.subarray(1)])))).toEqual({
    ok: false,
    reason: 'inner',
  });
  // a version-1 sender with a 20-byte header: the receiver starts the inner packet at 20
  const long = new Uint8Array(20 + ipv6.length);
  long.set(encodeDatagram({ flowId: 9, seq: 3 }, new Uint8Array()).subarray(0, 16));
  long[7] = 20;
  long.set(ipv6, 20);
  expect(decodeDatagram(long)).toMatchObject({ ok: true, header: { headerBytes: 20 }, innerFamily: 6 });
  const trunc = encodeDatagram({ flowId: 1, seq: 0 }, ipv4).subarray(0, 12);
  expect(decodeDatagram(trunc)).toEqual({ ok: false, reason: 'short' });
});

test('flow id, port and interface name are deterministic per tunnel name', () => {
  expect(flowIdOf('a')).toBe(0xe40c292c); // FNV-1a reference value
  expect(flowIdOf('')).toBe(0x811c9dc5);
  expect(flowIdOf('vmmi-vm1-siteB')).toBe(flowIdOf('vmmi-vm1-siteB'));
  expect(flowIdOf('vmmi-vm1-siteB')).not.toBe(flowIdOf('vmmi-vm1-siteA'));
  const p = portOf('vmmi-vm1-siteB');
  expect(p).toBeGreaterThanOrEqual(47000);
  expect(p).toBeLessThan(48000);
  expect(tunIfName('vmmi-vm1-siteB')).toBe('vmmi-vm1-siteB');
  expect(tunIfName('vmmi-database-primary-siteB')).toMatch(/^vt-[0-9a-f]{8}$/);
  expect(tunIfName('a b')).toMatch(/^vt-/);
});

test('agent counter line parses into numbers', () => {
  const c = parseCounters('tunagent-counters why=stdin-closed tun=tn0 flow=5 rx_tun=10 tx_udp=9 drop_flow=1');
  expect(c).toEqual({ why: 'stdin-closed', tun: 'tn0', values: { flow: 5, rx_tun: 10, tx_udp: 9, drop_flow: 1 } });
  expect(parseCounters('tunagent-ready tun=x')).toBeUndefined();
});

test('formatCounters is the inverse of parseCounters (the remote agent relays counter lines)', () => {
  const line = 'tunagent-counters why=dump tun=tn0 flow=5 rx_tun=10 tx_udp=9 drop_flow=1';
  const c = parseCounters(line)!;
  expect(formatCounters(c)).toBe(line);
  expect(parseCounters(formatCounters({ values: { v4_in: 3 } }))).toEqual({ values: { v4_in: 3 } });
});
