/**
 * Host key material: OpenSSH known_hosts parsing (plain, `[host]:port`, hashed `|1|salt|hash`,
 * wildcards, negation, `@revoked`) and SHA256 fingerprints in OpenSSH's `SHA256:<base64>` form.
 */
import { createHash, createHmac } from 'node:crypto';

export interface KnownHostKey {
  readonly keyType: string;
  readonly blob: Buffer;
  readonly revoked: boolean;
  /** `file:line` for messages. */
  readonly where: string;
}

/** OpenSSH fingerprint of a public key blob: `SHA256:` + unpadded base64 of its sha256. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Normalises a user-given fingerprint (`SHA256:abc=`, `abc`) for comparison. */
export function normaliseFingerprint(fp: string): string {
  return `SHA256:${fp.trim().replace(/^SHA256:/i, '').replace(/=+$/, '')}`;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(name);
}

function hashedMatch(entry: string, name: string): boolean {
  const [, magic, salt, hash] = entry.split('|');
  if (magic !== '1' || salt === undefined || hash === undefined) return false;
  const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return mac === hash;
}

function hostsMatch(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedMatch(field, name);
  let hit = false;
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) hit = true;
  }
  return hit;
}

/** Keys listed for host:port in known_hosts text (CA lines are ignored: vmmi does not do certificates). */
export function knownHostKeys(text: string, host: string, port: number, file: string): KnownHostKey[] {
  const name = hostPattern(host, port);
  const out: KnownHostKey[] = [];
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    let fields = t.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@') === true) {
      if (fields[0] === '@cert-authority') return;
      revoked = fields[0] === '@revoked';
      fields = fields.slice(1);
    }
    const [hosts, keyType, b64] = fields;
    if (hosts === undefined || keyType === undefined || b64 === undefined) return;
    if (!hostsMatch(hosts, name)) return;
    out.push({ keyType, blob: Buffer.from(b64, 'base64'), revoked, where: `${file}:${i + 1}` });
  });
  return out;
}

/**
 * The keys a host may present: listed for it and not revoked. A key on an `@revoked` line is refused
 * whatever else the file says (OpenSSH does the same), also when a plain line lists it too.
 */
export function usableKeys(keys: readonly KnownHostKey[]): KnownHostKey[] {
  const revoked = keys.filter((k) => k.revoked);
  return keys.filter((k) => !k.revoked && !revoked.some((r) => r.blob.equals(k.blob)));
}

/** Checks a presented key: accepted, revoked (with the `@revoked` line), or unknown. */
export function checkPresentedKey(key: Buffer, keys: readonly KnownHostKey[]):
  { readonly verdict: 'accepted' } | { readonly verdict: 'revoked'; readonly line: KnownHostKey } |
  { readonly verdict: 'unknown' } {
  const revoked = keys.find((k) => k.revoked && k.blob.equals(key));
  if (revoked !== undefined) return { verdict: 'revoked', line: revoked };
  return keys.some((k) => !k.revoked && k.blob.equals(key)) ? { verdict: 'accepted' } : { verdict: 'unknown' };
}

/** ssh2 host key algorithm names that can present a key of this known_hosts type. */
export function algorithmsFor(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [keyType];
}

/** One known_hosts line (plain form) for a key blob. */
export function knownHostsLine(host: string, port: number, keyType: string, blob: Buffer): string {
  return `${hostPattern(host, port)} ${keyType} ${blob.toString('base64')}`;
}
