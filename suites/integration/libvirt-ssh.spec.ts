/**
 * The ssh transport end to end: ssh2 (transports/ssh.ts) → OpenSSH sshd → `virt-ssh-helper` → a
 * private libvirtd (test driver). sshd runs inside the daemon's mount namespace, where
 * /run/libvirt/libvirt-sock is that daemon's socket, exactly as on a remote hypervisor.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { type LibvirtdHandle, LibvirtRpcDriver, Secret, startLibvirtd } from './libvirt-imports.js';

test.describe.configure({ mode: 'serial' });
const run = promisify(execFile);
const SSH_PORT = 16622;
let root: string;
let daemon: LibvirtdHandle | undefined;
let sshdPid: number | undefined;

test.beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmmi-ssh-'));
  daemon = await startLibvirtd({
    dir: join(root, 'daemon'),
    hostUuid: '6c61622d-6876-4000-8000-0000000000a5',
    driver: 'test',
  });
  for (const k of ['host', 'client'])
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'vmmi', '-f', join(root, k)]);
  await writeFile(join(root, 'authorized_keys'), await readFile(join(root, 'client.pub')), { mode: 0o600 });
  const [type, key] = (await readFile(join(root, 'host.pub'), 'utf8')).trim().split(/\s+/);
  await writeFile(join(root, 'known_hosts'), `[127.0.0.1]:${SSH_PORT} ${type} ${key}\n`);
  await writeFile(
    join(root, 'sshd_config'),
    [
      `Port ${SSH_PORT}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(root, 'host')}`,
      `PidFile ${join(root, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(root, 'authorized_keys')}`,
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      '',
    ].join('\n'),
  );
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  // sshd daemonizes; its pid file appears once it listens.
  await run('nsenter', ['--target', String(daemon.pid), '--mount', '/usr/sbin/sshd', '-f', join(root, 'sshd_config'),
    '-E', join(root, 'sshd.log')]);
  await expect
    .poll(async () => Number((await readFile(join(root, 'sshd.pid'), 'utf8').catch(() => '')).trim()) || undefined, {
      timeout: 10_000,
    })
    .toBeGreaterThan(1);
  sshdPid = Number((await readFile(join(root, 'sshd.pid'), 'utf8')).trim());
});

test.afterAll(async () => {
  if (sshdPid !== undefined && (await readFile(`/proc/${sshdPid}/comm`, 'utf8').catch(() => '')).trim() === 'sshd') {
    process.kill(sshdPid, 'SIGTERM');
  }
  await daemon?.stop();
  if (root !== undefined) await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const access = async () => ({
  credentials: {
    username: 'root',
    privateKey: new Secret('${file:client}', await readFile(join(root, 'client'), 'utf8')),
  },
  hostKey: { kind: 'known-hosts' as const, file: join(root, 'known_hosts') },
});

test('test+ssh:// reaches the daemon through virt-ssh-helper; calls and events work', async () => {
  const d = await LibvirtRpcDriver.connect(`test+ssh://root@127.0.0.1:${SSH_PORT}/default`, {
    host: 'ssh',
    ssh: await access(),
  });
  try {
    expect(await d.state('test')).toMatchObject({ state: 'running' });
    const seen = d.events();
    await d.suspend('test');
    await d.resume('test');
    const first = await seen.next();
    expect(first.value).toMatchObject({ kind: 'lifecycle', event: 'suspended', detail: 'paused', host: 'ssh' });
    await seen.return?.();
  } finally {
    await d.close();
  }
});

test('an unknown host key is refused before any libvirt traffic', async () => {
  await writeFile(
    join(root, 'known_hosts_wrong'),
    `[127.0.0.1]:${SSH_PORT} ${(await readFile(join(root, 'client.pub'), 'utf8')).trim()}\n`,
  );
  const a = await access();
  const err = await LibvirtRpcDriver.connect(`test+ssh://root@127.0.0.1:${SSH_PORT}/default`, {
    ssh: { ...a, hostKey: { kind: 'known-hosts', file: join(root, 'known_hosts_wrong') } },
  }).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'HOST_KEY' });
});

test('a plain libvirt URI works too: keyfile and known_hosts params instead of testbed credentials', async () => {
  const uri = `test+ssh://root@127.0.0.1:${SSH_PORT}/default?keyfile=${join(root, 'client')}&known_hosts=${join(root, 'known_hosts')}`;
  const d = await LibvirtRpcDriver.connect(uri, { host: 'ssh-uri' });
  try {
    expect(await d.hostname()).toBeTruthy();
  } finally {
    await d.close();
  }
  await expect(
    LibvirtRpcDriver.connect(`test+ssh://root@127.0.0.1:${SSH_PORT}/default?keyfile=${join(root, 'client')}`),
  ).rejects.toMatchObject({ code: 'USAGE' });
});
