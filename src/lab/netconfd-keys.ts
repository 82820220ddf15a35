/**
 * Key material for emulated switches: host keys (ed25519 + rsa), a client key pair, the
 * authorized_keys file, and known_hosts files so clients verify host keys as on real devices.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runChecked } from '../exec/local.js';

export interface LabKeys {
  readonly dir: string;
  readonly hostEd25519: string;
  readonly hostRsa: string;
  /** Client private keys (OpenSSH format). */
  readonly clientEd25519: string;
  readonly clientRsa: string;
  readonly authorizedKeys: string;
  /** Public host key lines (`type base64 comment`). */
  readonly hostPublicKeys: readonly string[];
}

async function keygen(file: string, type: 'ed25519' | 'rsa', rsaBits = 3072): Promise<void> {
  await rm(file, { force: true });
  await rm(`${file}.pub`, { force: true });
  await runChecked(
    [
      'ssh-keygen',
      '-q',
      '-t',
      type,
      ...(type === 'rsa' ? ['-b', String(rsaBits)] : []),
      '-N',
      '',
      '-C',
      'vmmi-lab',
      '-f',
      file,
    ],
    { timeoutMs: 30_000 },
  );
}

/**
 * Generates host keys, client keys and authorized_keys in `dir` (created). `rsaBits` (default 3072)
 * may be lowered to 2048 by short-lived test labs: RSA generation dominates their start time.
 */
export async function generateLabKeys(dir: string, opts: { rsaBits?: number } = {}): Promise<LabKeys> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const k = {
    dir,
    hostEd25519: join(dir, 'host_ed25519'),
    hostRsa: join(dir, 'host_rsa'),
    clientEd25519: join(dir, 'client_ed25519'),
    clientRsa: join(dir, 'client_rsa'),
    authorizedKeys: join(dir, 'authorized_keys'),
  };
  await Promise.all([
    keygen(k.hostEd25519, 'ed25519'),
    keygen(k.hostRsa, 'rsa', opts.rsaBits),
    keygen(k.clientEd25519, 'ed25519'),
    keygen(k.clientRsa, 'rsa', opts.rsaBits),
  ]);
  const pub = async (f: string): Promise<string> => (await readFile(`${f}.pub`, 'utf8')).trim();
  await writeFile(k.authorizedKeys, `${await pub(k.clientEd25519)}\n${await pub(k.clientRsa)}\n`, { mode: 0o600 });
  return { ...k, hostPublicKeys: [await pub(k.hostEd25519), await pub(k.hostRsa)] };
}

export interface KnownHostsEntry {
  readonly host: string;
  readonly port: number;
  /** Public key lines (`type base64 [comment]`), e.g. LabKeys.hostPublicKeys. */
  readonly publicKeys: readonly string[];
}

/** Writes a known_hosts file (plain `[host]:port` form, port 22 as bare host). */
export async function writeKnownHosts(file: string, entries: readonly KnownHostsEntry[]): Promise<void> {
  const lines: string[] = [];
  for (const e of entries) {
    const name = e.port === 22 ? e.host : `[${e.host}]:${e.port}`;
    for (const k of e.publicKeys) {
      const [type, b64] = k.trim().split(/\s+/);
      if (type !== undefined && b64 !== undefined) lines.push(`${name} ${type} ${b64}`);
    }
  }
  await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o644 });
}
