/**
 * XDR (RFC 4506) as libvirt's remote protocol uses it. Pure: no node:*, no I/O.
 * Every item is a multiple of 4 bytes, big-endian; hypers travel as bigint.
 */
import { ProtocolError } from '../../errors/classes.js';

/** libvirt's REMOTE_STRING_MAX (4 MiB): the longest string or opaque vmmi accepts. */
export const XDR_STRING_MAX = 4 * 1024 * 1024;
/** VIR_TYPED_PARAM_FIELD_LENGTH: field names are < 80 bytes including the NUL. */
export const TYPED_PARAM_FIELD_MAX = 79;

const utf8 = new TextEncoder();
const utf8Decode = new TextDecoder('utf-8', { fatal: true });

/** Typed-parameter value, tagged with libvirt's `virTypedParameterType` (INT 1 … STRING 7). */
export type TypedValue =
  | { readonly type: 1; readonly value: number } // INT
  | { readonly type: 2; readonly value: number } // UINT
  | { readonly type: 3; readonly value: bigint } // LLONG
  | { readonly type: 4; readonly value: bigint } // ULLONG
  | { readonly type: 5; readonly value: number } // DOUBLE
  | { readonly type: 6; readonly value: boolean } // BOOLEAN
  | { readonly type: 7; readonly value: string }; // STRING

export type TypedParam = { readonly field: string } & TypedValue;

