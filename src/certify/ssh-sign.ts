/**
 * Signing and checking SHA256SUMS with OpenSSH signatures (`ssh-keygen -Y`), namespace
 * `vmmi-certificate` so a signature made for anything else never verifies here. argv only; each call
 * has a timeout and the caller's AbortSignal.
 */
import { runLocal } from '../exec/local.js';
import { CommandError } from '../errors/classes.js';

export const SIGNATURE_NAMESPACE = 'vmmi-certificate';

export interface SignIo {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const opts = (io: SignIo): { timeoutMs: number; signal?: AbortSignal } =>
  ({ timeoutMs: io.timeoutMs ?? 30_000, ...(io.signal === undefined ? {} : { signal: io.signal }) });

/** `ssh-keygen -Y sign -f KEY -n vmmi-certificate FILE` → FILE.sig. */
export async function signFile(file: string, key: string, io: SignIo = {}): Promise<string> {
  const r = await runLocal(['ssh-keygen', '-q', '-Y', 'sign', '-f', key, '-n', SIGNATURE_NAMESPACE, file], opts(io));
  if (r.failed) {
    throw new CommandError(`ssh-keygen -Y sign with ${key} failed: ${r.stderr.trim() || `exit ${String(r.exitCode)}`}`,
      r.argv, r.exitCode, r.stderr, { hint: 'the key must be an OpenSSH private key without a passphrase prompt '
        + '(or loaded in ssh-agent)' });
  }
  return `${file}.sig`;
}

/** Principals of `allowedSigners` whose key made `sig` (empty: none). */
export async function findPrincipals(sig: string, allowedSigners: string, io: SignIo = {}): Promise<string[]> {
  const r = await runLocal(['ssh-keygen', '-Y', 'find-principals', '-s', sig, '-f', allowedSigners], opts(io));
  return r.failed ? [] : r.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

export interface SignatureCheck {
  readonly ok: boolean;
  readonly principal?: string;
  /** ssh-keygen's own words (first line), or why no check could run. */
  readonly detail: string;
}

/**
 * Verifies `sig` over `file` for `principal` (default: the first of find-principals). The data is
 * given on stdin, as `ssh-keygen -Y verify` reads it.
 */
export async function verifySignature(file: string, sig: string, allowedSigners: string, data: string,
  principal?: string, io: SignIo = {}): Promise<SignatureCheck> {
  const who = principal ?? (await findPrincipals(sig, allowedSigners, io))[0];
  if (who === undefined) {
    return { ok: false, detail: `no principal in ${allowedSigners} holds the key that made ${sig}` };
  }
  const r = await runLocal(['ssh-keygen', '-Y', 'verify', '-f', allowedSigners, '-I', who, '-n', SIGNATURE_NAMESPACE,
    '-s', sig], { ...opts(io), input: data });
  const words = (r.stdout.trim() || r.stderr.trim()).split('\n')[0] ?? '';
  return { ok: !r.failed, principal: who, detail: words || `ssh-keygen exit ${String(r.exitCode)} on ${file}` };
}
