/**
 * NETCONF message framing (RFC 6242), pure: bytes in, messages out.
 *
 * - `eom`: base:1.0 end-of-message, every message followed by `]]>]]>` (hellos always use it).
 * - `chunked`: base:1.1, `\n#<size>\n<data>` chunks then `\n##\n`; size is decimal octets,
 *   1..4294967295, no leading zeros.
 *
 * Decoding works on bytes and decodes UTF-8 once per complete message, so a split anywhere (also
 * inside a multi-byte sequence) is harmless. Any malformed header or a message above the size limit
 * is a fatal `ProtocolError` with code `FRAMING`; the decoder then refuses further input (the caller
 * must close the session: the byte stream can no longer be trusted).
 */
import { ProtocolError } from '../../errors/classes.js';

export type Framing = 'eom' | 'chunked';

/** Default maximum size of one message (bytes). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Largest chunk size RFC 6242 allows. */
export const MAX_CHUNK_SIZE = 4294967295;

const EOM = [0x5d, 0x5d, 0x3e, 0x5d, 0x5d, 0x3e]; // ]]>]]>
const LF = 0x0a;
const HASH = 0x23;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

type ChunkState = 'start' | 'lf' | 'hash' | 'first' | 'digits' | 'endlf' | 'data';

export interface FrameDecoderOptions {
  /** Largest accepted message in bytes (default 64 MiB). */
  readonly maxMessageBytes?: number;
}

/**
 * Incremental decoder. Feed bytes with `push`, take complete messages one at a time with `next`, so
 * the caller can switch framing right after the hello without losing bytes that followed it.
 */
