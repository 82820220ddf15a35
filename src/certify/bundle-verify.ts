/**
 * `vmmi certify verify`: a bundle is intact when every file listed in SHA256SUMS is there with its
 * hash, nothing else is there, and SHA256SUMS.sig is a `vmmi-certificate` signature over SHA256SUMS by
 * a principal of the allowed-signers file. Every difference is named.
 */
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleOk, checkBundle, type BundleCheck } from './bundle.js';
import { verifySignature, type SignatureCheck } from './ssh-sign.js';
import { SIGNATURE_FILE, SUMS_FILE } from './sums.js';

export interface BundleVerification {
  readonly ok: boolean;
  readonly files?: BundleCheck;
  readonly signature: SignatureCheck;
  /** Lines for the terminal, one per finding. */
  readonly lines: readonly string[];
}

async function regularFile(path: string): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined);
  return st?.isFile() === true;
}

export async function verifyBundle(dir: string, allowedSigners: string,
  io: { principal?: string; signal?: AbortSignal } = {}): Promise<BundleVerification> {
  const sums = join(dir, SUMS_FILE);
  const sig = join(dir, SIGNATURE_FILE);
  const lines: string[] = [];
  if (!(await regularFile(sums))) {
    const signature = { ok: false, detail: `${SUMS_FILE} is missing` };
    return { ok: false, signature, lines: [`missing: ${SUMS_FILE} (nothing can be checked)`] };
  }
  const files = await checkBundle(dir, io.signal);
  for (const f of files.differs) lines.push(`differs: ${f}`);
  for (const f of files.missing) lines.push(`missing: ${f}`);
  for (const f of files.extra) lines.push(`extra: ${f}`);
  for (const f of files.refused) lines.push(`refused: ${f}`);
  const signature: SignatureCheck = (await regularFile(sig))
    ? await verifySignature(sums, sig, allowedSigners, await readFile(sums, 'utf8'), io.principal,
      { ...(io.signal === undefined ? {} : { signal: io.signal }) })
    : { ok: false, detail: `${SIGNATURE_FILE} is missing` };
  lines.push(signature.ok ? `signature: good (${signature.principal ?? '?'}): ${signature.detail}`
    : `signature: BAD: ${signature.detail}`);
  return { ok: bundleOk(files) && signature.ok, files, signature, lines };
}
