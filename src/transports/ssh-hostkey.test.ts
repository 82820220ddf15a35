import { expect, test } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPersona, type Persona } from '../../test/fakes/netconf-persona.js';
import { isVmmiError } from '../errors/vmmi-error.js';
import { Secret } from '../model/secret.js';
import type { HostKeyPolicy } from '../model/testbed.js';
import { SshPool, sshConnect, sshPoolKey, type SshTarget } from './ssh.js';

let p: Persona;
test.beforeAll(async () => {
  p = await startPersona();
});
test.afterAll(async () => {
  await p.close();
});

const target = (hostKey: HostKeyPolicy): SshTarget => ({
  name: 'persona', host: '127.0.0.1', port: p.port,
  credentials: { username: 'u', password: new Secret('${env:X}', 'pw-123456789') }, hostKey,
});

test('a host key marked @revoked is refused at connect even when a plain line lists it too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmmi-kh-'));
  const kh = join(dir, 'known_hosts');
  const plain = `[127.0.0.1]:${p.port} ${p.publicKey}`;
  for (const lines of [[plain, `@revoked ${plain}`], [`@revoked ${plain}`, plain]]) {
    writeFileSync(kh, `${lines.join('\n')}\n`);
    const e = await sshConnect(target({ kind: 'known-hosts', file: kh }), { timeoutMs: 5000 })
      .then((c) => (c.close(), undefined), (err: unknown) => err);
    expect(isVmmiError(e) ? `${e.code}: ${e.message}` : String(e)).toMatch(/^HOST_KEY: .*every key for \[127\.0\.0\.1\]:\d+ in .* is revoked/);
  }
  // With another, usable key listed for the host the connection gets to the key exchange and is refused there.
  const other = `[127.0.0.1]:${p.port} ssh-ed25519 ${Buffer.from('another-key').toString('base64')}`;
  writeFileSync(kh, `${[plain, other, `@revoked ${plain}`].join('\n')}\n`);
  const e = await sshConnect(target({ kind: 'known-hosts', file: kh }), { timeoutMs: 5000 })
    .then((c) => (c.close(), undefined), (err: unknown) => err);
  expect(isVmmiError(e) ? `${e.code}: ${e.message}` : String(e)).toMatch(/^HOST_KEY: .*server presented revoked key SHA256:/);
  writeFileSync(kh, `${plain}\n`);
  const ok = await sshConnect(target({ kind: 'known-hosts', file: kh }), { timeoutMs: 5000 });
  expect(ok.hostKeyFingerprint).toBe(p.fingerprint);
  ok.close();
});

test('the pool key tells host-key policies and credentials apart and never holds a secret', () => {
  const base = target({ kind: 'insecure-accept-any-host-key' });
  const pinned = target({ kind: 'fingerprint', sha256: p.fingerprint });
  const otherPw = { ...base, credentials: { username: 'u', password: new Secret('${env:X}', 'other-password') } };
  const sameAgain = { ...base, credentials: { username: 'u', password: new Secret('${env:X}', 'pw-123456789') } };
  expect(sshPoolKey(base)).not.toBe(sshPoolKey(pinned));
  expect(sshPoolKey(base)).not.toBe(sshPoolKey(otherPw));
  expect(sshPoolKey(base)).toBe(sshPoolKey(sameAgain));
  expect(sshPoolKey({ ...pinned, hostKey: { kind: 'fingerprint', sha256: `${p.fingerprint}=` } })).toBe(sshPoolKey(pinned));
  for (const t of [base, otherPw]) {
    expect(sshPoolKey(t)).not.toContain('pw-123456789');
    expect(sshPoolKey(t)).not.toContain('other-password');
  }
});

test('a connection pooled under the insecure policy is not reused for a device that pins its key', async () => {
  const pool = new SshPool();
  try {
    const insecure = await pool.get(target({ kind: 'insecure-accept-any-host-key' }), { timeoutMs: 5000 });
    expect(await pool.get(target({ kind: 'insecure-accept-any-host-key' }), { timeoutMs: 5000 })).toBe(insecure);
    // A wrong pin must fail: were the insecure connection reused, it would "succeed".
    const wrong = 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';
    const e = await pool.get(target({ kind: 'fingerprint', sha256: wrong }), { timeoutMs: 5000 })
      .then(() => undefined, (err: unknown) => err);
    expect(isVmmiError(e) ? e.code : String(e)).toBe('HOST_KEY');
    const pinned = await pool.get(target({ kind: 'fingerprint', sha256: p.fingerprint }), { timeoutMs: 5000 });
    expect(pinned).not.toBe(insecure);
    expect(pinned.hostKeyFingerprint).toBe(p.fingerprint);
    expect(pool.size).toBe(2);
  } finally {
    await pool.closeAll();
  }
});
