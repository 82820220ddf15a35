/**
 * Bounds on a testbed file, checked on the text before YAML parsing. Testbed files are small; these bounds
 * keep hostile input from costing seconds (quadratic key checks) or the stack. Each problem carries the
 * offset where the limit was crossed, so the user sees the line and column. Pure.
 */
export const MAX_TESTBED_BYTES = 256 * 1024;
export const MAX_TESTBED_LINES = 5000;
export const MAX_NESTING = 64;

export interface LimitProblem {
  /** Character offset in the text where the limit was crossed. */
  readonly offset: number;
  readonly message: string;
}

/** Deepest flow nesting ([ {) and block indentation, and where it first went past MAX_NESTING. */
function nestingOf(text: string): { depth: number; crossed: number | undefined } {
  let depth = 0;
  let max = 0;
  let indent = 0;
  let lineStart = true;
  let crossed: number | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) { lineStart = true; indent = 0; continue; }
    if (lineStart && (c === 32 || c === 45)) { indent++; continue; }
    lineStart = false;
    if (c === 91 || c === 123) max = Math.max(max, ++depth);
    else if ((c === 93 || c === 125) && depth > 0) depth--;
    max = Math.max(max, Math.floor(indent / 2));
    if (crossed === undefined && max > MAX_NESTING) crossed = i;
  }
  return { depth: max, crossed };
}

/** Offset of the first character whose bytes (UTF-8) go past `limit`. */
function byteOffsetToChar(text: string, limit: number): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : c >= 0xdc00 && c <= 0xdfff ? 0 : 3;
    if (bytes > limit) return i;
  }
  return text.length;
}

function nthLineStart(text: string, n: number): number {
  let at = 0;
  for (let line = 1; line < n; line++) at = text.indexOf('\n', at) + 1;
  return at;
}

export function limitProblem(text: string): LimitProblem | undefined {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_TESTBED_BYTES) {
    return { offset: byteOffsetToChar(text, MAX_TESTBED_BYTES), message: `testbed file is ${bytes} bytes; the ` +
      `limit is ${MAX_TESTBED_BYTES}, crossed here: split the lab into smaller testbeds or shorten this one` };
  }
  const lines = text.split('\n').length;
  if (lines > MAX_TESTBED_LINES) {
    return { offset: nthLineStart(text, MAX_TESTBED_LINES + 1), message: `testbed file has ${lines} lines; the ` +
      `limit is ${MAX_TESTBED_LINES}, crossed here: use flow mappings ({ a: 1, b: 2 }) or split the testbed` };
  }
  const { depth, crossed } = nestingOf(text);
  if (crossed !== undefined) {
    return { offset: crossed, message: `testbed nesting is ${depth} levels deep; the limit is ${MAX_NESTING}, ` +
      'crossed here (flow [ { or indentation): a testbed needs a few levels only' };
  }
  return undefined;
}
