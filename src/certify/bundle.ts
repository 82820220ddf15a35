/**
 * A certificate bundle on disk: hashing every file into SHA256SUMS, and checking a bundle against its
 * SHA256SUMS. Symbolic links are never followed (a link is reported, not read), directories are walked
 * with lstat, and a listed path that could leave the bundle is refused before anything is opened.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSums, renderSums, SIGNATURE_FILE, SUMS_FILE, type SumEntry } from './sums.js';

async function hashFile(file: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, signal === undefined ? {} : { signal })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface BundleListing {
  /** Regular files, relative paths with `/`. */
  readonly files: readonly string[];
  /** Symbolic links and other non-regular entries, never followed. */
  readonly others: readonly { path: string; kind: string }[];
}

/** Every entry under `dir` (lstat: links are listed, not followed). */
export async function listBundle(dir: string): Promise<BundleListing> {
  const files: string[] = [];
  const others: { path: string; kind: string }[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const d of await readdir(join(dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? d.name : `${rel}/${d.name}`;
      if (d.isSymbolicLink()) others.push({ path, kind: 'symbolic link (not followed)' });
      else if (d.isDirectory()) await walk(path);
      else if (d.isFile()) files.push(path);
      else others.push({ path, kind: 'not a regular file' });
    }
  };
  await walk('');
  return { files: files.sort(), others };
}

/** Writes SHA256SUMS over every regular file of `dir` (but itself and its signature). */
export async function writeSums(dir: string, signal?: AbortSignal): Promise<SumEntry[]> {
  const { files, others } = await listBundle(dir);
  if (others.length > 0) throw new Error(`bundle ${dir}: ${others.map((o) => `${o.path}: ${o.kind}`).join('; ')}`);
  const entries: SumEntry[] = [];
  for (const path of files.filter((f) => f !== SUMS_FILE && f !== SIGNATURE_FILE)) {
    entries.push({ path, sha256: await hashFile(join(dir, path), signal) });
  }
  await writeFile(join(dir, SUMS_FILE), renderSums(entries), 'utf8');
  return entries;
}

export interface BundleCheck {
  readonly checked: number;
  /** Listed files whose content differs. */
  readonly differs: readonly string[];
  /** Listed files that are absent (or not regular files: a link in their place is not followed). */
  readonly missing: readonly string[];
  /** Files (and links) present but not listed. */
  readonly extra: readonly string[];
  /** Lines of SHA256SUMS refused (unsafe paths, malformed lines). */
  readonly refused: readonly string[];
}

export const bundleOk = (c: BundleCheck): boolean =>
  c.differs.length + c.missing.length + c.extra.length + c.refused.length === 0;

/** Checks every file of `dir` against its SHA256SUMS (which must exist). */
export async function checkBundle(dir: string, signal?: AbortSignal): Promise<BundleCheck> {
  const sums = parseSums(await readFile(join(dir, SUMS_FILE), 'utf8'));
  const differs: string[] = [];
  const missing: string[] = [];
  for (const e of sums.entries) {
    const st = await lstat(join(dir, e.path)).catch(() => undefined);
    if (st === undefined) missing.push(e.path);
    else if (!st.isFile()) missing.push(`${e.path} (${st.isSymbolicLink() ? 'a symbolic link, not followed' : 'not a regular file'})`);
    else if ((await hashFile(join(dir, e.path), signal)) !== e.sha256) differs.push(e.path);
  }
  const listed = new Set(sums.entries.map((e) => e.path));
  const { files, others } = await listBundle(dir);
  const extra = [
    ...files.filter((f) => !listed.has(f) && f !== SUMS_FILE && f !== SIGNATURE_FILE),
    ...others.filter((o) => !listed.has(o.path)).map((o) => `${o.path} (${o.kind})`),
  ];
  return { checked: sums.entries.length, differs, missing, extra, refused: sums.problems };
}
