/**
 * The long-lived shell runner (transports/ssh-shell-runner.ts) against a real OpenSSH sshd on
 * loopback: output and exit status per command, order under concurrent calls, quoting of hostile
 * arguments, a command that outlives its timeout ends the shell and the next command gets a new one.
 * What it saves against an SSH exec per command: bench/ssh-shell-vs-exec.ts.
 */
/* eslint-disable no-restricted-imports -- the transport is internal; the package entry does not export it */
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { startPrivateSshd, type PrivateSshd } from '../../test/helpers/private-sshd.js';
import { Secret } from '../../src/model/secret.js';
import { SshPool, type SshTarget } from '../../src/transports/ssh.js';
import { sshShellRunner } from '../../src/transports/ssh-shell-runner.js';

test.describe.configure({ mode: 'serial' });

let sshd: PrivateSshd | undefined;
const pool = new SshPool();
let target: SshTarget;

test.beforeAll(async () => {
  sshd = await startPrivateSshd();
  const key = await readFile(sshd.clientKey.privateFile, 'utf8');
  target = { name: 'shell-host', host: '127.0.0.1', port: sshd.port,
    hostKey: { kind: 'fingerprint', sha256: sshd.hostKey.fingerprint },
    credentials: { username: 'root', privateKey: new Secret('${file:client_ed25519}', key) } };
});

test.afterAll(async () => {
  await pool.closeAll();
  await sshd?.stop();
});

test('each command gets its own output and exit status, in order, hostile arguments intact', async () => {
  const sh = sshShellRunner('shell-host', (o) => pool.get(target, o));
  try {
    const hostile = ["it's", '$(touch /tmp/nope)', 'a b', '"q"', '`x`', ';', '\\'];
    const [a, b, c] = await Promise.all([
      sh.run(['printf', '%s|', ...hostile], { timeoutMs: 5000 }),
      sh.run(['sh', '-c', 'echo to-stderr >&2; exit 3'], { timeoutMs: 5000 }),
      sh.run(['echo', 'third'], { timeoutMs: 5000 }),
    ]);
    expect(a?.stdout).toBe(`${hostile.join('|')}|`);
    expect(a?.exitCode).toBe(0);
    expect(b).toMatchObject({ exitCode: 3, failed: true });
    expect(b?.stderr).toContain('to-stderr');
    expect(c?.stdout).toBe('third\n');
    // stdin is /dev/null: a command reading it does not eat the shell's next lines.
    expect((await sh.run(['cat'], { timeoutMs: 5000 })).stdout).toBe('');
    expect((await sh.run(['echo', 'after-cat'], { timeoutMs: 5000 })).stdout).toBe('after-cat\n');
  } finally {
    sh.close();
  }
});

test('a command past its timeout ends the shell; the next command runs in a new one', async () => {
  const sh = sshShellRunner('shell-host', (o) => pool.get(target, o));
  try {
    const pid1 = (await sh.run(['sh', '-c', 'echo $PPID'], { timeoutMs: 5000 })).stdout.trim();
    const slow = await sh.run(['sleep', '5'], { timeoutMs: 300 });
    expect(slow).toMatchObject({ failed: true, timedOut: true });
    const pid2 = (await sh.run(['sh', '-c', 'echo $PPID'], { timeoutMs: 5000 })).stdout.trim();
    expect(pid2).not.toBe(pid1);
  } finally {
    sh.close();
  }
});