function xdrError(msg: string): ProtocolError {
  return new ProtocolError(msg, { code: 'XDR' });
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** Growable XDR writer. */
export class XdrEncoder {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  private reserve(n: number): number {
    if (this.len + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.len + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  int(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw xdrError(`int out of range: ${v}`);
    const at = this.reserve(4); // reserve() may replace the view: take the offset first
    this.view.setInt32(at, v);
    return this;
  }
  uint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw xdrError(`unsigned int out of range: ${v}`);
    const at = this.reserve(4); // reserve() may replace the view: take the offset first
    this.view.setUint32(at, v);
    return this;
  }
  hyper(v: bigint): this {
    if (v < -(1n << 63n) || v >= 1n << 63n) throw xdrError(`hyper out of range: ${v}`);
    const at = this.reserve(8); // reserve() may replace the view: take the offset first
    this.view.setBigInt64(at, v);
    return this;
  }
  uhyper(v: bigint): this {
    if (v < 0n || v >= 1n << 64n) throw xdrError(`unsigned hyper out of range: ${v}`);
    const at = this.reserve(8); // reserve() may replace the view: take the offset first
    this.view.setBigUint64(at, v);
    return this;
  }
  double(v: number): this {
    const at = this.reserve(8); // reserve() may replace the view: take the offset first
    this.view.setFloat64(at, v);
    return this;
  }
  bool(v: boolean): this {
    return this.int(v ? 1 : 0);
  }
  /** Fixed-length opaque (e.g. a 16-byte UUID): exactly `size` bytes plus padding. */
  opaqueFixed(bytes: Uint8Array, size: number): this {
    if (bytes.length !== size) throw xdrError(`fixed opaque needs ${size} bytes, got ${bytes.length}`);
    const at = this.reserve(size + pad4(size));
    this.buf.set(bytes, at);
    this.buf.fill(0, at + size, at + size + pad4(size));
    return this;
  }
  opaque(bytes: Uint8Array, max = XDR_STRING_MAX): this {
    if (bytes.length > max) throw xdrError(`opaque of ${bytes.length} bytes exceeds max ${max}`);
    this.uint(bytes.length);
    return this.opaqueFixed(bytes, bytes.length);
  }
  string(s: string, max = XDR_STRING_MAX): this {
    return this.opaque(utf8.encode(s), max);
  }
  /** Optional `T*`: 0, or 1 followed by the value. */
  optional<T>(v: T | undefined | null, write: (e: this, v: T) => void): this {
    if (v === undefined || v === null) return this.uint(0);
    this.uint(1);
    write(this, v);
    return this;
  }
  array<T>(items: readonly T[], write: (e: this, v: T) => void, max = Number.MAX_SAFE_INTEGER): this {
    if (items.length > max) throw xdrError(`array of ${items.length} items exceeds max ${max}`);
    this.uint(items.length);
    for (const it of items) write(this, it);
    return this;
  }
  typedParam(p: TypedParam): this {
    if (utf8.encode(p.field).length > TYPED_PARAM_FIELD_MAX) throw xdrError(`typed param field too long: ${p.field}`);
    this.string(p.field).int(p.type);
    switch (p.type) {
      case 1: return this.int(p.value);
      case 2: return this.uint(p.value);
      case 3: return this.hyper(p.value);
      case 4: return this.uhyper(p.value);
      case 5: return this.double(p.value);
      case 6: return this.bool(p.value);
      case 7: return this.string(p.value);
    }
  }
  typedParams(ps: readonly TypedParam[], max = 64): this {
    return this.array(ps, (e, p) => e.typedParam(p), max);
  }
  /** The bytes written so far (a view; copy before reusing the encoder). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** XDR reader over one payload; every read checks bounds and throws ProtocolError(XDR). */
export class XdrDecoder {
  private readonly view: DataView;
  private off = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.off;
  }
  private take(n: number, what: string): number {
    if (this.off + n > this.buf.length) {
      throw xdrError(`truncated ${what}: need ${n} bytes at offset ${this.off}, have ${this.remaining}`);
    }
    const at = this.off;
    this.off += n;
    return at;
  }

  int(): number {
    return this.view.getInt32(this.take(4, 'int'));
  }
  uint(): number {
    return this.view.getUint32(this.take(4, 'unsigned int'));
  }
  hyper(): bigint {
    return this.view.getBigInt64(this.take(8, 'hyper'));
  }
  uhyper(): bigint {
    return this.view.getBigUint64(this.take(8, 'unsigned hyper'));
  }
  double(): number {
    return this.view.getFloat64(this.take(8, 'double'));
  }
  bool(): boolean {
    const v = this.int();
    if (v !== 0 && v !== 1) throw xdrError(`bool must be 0 or 1, got ${v}`);
    return v === 1;
  }
  opaqueFixed(size: number): Uint8Array {
    const at = this.take(size + pad4(size), 'opaque');
    return this.buf.slice(at, at + size);
  }
  opaque(max = XDR_STRING_MAX): Uint8Array {
    const n = this.uint();
    if (n > max) throw xdrError(`opaque length ${n} exceeds max ${max}`);
    return this.opaqueFixed(n);
  }
  string(max = XDR_STRING_MAX): string {
    const bytes = this.opaque(max);
    try {
      return utf8Decode.decode(bytes);
    } catch (cause) {
      throw new ProtocolError('string is not valid UTF-8', { code: 'XDR', cause });
    }
  }
  optional<T>(read: (d: this) => T): T | undefined {
    const flag = this.uint();
    if (flag === 0) return undefined;
    if (flag !== 1) throw xdrError(`optional flag must be 0 or 1, got ${flag}`);
    return read(this);
  }
  array<T>(read: (d: this) => T, max = 1 << 20): T[] {
    const n = this.uint();
    if (n > max) throw xdrError(`array count ${n} exceeds max ${max}`);
    // Each item takes at least 4 bytes: a count larger than what is left is a lie; refuse before looping.
    if (n * 4 > this.remaining) throw xdrError(`array count ${n} larger than the ${this.remaining} bytes left`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(read(this));
    return out;
  }
  typedParam(): TypedParam {
    const field = this.string(TYPED_PARAM_FIELD_MAX);
    const type = this.int();
    switch (type) {
      case 1: return { field, type, value: this.int() };
      case 2: return { field, type, value: this.uint() };
      case 3: return { field, type, value: this.hyper() };
      case 4: return { field, type, value: this.uhyper() };
      case 5: return { field, type, value: this.double() };
      case 6: return { field, type, value: this.int() !== 0 };
      case 7: return { field, type, value: this.string() };
      default: throw xdrError(`unknown typed parameter type ${type} for field "${field}"`);
    }
  }
  typedParams(max = 64): TypedParam[] {
    return this.array((d) => d.typedParam(), max);
  }
  /** Throws when bytes are left over: a payload longer than its shape means the codecs disagree. */
  end(what: string): void {
    if (this.remaining !== 0) throw xdrError(`${this.remaining} trailing bytes after ${what}`);
  }
}

/** Formats a 16-byte UUID as the canonical 8-4-4-4-12 string. */
export function uuidToString(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Parses a UUID string (with or without dashes) into 16 bytes. */
export function uuidFromString(s: string): Uint8Array {
  const h = s.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(h)) throw xdrError(`not a UUID: "${s}"`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}
