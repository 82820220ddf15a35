/**
 * Wire formats of the tunnel strategy's communication agent (lab-assets/tunagent.c). Pure.
 *
 * The agent encapsulates each inner IP packet as (`TunnelEncapsulation`, tunagent `-e`):
 * - `ipip`: IP-in-IP (RFC 2003, RFC 4213): outer IPv4 protocol / IPv6 next header 4 for an inner IPv4
 *   packet, 41 for an inner IPv6 packet, then the inner packet. Nothing else: no flow id, no sequence.
 * - `gre`: GRE (RFC 2784), protocol / next header 47, a 4-byte header (flags 0, version 0, protocol type
 *   0x0800 or 0x86DD). Receivers skip the optional checksum and sequence fields (RFC 2890) and drop
 *   keyed packets (a keyed tunnel's), routing-present or non-zero-version ones; `encodeGre` /
 *   `decodeGre` are the reference of the agent's parser.
 * - `udp`: the agents' own format below.
 * Raw-socket encapsulations (ipip, gre) carry no demultiplexer: one tunnel per endpoint address pair.
 *
 * UDP format: one UDP datagram per inner IP packet, header then the packet, all big-endian.
 *
 * | offset | size | field                                                                  |
 * |-------:|-----:|------------------------------------------------------------------------|
 * |      0 |    4 | magic 0x564d544e ("VMTN")                                              |
 * |      4 |    1 | version, 1                                                              |
 * |      5 |    1 | flags: bit 0 KEEPALIVE (no inner packet); other bits sent 0, ignored   |
 * |      6 |    2 | header length in bytes, 16 (receivers skip unknown trailing fields)    |
 * |      8 |    4 | flow id: both agents of one tunnel share it; other flows are dropped   |
 * |     12 |    4 | sequence number per sender, from 0, +1 per datagram, wraps at 2^32     |
 * |     16 |    … | inner IPv4 or IPv6 packet (version nibble 4 or 6)                      |
 *
 * Receivers drop datagrams with a wrong magic, version, flow id or peer address, or an inner
 * packet that is not IPv4/IPv6, and count every case.
 */
import { defined } from '../model/defined.js';
import type { TunnelEncapsulation } from '../model/testbed.js';

export const TUNNEL_MAGIC = 0x564d544e;
export const TUNNEL_VERSION = 1;
export const TUNNEL_HEADER_BYTES = 16;
export const FLAG_KEEPALIVE = 0x01;

export const GRE_HEADER_BYTES = 4;
export const GRE_PROTO_IPV4 = 0x0800;
export const GRE_PROTO_IPV6 = 0x86dd;
const GRE_C = 0x8000;
const GRE_R = 0x4000;
const GRE_K = 0x2000;
const GRE_S = 0x1000;
/**
 * Strict source route (bit 4) and bit 5 (RFC 2784: receivers discard a packet with any of bits 1-5 set,
 * save K and S of RFC 2890), version (bits 13-15): must be 0. Bits 6-12 are ignored on receipt.
 */
const GRE_MUST_BE_ZERO = 0x0800 | 0x0400 | 0x0007;

/** The agent's default encapsulation (a testbed's `defaults.tunnel.encapsulation` default too). */
export const DEFAULT_ENCAPSULATION: TunnelEncapsulation = 'ipip';

/** IP protocol (IPv4) / next header (IPv6) of the outer packet carrying an inner packet of `inner` family. */
export function outerProtocol(encap: TunnelEncapsulation, inner: 4 | 6): number {
  if (encap === 'gre') return 47;
  if (encap === 'udp') return 17;
  return inner === 4 ? 4 : 41;
}

/** Bytes the encapsulation adds to an inner packet over an `outer`-family path (outer IP header included). */
export function encapOverheadBytes(encap: TunnelEncapsulation, outer: 4 | 6): number {
  const ip = outer === 4 ? 20 : 40;
  if (encap === 'gre') return ip + GRE_HEADER_BYTES;
  if (encap === 'udp') return ip + 8 + TUNNEL_HEADER_BYTES;
  return ip;
}

/** What identifies a running tunnel endpoint on one device, for {@link endpointConflict}. */
export interface TunnelEndpoint {
  readonly tunnel: string;
  readonly local: string;
  readonly remote: string;
  readonly encapsulation: TunnelEncapsulation;
}

/**
 * The running endpoint of the same device that `next` could not be told apart from, if any: ipip and gre
 * carry no flow id, so two tunnels of one encapsulation between the same addresses would both take
 * every packet (the other tunnel's too). udp tunnels differ by port and flow id.
 */
