/**
 * Control header of the tunnel strategy's communication agent (lab-assets/tunagent.c). Pure.
 *
 * Wire format: one UDP datagram per inner IP packet, header then the packet, all big-endian.
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

export const TUNNEL_MAGIC = 0x564d544e;
export const TUNNEL_VERSION = 1;
export const TUNNEL_HEADER_BYTES = 16;
export const FLAG_KEEPALIVE = 0x01;

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

/** `tunagent-counters key=value …` → numbers (strings kept for tun/why). */
export interface AgentCounters {
  readonly why?: string;
  readonly tun?: string;
  readonly values: Readonly<Record<string, number>>;
}

export function parseCounters(line: string): AgentCounters | undefined {
  if (!line.startsWith('tunagent-counters ')) return undefined;
  const values: Record<string, number> = {};
  let why: string | undefined;
  let tun: string | undefined;
  for (const kv of line.slice('tunagent-counters '.length).trim().split(/\s+/)) {
    const i = kv.indexOf('=');
    if (i <= 0) continue;
    const k = kv.slice(0, i);
    const v = kv.slice(i + 1);
    if (k === 'why') why = v;
    else if (k === 'tun') tun = v;
    else if (/^\d+$/.test(v)) values[k] = Number(v);
  }
  return { ...defined({ why, tun }), values };
}

/** The inverse of {@link parseCounters}: relays counters as the agent prints them (remote agent bundle). */
export function formatCounters(c: AgentCounters): string {
  const head = [...(c.why === undefined ? [] : [`why=${c.why}`]), ...(c.tun === undefined ? [] : [`tun=${c.tun}`])];
  const kv = Object.entries(c.values).map(([k, v]) => `${k}=${v}`);
  return `tunagent-counters ${[...head, ...kv].join(' ')}`;
}
