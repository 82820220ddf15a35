import { test, expect } from '@playwright/test';
import {
  DEFAULT_ENCAPSULATION, FLAG_KEEPALIVE, GRE_HEADER_BYTES, GRE_PROTO_IPV4, TUNNEL_HEADER_BYTES, decodeDatagram,
  decodeGre, encapOverheadBytes, encodeDatagram, encodeGre, endpointConflict, flowIdOf, formatCounters,
  internetChecksum, outerProtocol, parseCounters, portOf, tunIfName,
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

test('counter lines carry the encapsulation through parse and format', () => {
  const line = 'tunagent-counters why=dump tun=tn0 encap=gre flow=5 rx_tun=10 tx_gre=9 drop_gre_key=1';
  const c = parseCounters(line)!;
  expect(c).toEqual({ why: 'dump', tun: 'tn0', encap: 'gre', values: { flow: 5, rx_tun: 10, tx_gre: 9, drop_gre_key: 1 } });
  expect(formatCounters(c)).toBe(line);
});

test('outer protocol and overhead per encapsulation', () => {
  expect([outerProtocol('ipip', 4), outerProtocol('ipip', 6), outerProtocol('gre', 4), outerProtocol('gre', 6),
    outerProtocol('udp', 6)]).toEqual([4, 41, 47, 47, 17]);
  expect([encapOverheadBytes('ipip', 4), encapOverheadBytes('ipip', 6), encapOverheadBytes('gre', 4),
    encapOverheadBytes('gre', 6), encapOverheadBytes('udp', 4), encapOverheadBytes('udp', 6)])
    .toEqual([20, 40, 24, 44, 44, 64]);
  expect(DEFAULT_ENCAPSULATION).toBe('ipip');
});

test('GRE: golden 4-byte header per inner family, round trip', () => {
  expect(Array.from(encodeGre(ipv4).subarray(0, 4))).toEqual([0, 0, 0x08, 0x00]);
  expect(Array.from(encodeGre(ipv6).subarray(0, 4))).toEqual([0, 0, 0x86, 0xdd]);
  expect(encodeGre(ipv4).length).toBe(GRE_HEADER_BYTES + 20);
  for (const [inner, fam] of [[ipv4, 4], [ipv6, 6]] as const) {
    const r = decodeGre(encodeGre(inner));
    expect(r).toMatchObject({ ok: true, headerBytes: 4, innerFamily: fam });
    if (r.ok) expect(Array.from(r.inner)).toEqual(Array.from(inner));
  }
});

test('GRE: checksum and sequence fields are skipped, a bad checksum or a key drops the packet', () => {
  const cs = encodeGre(ipv4, { checksum: true, seq: 77 });
  expect(Array.from(cs.subarray(0, 4))).toEqual([0x90, 0, 0x08, 0x00]);
  expect(internetChecksum(cs)).toBe(0);
  expect(decodeGre(cs)).toMatchObject({ ok: true, headerBytes: 12, innerFamily: 4 });
  const broken = Uint8Array.from(cs);
  broken[cs.length - 1] = (broken[cs.length - 1] ?? 0) ^ 0x01;
  expect(decodeGre(broken)).toEqual({ ok: false, reason: 'gre_csum' });
  expect(decodeGre(encodeGre(ipv6, { key: 5 }))).toEqual({ ok: false, reason: 'gre_key' });
  expect(decodeGre(encodeGre(ipv6, { key: 5, seq: 1 }).subarray(0, 10))).toEqual({ ok: false, reason: 'short' });
});

test('GRE: version, routing and bits 4-5 drop; reserved bits 6-12 are ignored; other protocols drop', () => {
  expect(decodeGre(encodeGre(ipv4, { extraFlags: 1 }))).toEqual({ ok: false, reason: 'gre_flags' }); // PPTP's v1
  expect(decodeGre(encodeGre(ipv4, { extraFlags: 0x4000 }))).toEqual({ ok: false, reason: 'gre_flags' });
  expect(decodeGre(encodeGre(ipv4, { extraFlags: 0x0800 }))).toEqual({ ok: false, reason: 'gre_flags' });
  expect(decodeGre(encodeGre(ipv4, { extraFlags: 0x0400 }))).toEqual({ ok: false, reason: 'gre_flags' });
  expect(decodeGre(encodeGre(ipv4, { extraFlags: 0x0200 | 0x0008 }))).toMatchObject({ ok: true });
  expect(decodeGre(encodeGre(ipv4, { protocolType: 0x6558 }))).toEqual({ ok: false, reason: 'gre_proto' });
  expect(decodeGre(encodeGre(ipv6, { protocolType: GRE_PROTO_IPV4 }))).toEqual({ ok: false, reason: 'inner' });
  expect(decodeGre(Uint8Array.from([0, 0, 8]))).toEqual({ ok: false, reason: 'short' });
});

test('raw-socket tunnels between the same addresses conflict; udp ones and other encapsulations do not', () => {
  const a = { tunnel: 't1', local: '198.18.0.1', remote: '198.18.0.2', encapsulation: 'ipip' } as const;
  expect(endpointConflict([a], { ...a, tunnel: 't2' })).toBe(a);
  expect(endpointConflict([a], { ...a })).toBeUndefined(); // itself (an idempotent restart)
  expect(endpointConflict([a], { ...a, tunnel: 't2', encapsulation: 'gre' })).toBeUndefined();
  expect(endpointConflict([a], { ...a, tunnel: 't2', remote: '198.18.0.3' })).toBeUndefined();
  const u = { ...a, encapsulation: 'udp' } as const;
  expect(endpointConflict([u], { ...u, tunnel: 't2' })).toBeUndefined();
});