export function endpointConflict(
  running: Iterable<TunnelEndpoint>,
  next: TunnelEndpoint,
): TunnelEndpoint | undefined {
  if (next.encapsulation === 'udp') return undefined;
  for (const r of running) {
    if (r.tunnel !== next.tunnel && r.encapsulation === next.encapsulation && r.local === next.local &&
      r.remote === next.remote) return r;
  }
  return undefined;
}

/** Internet checksum (RFC 1071) of `b`: 0 over a packet that carries its own correct checksum. */
export function internetChecksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  if (b.length % 2 === 1) s += (b[b.length - 1] ?? 0) << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Optional GRE fields (RFC 2784 checksum, RFC 2890 key and sequence number) and raw flag bits for tests. */
export interface GreOptions {
  readonly checksum?: boolean;
  readonly key?: number;
  readonly seq?: number;
  /** OR-ed into the flags word as is (reserved bits, version): to build packets receivers must drop. */
  readonly extraFlags?: number;
  /** Protocol type; default from the inner packet's version nibble. */
  readonly protocolType?: number;
}

/** A GRE packet (what follows the outer IP header) carrying `inner`; the agent sends the 4-byte form. */
export function encodeGre(inner: Uint8Array, o: GreOptions = {}): Uint8Array {
  const ptype = o.protocolType ?? (((inner[0] ?? 0) >> 4) === 6 ? GRE_PROTO_IPV6 : GRE_PROTO_IPV4);
  const flags = (o.checksum === true ? GRE_C : 0) | (o.key === undefined ? 0 : GRE_K) |
    (o.seq === undefined ? 0 : GRE_S) | ((o.extraFlags ?? 0) & 0xffff);
  const hl = GRE_HEADER_BYTES + (o.checksum === true ? 4 : 0) + (o.key === undefined ? 0 : 4) +
    (o.seq === undefined ? 0 : 4);
  const out = new Uint8Array(hl + inner.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, flags);
  dv.setUint16(2, ptype);
  let at = GRE_HEADER_BYTES + (o.checksum === true ? 4 : 0);
  if (o.key !== undefined) { dv.setUint32(at, o.key >>> 0); at += 4; }
  if (o.seq !== undefined) dv.setUint32(at, o.seq >>> 0);
  out.set(inner, hl);
  if (o.checksum === true) dv.setUint16(4, internetChecksum(out));
  return out;
}

export type GreDecodeResult =
  | { readonly ok: true; readonly protocolType: number; readonly headerBytes: number; readonly inner: Uint8Array;
    readonly innerFamily: 4 | 6 }
  | { readonly ok: false; readonly reason: 'short' | 'gre_flags' | 'gre_csum' | 'gre_key' | 'gre_proto' | 'inner' };

/**
 * The agent's GRE receive rules (drop reasons as its counters name them, `drop_<reason>`): version 0,
 * none of bits 1 (routing), 4 and 5 set (bits 6-12 are ignored); checksum verified when present; a key means
 * another (keyed) tunnel; protocol type IPv4 or IPv6, matching the inner packet's version.
 */
export function decodeGre(d: Uint8Array): GreDecodeResult {
  if (d.length < GRE_HEADER_BYTES) return { ok: false, reason: 'short' };
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const flags = dv.getUint16(0);
  const protocolType = dv.getUint16(2);
  if ((flags & (GRE_R | GRE_MUST_BE_ZERO)) !== 0) return { ok: false, reason: 'gre_flags' };
  const headerBytes = GRE_HEADER_BYTES + ((flags & GRE_C) !== 0 ? 4 : 0) + ((flags & GRE_K) !== 0 ? 4 : 0) +
    ((flags & GRE_S) !== 0 ? 4 : 0);
  if (d.length < headerBytes) return { ok: false, reason: 'short' };
  if ((flags & GRE_C) !== 0 && internetChecksum(d) !== 0) return { ok: false, reason: 'gre_csum' };
  if ((flags & GRE_K) !== 0) return { ok: false, reason: 'gre_key' };
  if (protocolType !== GRE_PROTO_IPV4 && protocolType !== GRE_PROTO_IPV6) return { ok: false, reason: 'gre_proto' };
  const inner = d.subarray(headerBytes);
  const want = protocolType === GRE_PROTO_IPV4 ? 4 : 6;
  const v = (inner[0] ?? 0) >> 4;
  if (v !== want || inner.length < (want === 4 ? 20 : 40)) return { ok: false, reason: 'inner' };
  return { ok: true, protocolType, headerBytes, inner, innerFamily: want };
}

export interface TunnelHeader {
  readonly version: number;
  readonly flags: number;
  readonly flowId: number;
  readonly seq: number;
  /** Header length as sent (≥ 16); the inner packet starts there. */
  readonly headerBytes: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly header: TunnelHeader; readonly inner: Uint8Array; readonly innerFamily?: 4 | 6 }
  | { readonly ok: false; readonly reason: 'short' | 'magic' | 'version' | 'inner' };

