/**
 * A testbed file is UTF-8 text: a byte sequence that is not UTF-8, or a NUL, is refused with its byte
 * offset, line and column instead of being decoded into U+FFFD or carried into names and values. Pure.
 */

export interface EncodingProblem {
  readonly line: number;
  /** 1-based, in bytes from the start of the line. */
  readonly col: number;
  readonly message: string;
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the bytes there are not UTF-8. */
function sequenceAt(b: Uint8Array, i: number): number {
  const c = b[i] ?? 0;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const [lo, hi] = c === 0xe0 ? [0xa0, 0xbf] : c === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const [lo, hi] = c === 0xf0 ? [0x90, 0xbf] : c === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

function at(b: Uint8Array, offset: number, message: string): EncodingProblem {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) if (b[i] === 10) { line++; start = i + 1; }
  return { line, col: offset - start + 1, message };
}

/** The first byte that is not UTF-8, or the first NUL, with its position; undefined for clean text. */
export function encodingProblem(b: Uint8Array): EncodingProblem | undefined {
  for (let i = 0; i < b.length;) {
    const n = sequenceAt(b, i);
    if (n === 0) {
      const hex = `0x${(b[i] ?? 0).toString(16).padStart(2, '0')}`;
      return at(b, i, `byte ${hex} at byte offset ${i} is not UTF-8: save the testbed file as UTF-8 ` +
        '(e.g. iconv -f latin1 -t utf-8), without binary content');
    }
    if (b[i] === 0) {
      return at(b, i, `NUL byte at byte offset ${i}: a testbed file is text; remove it ` +
        '(it often comes from a file saved as UTF-16 or a binary pasted in)');
    }
    i += n;
  }
  return undefined;
}
