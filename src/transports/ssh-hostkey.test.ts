import { expect, test } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPersona, type Persona } from '../../test/fakes/netconf-persona.js';
import { isVmmiError } from '../errors/vmmi-error.js';
import { Secret } from '../model/secret.js';
import type { HostKeyPolicy } from '../model/testbed.js';
import { sshConnect, type SshTarget } from './ssh.js';

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