export class FrameDecoder {
  readonly #max: number;
  #mode: Framing = 'eom';
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #scan = 0;
  #state: ChunkState = 'start';
  #sawLf = false;
  #size = 0;
  #digits = 0;
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  #dead: ProtocolError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    this.#max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  get framing(): Framing {
    return this.#mode;
  }

  /** Bytes received but not yet returned as part of a message. */
  get buffered(): number {
    return this.#buf.length - this.#pos + this.#partBytes;
  }

  /** Switches framing for the bytes after the last message returned by `next`. */
  setFraming(mode: Framing): void {
    this.#mode = mode;
    this.#scan = this.#pos;
    this.#state = 'start';
    this.#sawLf = false;
  }

  /**
   * Adds received bytes. The decoder may keep a reference to `bytes` instead of copying it (the
   * common case: nothing left over from the previous push), so the caller must not reuse the
   * buffer afterwards; Node stream chunks never are.
   */
  push(bytes: Uint8Array): void {
    if (this.#dead !== undefined) throw this.#dead;
    if (bytes.length === 0) return;
    const rest = this.#buf.length - this.#pos;
    if (rest === 0) {
      this.#scan -= this.#pos;
      this.#buf = bytes;
      this.#pos = 0;
      return;
    }
    const merged = new Uint8Array(rest + bytes.length);
    merged.set(this.#buf.subarray(this.#pos), 0);
    merged.set(bytes, rest);
    this.#scan -= this.#pos;
    this.#buf = merged;
    this.#pos = 0;
  }

  /** The next complete message, or undefined when more bytes are needed. Throws on bad framing. */
  next(): string | undefined {
    if (this.#dead !== undefined) throw this.#dead;
    try {
      return this.#mode === 'eom' ? this.#nextEom() : this.#nextChunked();
    } catch (e) {
      if (e instanceof ProtocolError) this.#dead = e;
      throw e;
    }
  }

  #fail(what: string): never {
    throw new ProtocolError(`NETCONF framing: ${what}`, {
      code: 'FRAMING',
      hint: 'the session must be closed; check the device framing (base:1.0 vs base:1.1)',
    });
  }

  #nextEom(): string | undefined {
    const buf = this.#buf;
    const from = Math.max(this.#pos, this.#scan);
    for (let i = from; i + EOM.length <= buf.length; i++) {
      if (buf[i] !== 0x5d) continue;
      let hit = true;
      for (let k = 1; k < EOM.length; k++) {
        if (buf[i + k] !== EOM[k]) {
          hit = false;
          break;
        }
      }
      if (!hit) continue;
      if (i - this.#pos > this.#max) this.#tooBig(i - this.#pos);
      const msg = decoder.decode(buf.subarray(this.#pos, i));
      this.#pos = i + EOM.length;
      this.#scan = this.#pos;
      return msg;
    }
    this.#scan = Math.max(this.#pos, buf.length - EOM.length + 1);
    if (buf.length - this.#pos > this.#max + EOM.length) this.#tooBig(buf.length - this.#pos);
    return undefined;
  }

  #tooBig(n: number): never {
    this.#fail(`message of at least ${n} bytes exceeds the limit of ${this.#max} bytes`);
  }

  #nextChunked(): string | undefined {
    const buf = this.#buf;
    while (this.#pos < buf.length) {
      if (this.#state === 'data') {
        const take = Math.min(this.#size, buf.length - this.#pos);
        this.#parts.push(buf.subarray(this.#pos, this.#pos + take));
        this.#partBytes += take;
        this.#pos += take;
        this.#size -= take;
        if (this.#size === 0) this.#state = 'lf';
        continue;
      }
      const b = buf[this.#pos] as number;
      this.#pos++;
      const msg = this.#header(b);
      if (msg !== undefined) return msg;
    }
    return undefined;
  }

  /** Advances the header state machine by one byte; returns a message at end-of-chunks. */
  #header(b: number): string | undefined {
    switch (this.#state) {
      case 'start':
        // Between messages tolerate whitespace (some servers add a newline after the EOM hello);
        // a header still has to be `\n#`.
        if (b === LF) this.#sawLf = true;
        else if (b === HASH && this.#sawLf) this.#state = 'first';
        else if (b === 0x20 || b === 0x09 || b === 0x0d) this.#sawLf = false;
        else this.#fail(`expected chunk header "\\n#", got byte 0x${b.toString(16)}`);
        return undefined;
      case 'lf':
        if (b !== LF) this.#fail(`expected LF before chunk header, got byte 0x${b.toString(16)}`);
        this.#state = 'hash';
        return undefined;
      case 'hash':
        if (b !== HASH) this.#fail(`expected "#" in chunk header, got byte 0x${b.toString(16)}`);
        this.#state = 'first';
        return undefined;
      case 'first':
        if (b === HASH) {
          if (this.#parts.length === 0) this.#fail('end-of-chunks marker before any chunk');
          this.#state = 'endlf';
        } else if (b >= 0x31 && b <= 0x39) {
          this.#size = b - 0x30;
          this.#digits = 1;
          this.#state = 'digits';
        } else {
          this.#fail(`chunk size must start with 1-9, got byte 0x${b.toString(16)}`);
        }
        return undefined;
      case 'digits':
        if (b === LF) {
          if (this.#partBytes + this.#size > this.#max) this.#tooBig(this.#partBytes + this.#size);
          this.#state = 'data';
        } else if (b >= 0x30 && b <= 0x39 && this.#digits < 10) {
          this.#size = this.#size * 10 + (b - 0x30);
          this.#digits++;
          if (this.#size > MAX_CHUNK_SIZE) this.#fail(`chunk size ${this.#size} above ${MAX_CHUNK_SIZE}`);
        } else {
          this.#fail(`bad chunk size byte 0x${b.toString(16)} after ${this.#digits} digit(s)`);
        }
        return undefined;
      case 'endlf': {
        if (b !== LF) this.#fail(`expected LF after "##", got byte 0x${b.toString(16)}`);
        const msg = decoder.decode(concat(this.#parts, this.#partBytes));
        this.#parts = [];
        this.#partBytes = 0;
        this.#state = 'start';
        this.#sawLf = false;
        return msg;
      }
      default:
        return undefined;
    }
  }
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * UTF-8 length of `s` as TextEncoder writes it (a lone surrogate becomes U+FFFD, 3 bytes), without
 * encoding it: lets a frame be allocated once at its final size.
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // the pair's two UTF-16 units become 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

/** Writes ASCII `s` at `at`; returns the offset after it. */
function putAscii(out: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  return at + s.length;
}

const CHUNK_TAIL = '\n##\n';

/**
 * Encodes one message for the wire. `maxChunkBytes` splits chunked messages (default: one chunk).
 * The default case allocates once: the frame is sized from the message's UTF-8 length and the text
 * encoded straight into it (this runs for every RPC).
 */
export function encodeMessage(xml: string, mode: Framing, maxChunkBytes = 0): Uint8Array {
  const len = utf8Length(xml);
  if (mode === 'eom') {
    const out = new Uint8Array(len + EOM.length);
    encoder.encodeInto(xml, out);
    out.set(EOM, len);
    return out;
  }
  if (len === 0) return encoder.encode(CHUNK_TAIL); // no chunk can carry nothing (as before)
  if (maxChunkBytes <= 0 || len <= maxChunkBytes) {
    const head = `\n#${len}\n`;
    const out = new Uint8Array(head.length + len + CHUNK_TAIL.length);
    const at = putAscii(out, 0, head);
    encoder.encodeInto(xml, out.subarray(at, at + len));
    putAscii(out, at + len, CHUNK_TAIL);
    return out;
  }
  const body = encoder.encode(xml);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let at = 0; at < body.length; at += maxChunkBytes) {
    const piece = body.subarray(at, Math.min(at + maxChunkBytes, body.length));
    const head = encoder.encode(`\n#${piece.length}\n`);
    parts.push(head, piece);
    total += head.length + piece.length;
  }
  const tail = encoder.encode(CHUNK_TAIL);
  parts.push(tail);
  return concat(parts, total + tail.length);
}
