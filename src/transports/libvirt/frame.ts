/**
 * libvirt RPC record framing. Pure: bytes in, messages out; no node:*, no I/O.
 * A frame is `u32 length` (including itself) + a 24-byte header + payload.
 */
import { ProtocolError } from '../../errors/classes.js';

/** VIR_NET_MESSAGE_MAX: header + payload, the length word not counted (32 MiB). */
export const MESSAGE_MAX = 33_554_432;
export const HEADER_LEN = 24;
/** Smallest legal value of the length word: itself + the header. */
export const FRAME_MIN = 4 + HEADER_LEN;

export const MessageType = {
  CALL: 0, REPLY: 1, MESSAGE: 2, STREAM: 3, CALL_WITH_FDS: 4, REPLY_WITH_FDS: 5, STREAM_HOLE: 6,
} as const;
export const MessageStatus = { OK: 0, ERROR: 1, CONTINUE: 2 } as const;

export interface Header {
  readonly prog: number;
  readonly vers: number;
  readonly proc: number;
  readonly type: number;
  readonly serial: number;
  readonly status: number;
}

export interface Message {
  readonly header: Header;
  readonly payload: Uint8Array;
}

function framingError(msg: string): ProtocolError {
  return new ProtocolError(msg, { code: 'FRAMING' });
}

/** Encodes one frame: length word, header, payload. */
export function encodeFrame(h: Header, payload: Uint8Array, max = MESSAGE_MAX): Uint8Array {
  if (HEADER_LEN + payload.length > max) {
    throw framingError(`message of ${HEADER_LEN + payload.length} bytes exceeds the ${max}-byte maximum`);
  }
  const out = new Uint8Array(FRAME_MIN + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, out.length);
  v.setUint32(4, h.prog);
  v.setUint32(8, h.vers);
  v.setInt32(12, h.proc);
  v.setInt32(16, h.type);
  v.setUint32(20, h.serial);
  v.setInt32(24, h.status);
  out.set(payload, FRAME_MIN);
  return out;
}

export function decodeHeader(b: Uint8Array): Header {
  if (b.length < HEADER_LEN) throw framingError(`header needs ${HEADER_LEN} bytes, got ${b.length}`);
  const v = new DataView(b.buffer, b.byteOffset, HEADER_LEN);
  return {
    prog: v.getUint32(0), vers: v.getUint32(4), proc: v.getInt32(8),
    type: v.getInt32(12), serial: v.getUint32(16), status: v.getInt32(20),
  };
}

/**
 * Incremental decoder: feed chunks as they arrive, get whole messages back. The length word is checked
 * against FRAME_MIN and the maximum before any buffer for the frame is allocated, so a hostile or
 * garbled peer cannot make the client reserve 4 GiB. After an error the decoder is unusable (the
 * stream is out of sync): the caller must drop the connection.
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private need = 0;
  private failed: ProtocolError | undefined;

  constructor(private readonly max = MESSAGE_MAX) {}

  /** Bytes held for an incomplete frame; non-zero at end of stream means a truncated frame. */
  get pendingBytes(): number {
    return this.buffered;
  }
  /** Length of the frame being assembled (0 when its length word has not arrived yet). */
  get expectedBytes(): number {
    return this.need;
  }

  push(chunk: Uint8Array): Message[] {
    if (this.failed !== undefined) throw this.failed;
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Message[] = [];
    try {
      for (;;) {
        if (this.need === 0) {
          if (this.buffered < 4) break;
          const len = this.peekLength();
          if (len < FRAME_MIN) throw framingError(`frame length ${len} is below the minimum ${FRAME_MIN}`);
          if (len - 4 > this.max) throw framingError(`frame length ${len} exceeds the ${this.max}-byte maximum`);
          this.need = len;
        }
        if (this.buffered < this.need) break;
        const frame = this.take(this.need);
        this.need = 0;
        out.push({ header: decodeHeader(frame.subarray(4)), payload: frame.subarray(FRAME_MIN) });
      }
    } catch (e) {
      this.failed = e as ProtocolError;
      throw e;
    }
    return out;
  }

  private peekLength(): number {
    const first = this.chunks[0];
    const four = first !== undefined && first.length >= 4 ? first : this.take(4, true);
    return new DataView(four.buffer, four.byteOffset, 4).getUint32(0);
  }

  /** Removes `n` bytes from the front (or only copies them when `peek`). */
  private take(n: number, peek = false): Uint8Array {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n && !peek) {
      const head = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return head;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    let i = 0;
    while (filled < n) {
      const c = this.chunks[i] as Uint8Array;
      const k = Math.min(c.length, n - filled);
      out.set(c.subarray(0, k), filled);
      filled += k;
      if (!peek) {
        if (k === c.length) {
          this.chunks.shift();
          continue;
        }
        this.chunks[0] = c.subarray(k);
      }
      i++;
    }
    if (!peek) this.buffered -= n;
    return out;
  }
}
