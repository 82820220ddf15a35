/**
 * Session-probe message: 16 bytes, big-endian: u32 magic 0x4c414254 ("LABT"), u32 sequence,
 * f64 send time (ms since the session start). The echo server returns the byte stream unchanged, so
 * the decoder re-frames whatever chunks TCP delivers. Pure.
 */
export const SESSION_MAGIC = 0x4c414254;
export const SESSION_FRAME_BYTES = 16;

export interface SessionFrame {
  readonly seq: number;
  readonly sendMs: number;
}

export function encodeFrame(f: SessionFrame): Uint8Array {
  const b = new Uint8Array(SESSION_FRAME_BYTES);
  const v = new DataView(b.buffer);
  v.setUint32(0, SESSION_MAGIC);
  v.setUint32(4, f.seq >>> 0);
  v.setFloat64(8, f.sendMs);
  return b;
}

/** Incremental decoder: push chunks, get complete frames; `corrupt` latches on a bad magic. */
export function createFrameDecoder(): { push(chunk: Uint8Array): SessionFrame[]; readonly corrupt: boolean } {
  let pending = new Uint8Array(0);
  let corrupt = false;
  return {
    get corrupt() {
      return corrupt;
    },
    push(chunk) {
      if (corrupt) return [];
      const all = new Uint8Array(pending.length + chunk.length);
      all.set(pending);
      all.set(chunk, pending.length);
      const out: SessionFrame[] = [];
      let off = 0;
      const v = new DataView(all.buffer);
      while (all.length - off >= SESSION_FRAME_BYTES) {
        if (v.getUint32(off) !== SESSION_MAGIC) {
          corrupt = true;
          return out;
        }
        out.push({ seq: v.getUint32(off + 4), sendMs: v.getFloat64(off + 8) });
        off += SESSION_FRAME_BYTES;
      }
      pending = all.slice(off);
      return out;
    },
  };
}
