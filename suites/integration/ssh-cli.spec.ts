/**
 * SSH transport and CLI sessions against a real OpenSSH sshd (the emulated switch's, root login
 * with a key, bash as shell): exec with hostile argv, interactive shell with the `linux` platform
 * data, failure strings as data, hard timeouts that close the session, connection pooling.
 */
import { test, expect } from '@playwright/test';
import { startNetconfLab, type NetconfLab } from './netconf-lab.js';
import { CLI_PLATFORMS, CliSession, SshPool, cliExec, sshConnect } from './netconf-imports.js';

let lab: NetconfLab;
test.beforeAll(async () => {
  lab = await startNetconfLab(18403);
});
test.afterAll(async () => {
  await lab?.stop();
});

const target = () => ({
  name: 'sw',
  host: '127.0.0.1',
  port: lab.port,
  credentials: lab.switchModel.credentials,
  hostKey: lab.switchModel.hostKey,
});

test('exec passes argv through the remote shell unchanged; exit codes and stderr are data', async () => {
  const conn = await sshConnect(target());
  try {
    const args = ['a b', "it's", '$(id)', '`id`', ';|&', ''];
    const r = await cliExec(conn, ['printf', '%s\\n', ...args]);
    expect(r.stdout.split('\n').slice(0, -1)).toEqual(args);
    const bad = await cliExec(conn, ['sh', '-c', 'echo oops >&2; exit 3']);
    expect([bad.exitCode, bad.stderr.trim()]).toEqual([3, 'oops']);
    const slow = await cliExec(conn, ['sleep', '5'], { timeoutMs: 300 }).then(() => undefined, (x: unknown) => x);
    expect(slow).toMatchObject({ code: 'TIMEOUT' });
  } finally {
    conn.close();
  }
});

test('interactive linux shell: prompt detection, failure strings, timeout closes the session', async () => {
  const conn = await sshConnect(target());
  try {
    const s = await CliSession.open(conn, CLI_PLATFORMS.linux, { commandTimeoutMs: 10_000 });
    const r = await s.send('echo hello-$((6*7))');
    expect([r.output.trim(), r.failed]).toEqual(['hello-42', false]);
    const f = await s.send('no-such-command-vmmi');
    expect(f.failed).toBe(true);
    expect(f.failure).toContain('command not found');
    const t = await s.send('sleep 5', { timeoutMs: 300 }).then(() => undefined, (x: unknown) => x);
    expect(t).toMatchObject({ code: 'TIMEOUT' });
    expect(s.closed).toBe(true);
    const after = await s.send('echo x').then(() => undefined, (x: unknown) => x);
    expect(after).toMatchObject({ code: 'CONNECTION' });
  } finally {
    conn.close();
  }
});

test('pool shares one connection per host:port:user and replaces a closed one', async () => {
  const pool = new SshPool();
  try {
    const [a, b] = await Promise.all([pool.get(target()), pool.get(target())]);
    expect(a).toBe(b);
    expect(pool.size).toBe(1);
    a.close();
    await expect.poll(() => a.closed).toBe(true);
    const c = await pool.get(target());
    expect(c).not.toBe(a);
    expect(c.closed).toBe(false);
  } finally {
    await pool.closeAll();
  }
});
