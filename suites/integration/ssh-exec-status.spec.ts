/**
 * An exec's exit status is kept however fast the command ends, against a real OpenSSH sshd on
 * loopback: the controller's event loop is held busy right after the exec request, so the channel's
 * success, its exit status and its close arrive in one read (as on a loaded controller, with a
 * command that ends in a millisecond). The status must still be there, for exec() and for spawn().
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startPrivateSshd, type PrivateSshd } from '../../test/helpers/private-sshd.js';
/* eslint-disable no-restricted-imports -- internals checked directly, outside the public API (src/index.ts) */
import { SSHD_SESSION_ENV_LINES } from '../../src/lab/sshd-env.js';
import { Secret } from '../../src/model/secret.js';
import { sshConnect, type SshConnection } from '../../src/transports/ssh.js';
/* eslint-enable no-restricted-imports */

test.skip(process.getuid?.() !== 0, 'sshd needs root');
test.describe.configure({ mode: 'serial' });

let sshd: PrivateSshd;
let conn: SshConnection;
test.beforeAll(async () => {
  // The lab's session lines: no rc file, so `true` ends as fast as it can.
  sshd = await startPrivateSshd({ extraConfig: SSHD_SESSION_ENV_LINES });
  const knownHosts = join(sshd.dir, 'known_hosts');
  await writeFile(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostKey.publicLine}\n`);
  const key = await readFile(sshd.clientKey.privateFile, 'utf8');
  conn = await sshConnect({ name: 'fast', host: '127.0.0.1', port: sshd.port,
    credentials: { username: 'root', privateKey: new Secret('${file:test}', key) },
    hostKey: { kind: 'known-hosts', file: knownHosts } }, { timeoutMs: 10_000 });
});
test.afterAll(async () => {
  conn?.close();
  await sshd?.stop();
});

/** Blocks the event loop: everything the server sends meanwhile is read in one go afterwards. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* hold the loop */ }
}

test('exec(): a command that ends at once, read in one go with its close, keeps its exit status', async () => {
  for (const [argv, code] of [[['true'], 0], [['sh', '-c', 'exit 7'], 7]] as const) {
    for (let i = 0; i < 5; i++) {
      const p = conn.exec(argv, { timeoutMs: 10_000 });
      busy(150);
      expect((await p).exitCode, `${argv.join(' ')} #${i}`).toBe(code);
    }
  }
});

test('spawn(): the same for a process whose exit is awaited', async () => {
  for (let i = 0; i < 5; i++) {
    const p = conn.spawn(['sh', '-c', 'exit 5'], { timeoutMs: 10_000 });
    busy(150);
    const proc = await p;
    proc.stdout.resume(); // read to its end, as every caller does: the channel closes after that
    proc.stderr.resume();
    proc.endInput();
    busy(150);
    expect((await proc.exit).code, `#${i}`).toBe(5);
  }
});
