/**
 * Host keys against a real OpenSSH sshd on loopback: a pinned fingerprint or known_hosts entry of a
 * different key is refused with HostKeyError naming expected and presented fingerprints; the right key
 * connects; the insecure opt-out connects and is listed by the transport's opt-out registry (the run
 * manifest's `insecureHostKeys`). Fingerprints are checked against `ssh-keygen -l`, not against vmmi.
 */
import { expect, test } from '@playwright/test';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
/* eslint-disable no-restricted-imports -- internals checked directly, outside the public API (src/index.ts) */
import { isVmmiError } from '../../src/errors/vmmi-error.js';
import { makeKey, startPrivateSshd, type PrivateSshd } from '../../test/helpers/private-sshd.js';
import { Secret } from '../../src/model/secret.js';
import type { HostKeyPolicy } from '../../src/model/testbed.js';
import { collectControllerManifest } from '../../src/playwright/manifest.js';
import { buildReportModel } from '../../src/report/model.js';
import { mergeManifestFacts } from '../../src/report/record.js';
import { renderHtml } from '../../src/report/render-html.js';
import { insecureHostKeyConnections, sshConnect, type SshTarget } from '../../src/transports/ssh.js';
/* eslint-enable no-restricted-imports */

let sshd: PrivateSshd | undefined;
let otherKeyFingerprint = '';
let otherKeyLine = '';

test.beforeAll(async () => {
  test.setTimeout(60_000);
  sshd = await startPrivateSshd();
  const other = await makeKey(join(sshd.dir, 'other_ed25519'));
  otherKeyFingerprint = other.fingerprint;
  otherKeyLine = other.publicLine;
});

test.afterAll(async () => {
  await sshd?.stop();
});

async function target(hostKey: HostKeyPolicy): Promise<SshTarget> {
  const s = sshd as PrivateSshd;
  const key = await readFile(s.clientKey.privateFile, 'utf8');
  return { name: 'sw-hostkey', host: '127.0.0.1', port: s.port, hostKey,
    credentials: { username: 'root', privateKey: new Secret('${file:client_ed25519}', key) } };
}

async function refused(hostKey: HostKeyPolicy): Promise<Error> {
  const err = await sshConnect(await target(hostKey), { timeoutMs: 10_000 }).then(
    (c) => {
      c.close();
      throw new Error('connected although the host key does not match');
    },
    (e: unknown) => e as Error,
  );
  expect(isVmmiError(err)).toBe(true);
  expect((err as Error & { code: string }).code).toBe('HOST_KEY');
  expect(err.constructor.name).toBe('HostKeyError');
  return err;
}

test('a pinned fingerprint of a different key is refused, naming expected and presented fingerprints', async () => {
  const s = sshd as PrivateSshd;
  expect(otherKeyFingerprint).not.toBe(s.hostKey.fingerprint);
  const err = await refused({ kind: 'fingerprint', sha256: otherKeyFingerprint });
  expect(err.message).toContain(otherKeyFingerprint);
  expect(err.message).toContain(s.hostKey.fingerprint);
  expect(err.message).toContain('sw-hostkey');
  expect(insecureHostKeyConnections()).not.toContain(`root@127.0.0.1:${s.port}`);
});

test('a known_hosts file holding a different key for [127.0.0.1]:port is refused likewise', async () => {
  const s = sshd as PrivateSshd;
  const [type, b64] = otherKeyLine.split(/\s+/);
  const file = join(s.dir, 'known_hosts_wrong');
  await writeFile(file, `[127.0.0.1]:${s.port} ${type} ${b64}\n`);
  const err = await refused({ kind: 'known-hosts', file });
  expect(err.message).toContain(otherKeyFingerprint);
  expect(err.message).toContain(s.hostKey.fingerprint);
  expect(err.message).toContain(file);
});

test('the right key connects (pinned fingerprint and known_hosts)', async () => {
  const s = sshd as PrivateSshd;
  const [type, b64] = s.hostKey.publicLine.split(/\s+/);
  const file = join(s.dir, 'known_hosts_right');
  await writeFile(file, `[127.0.0.1]:${s.port} ${type} ${b64}\n`);
  for (const policy of [
    { kind: 'fingerprint', sha256: s.hostKey.fingerprint },
    { kind: 'known-hosts', file },
  ] as const) {
    const c = await sshConnect(await target(policy), { timeoutMs: 10_000 });
    try {
      expect(c.hostKeyFingerprint).toBe(s.hostKey.fingerprint);
      const r = await c.exec(['echo', 'vmmi-ok'], { timeoutMs: 10_000 });
      expect(r.stdout.trim()).toBe('vmmi-ok');
    } finally {
      c.close();
    }
  }
  expect(insecureHostKeyConnections()).not.toContain(`root@127.0.0.1:${s.port}`);
});

test('the insecure opt-out connects and is recorded for the run manifest', async () => {
  const s = sshd as PrivateSshd;
  const c = await sshConnect(await target({ kind: 'insecure-accept-any-host-key' }), { timeoutMs: 10_000 });
  try {
    expect(c.hostKeyFingerprint).toBe(s.hostKey.fingerprint);
  } finally {
    c.close();
  }
  const label = `root@127.0.0.1:${s.port}`;
  expect(insecureHostKeyConnections()).toContain(label);
  // What the fixtures hand the reporter: the registry as manifest facts, shown in the report.
  const manifest = mergeManifestFacts(await collectControllerManifest({ startedWall: new Date().toISOString() }),
    { insecureHostKeys: [...insecureHostKeyConnections()] });
  expect(manifest.insecureHostKeys).toContain(label);
  const html = renderHtml(buildReportModel([], { generatedWall: new Date().toISOString(), manifest }));
  expect(html).toContain('SSH host keys NOT verified');
  expect(html).toContain(label);
});
