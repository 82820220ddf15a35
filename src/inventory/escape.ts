/**
 * Makes user text safe to quote in a message printed on a terminal: C0 controls (ESC among them), DEL,
 * C1 controls, line/paragraph separators and the bidirectional overrides become visible escapes
 * (`\x1b`, `\n`, `\u202e`), so a key or value in a testbed cannot move the cursor, recolour the terminal,
 * rewrite the title or reorder what the user reads. Pure.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
