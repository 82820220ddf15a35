/**
 * UDP probe payload (big-endian), echoed unchanged by every vmmi reflector (the TypeScript one and
 * the guest's C `udprefl`):
 *
 * | offset | size | field                                   |
 * |--------|------|-----------------------------------------|
 * | 0      | 4    | magic 0x4c414221 ("LAB!")               |
 * | 4      | 2    | flow id                                 |
 * | 6      | 1    | version (1)                             |
 * | 7      | 1    | flags (0)                               |
 * | 8      | 4    | sequence number (u32)                   |
 * | 12     | 8    | send time, ms since probe start (f64)   |
 * | 20     | …    | zero padding up to the configured size  |
 *
 * Pure: no I/O, no clock.
 */
export const PROBE_MAGIC = 0x4c414221;
export const PROBE_VERSION = 1;
export const PROBE_HEADER_BYTES = 20;

export interface ProbeHeader {
  readonly flowId: number;
  readonly seq: number;
  /** Send time carried in the payload, ms since the probe's start. */
  readonly sendMs: number;
}

/** Encodes one probe payload of `size` bytes (≥ 20) into a fresh array. */
export function encodeProbe(h: ProbeHeader, size = PROBE_HEADER_BYTES): Uint8Array {
  const buf = new Uint8Array(Math.max(size, PROBE_HEADER_BYTES));
  writeProbe(buf, h);
  return buf;
}

/** Writes the header into `buf` (which must hold ≥ 20 bytes); padding is left as is. */
export function writeProbe(buf: Uint8Array, h: ProbeHeader): void {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  v.setUint32(0, PROBE_MAGIC);
  v.setUint16(4, h.flowId);
  v.setUint8(6, PROBE_VERSION);
  v.setUint8(7, 0);
  v.setUint32(8, h.seq >>> 0);
  v.setFloat64(12, h.sendMs);
}

/** Why a datagram is not one of ours. */
export type DecodeFailure = 'short' | 'magic' | 'version';

/** Decodes an echoed payload; a foreign or damaged datagram is a value, not an exception. */
export function decodeProbe(buf: Uint8Array): ProbeHeader | DecodeFailure {
  if (buf.byteLength < PROBE_HEADER_BYTES) return 'short';
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (v.getUint32(0) !== PROBE_MAGIC) return 'magic';
  if (v.getUint8(6) !== PROBE_VERSION) return 'version';
  return { flowId: v.getUint16(4), seq: v.getUint32(8), sendMs: v.getFloat64(12) };
}

/**
 * Matches an echo to the flow that sent it: the flow id must be known, the sequence number must
 * have been sent, and the carried send time must equal the one recorded (an echo of a stale or
 * forged packet does not count as a reply).
 */
export function matchReply(
  h: ProbeHeader,
  flows: ReadonlyMap<number, { readonly sent: number; sendMsOf(seq: number): number | undefined }>,
): 'ok' | 'unknown-flow' | 'unsent-seq' | 'time-mismatch' {
  const f = flows.get(h.flowId);
  if (f === undefined) return 'unknown-flow';
  if (h.seq >= f.sent) return 'unsent-seq';
  return f.sendMsOf(h.seq) === h.sendMs ? 'ok' : 'time-mismatch';
}