/** Header + inner packet as one datagram. */
export function encodeDatagram(h: { flowId: number; seq: number; flags?: number }, inner: Uint8Array): Uint8Array {
  const out = new Uint8Array(TUNNEL_HEADER_BYTES + inner.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, TUNNEL_MAGIC);
  dv.setUint8(4, TUNNEL_VERSION);
  dv.setUint8(5, (h.flags ?? 0) & 0xff);
  dv.setUint16(6, TUNNEL_HEADER_BYTES);
  dv.setUint32(8, h.flowId >>> 0);
  dv.setUint32(12, h.seq >>> 0);
  out.set(inner, TUNNEL_HEADER_BYTES);
  return out;
}

/** Validates and splits a datagram (flow and peer checks are the caller's: they need config). */
export function decodeDatagram(d: Uint8Array): DecodeResult {
  if (d.length < 8) return { ok: false, reason: 'short' };
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  if (dv.getUint32(0) !== TUNNEL_MAGIC) return { ok: false, reason: 'magic' };
  const headerBytes = dv.getUint16(6);
  if (dv.getUint8(4) !== TUNNEL_VERSION || headerBytes < TUNNEL_HEADER_BYTES) return { ok: false, reason: 'version' };
  if (d.length < headerBytes) return { ok: false, reason: 'short' };
  const header: TunnelHeader = { version: dv.getUint8(4), flags: dv.getUint8(5), flowId: dv.getUint32(8),
    seq: dv.getUint32(12), headerBytes };
  const inner = d.subarray(headerBytes);
  if ((header.flags & FLAG_KEEPALIVE) !== 0) return { ok: true, header, inner };
  const v = inner.length > 0 ? (inner[0] ?? 0) >> 4 : 0;
  if ((v === 4 && inner.length >= 20) || (v === 6 && inner.length >= 40)) {
    return { ok: true, header, inner, innerFamily: v };
  }
  return { ok: false, reason: 'inner' };
}

/** FNV-1a 32-bit of the tunnel name: both ends derive the same flow id without coordination. */
export function flowIdOf(tunnel: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(tunnel)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** UDP port both agents of a tunnel use: 47000–47999 from the flow id (clear of VXLAN's 4789). */
export function portOf(tunnel: string): number {
  return 47000 + (flowIdOf(tunnel) % 1000);
}

/**
 * Interface name for a tunnel: the name itself when it is a valid Linux ifname (≤ 15 bytes, no
 * `/`, `:` or spaces, not `.`/`..`), else `vt-` + 8 hex digits of its flow id.
 */
export function tunIfName(tunnel: string): string {
  if (/^[A-Za-z0-9_.-]{1,15}$/.test(tunnel) && tunnel !== '.' && tunnel !== '..') return tunnel;
  return `vt-${flowIdOf(tunnel).toString(16).padStart(8, '0')}`;
}

/** `tunagent-counters key=value …` → numbers (strings kept for tun/why/encap). */
export interface AgentCounters {
  readonly why?: string;
  readonly tun?: string;
  /** Encapsulation the agent ran with (absent from agents that predate it: udp). */
  readonly encap?: string;
  readonly values: Readonly<Record<string, number>>;
}

export function parseCounters(line: string): AgentCounters | undefined {
  if (!line.startsWith('tunagent-counters ')) return undefined;
  const values: Record<string, number> = {};
  let why: string | undefined;
  let tun: string | undefined;
  let encap: string | undefined;
  for (const kv of line.slice('tunagent-counters '.length).trim().split(/\s+/)) {
    const i = kv.indexOf('=');
    if (i <= 0) continue;
    const k = kv.slice(0, i);
    const v = kv.slice(i + 1);
    if (k === 'why') why = v;
    else if (k === 'tun') tun = v;
    else if (k === 'encap') encap = v;
    else if (/^\d+$/.test(v)) values[k] = Number(v);
  }
  return { ...defined({ why, tun, encap }), values };
}

/** The inverse of {@link parseCounters}: relays counters as the agent prints them (remote agent bundle). */
export function formatCounters(c: AgentCounters): string {
  const head = [...(c.why === undefined ? [] : [`why=${c.why}`]), ...(c.tun === undefined ? [] : [`tun=${c.tun}`]),
    ...(c.encap === undefined ? [] : [`encap=${c.encap}`])];
  const kv = Object.entries(c.values).map(([k, v]) => `${k}=${v}`);
  return `tunagent-counters ${[...head, ...kv].join(' ')}`;
}
