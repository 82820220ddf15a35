/**
 * Reading a remote `node --version` (pure): whether the host can run the agent bundle, and if not,
 * what it lacks in words an operator can act on.
 */

export interface NodeVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly text: string;
}

/** `v20.11.1` (first line, surrounding blanks ignored) → numbers; anything else → undefined. */
export function parseNodeVersion(stdout: string): NodeVersion | undefined {
  const line = stdout.trim().split('\n')[0]?.trim() ?? '';
  const m = /^v(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.-]+)?$/.exec(line);
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: line };
}

/** Outcome of `node --version` on a host: the version, or what is missing (one line). */
export type NodeCheck =
  | { readonly ok: true; readonly version: NodeVersion }
  | { readonly ok: false; readonly missing: string };

/**
 * Judges the result of running `<node> --version` through a login shell: exit 127 (or a shell's "not
 * found") means no such command; another failure or unreadable output means it does not run; an
 * older major than `minMajor` is too old.
 */
export function judgeNodeVersion(
  r: { readonly exitCode: number | undefined; readonly stdout: string; readonly stderr: string },
  node: string,
  minMajor: number,
): NodeCheck {
  const err = r.stderr.trim().split('\n').slice(-1)[0] ?? '';
  // A login shell may warn on stderr (locale, profile) while node runs fine: stderr decides only on failure.
  if (r.exitCode === 127 || (r.exitCode !== 0 && /not found|No such file/i.test(err))) {
    return { ok: false, missing: `\`${node}\` not found on the login PATH (Node.js ≥ ${minMajor} is needed)` };
  }
  if (r.exitCode !== 0) {
    return { ok: false, missing: `\`${node} --version\` exited ${r.exitCode ?? 'on a signal'}: ${err || '(no output)'}` };
  }
  const v = parseNodeVersion(r.stdout);
  if (v === undefined) {
    return { ok: false, missing: `\`${node} --version\` printed ${JSON.stringify(r.stdout.trim().slice(0, 80))}, not a Node.js version` };
  }
  if (v.major < minMajor) return { ok: false, missing: `Node.js ${v.text} is too old (≥ ${minMajor} is needed)` };
  return { ok: true, version: v };
}

/** Median of a non-empty list of numbers (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
