/**
 * SHA256SUMS of a certificate bundle (pure): `sha256sum` text format, one `<64 hex>  <path>` line per
 * file, paths relative to the bundle with `/`, sorted, so `sha256sum -c SHA256SUMS` checks it too.
 * A path that could leave the bundle (absolute, a `..` segment, a backslash, a control character) is
 * refused when written and reported when read: verification never opens it.
 */

export interface SumEntry {
  readonly path: string;
  readonly sha256: string;
}

export const SUMS_FILE = 'SHA256SUMS';
export const SIGNATURE_FILE = 'SHA256SUMS.sig';

/** Why `path` cannot name a file inside a bundle (undefined: it can). */
export function unsafePath(path: string): string | undefined {
  if (path === '') return 'empty path';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'control character in the path';
  if (path.includes('\\')) return 'backslash in the path';
  if (path.startsWith('/')) return 'absolute path';
  if (path.split('/').some((seg) => seg === '..')) return '".." in the path';
  if (path.split('/').some((seg) => seg === '' || seg === '.')) return 'empty or "." segment in the path';
  return undefined;
}

export function renderSums(entries: readonly SumEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const e of sorted) {
    const bad = unsafePath(e.path);
    if (bad !== undefined) throw new TypeError(`bundle path "${e.path}": ${bad}`);
    if (!/^[0-9a-f]{64}$/.test(e.sha256)) throw new TypeError(`bundle path "${e.path}": not a sha256 "${e.sha256}"`);
  }
  return sorted.map((e) => `${e.sha256}  ${e.path}\n`).join('');
}

export interface ParsedSums {
  readonly entries: readonly SumEntry[];
  /** Lines that are not `<hex>  <path>` or name an unsafe path: `line 3: ".." in the path (../x)`. */
  readonly problems: readonly string[];
}

/** Reads SHA256SUMS text (text `  ` or binary ` *` marker); every bad line is a problem, never skipped silently. */
export function parseSums(text: string): ParsedSums {
  const entries: SumEntry[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m === null) {
      problems.push(`${SUMS_FILE} line ${i + 1}: not "<sha256>  <path>"`);
      return;
    }
    const path = m[2] as string;
    const bad = unsafePath(path);
    if (bad !== undefined) problems.push(`${SUMS_FILE} line ${i + 1}: ${bad} (${JSON.stringify(path)}), refused`);
    else if (entries.some((e) => e.path === path)) problems.push(`${SUMS_FILE} line ${i + 1}: ${path} listed twice`);
    else entries.push({ path, sha256: m[1] as string });
  });
  return { entries, problems };
}
