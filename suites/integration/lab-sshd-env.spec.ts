/**
 * The lab's sshds run a session's command without the login user's rc files (src/lab/sshd-env.ts),
 * against a real OpenSSH sshd: a HOME (set for the session) whose `.bashrc` leaves a marker file.
 * Without the lab's lines bash sources it for an exec and for a subsystem, as sshd's child; with them
 * it does not. The control case is what makes the spec able to fail.
 */
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { startPrivateSshd } from '../../test/helpers/private-sshd.js';
/* eslint-disable no-restricted-imports -- internals checked directly, outside the public API (src/index.ts) */
import { SSHD_SESSION_ENV_LINES } from '../../src/lab/sshd-env.js';
import { Secret } from '../../src/model/secret.js';
import { sshConnect } from '../../src/transports/ssh.js';
/* eslint-enable no-restricted-imports */

test.skip(process.getuid?.() !== 0, 'sshd needs root');

const exists = (f: string): Promise<boolean> => access(f).then(() => true, () => false);

async function rcRuns(extraConfig: readonly string[]): Promise<{ exec: boolean; subsystem: boolean }> {
  const home = await mkdtemp(join(tmpdir(), 'vmmi-rc-home-'));
  const sshd = await startPrivateSshd({
    setEnv: { HOME: home }, extraConfig, subsystems: { probe: '/bin/sleep 2' },
  });
  try {
    await writeFile(join(home, '.bashrc'), `echo ran >> "${home}/rc-log"\n`);
    const key = await readFile(sshd.clientKey.privateFile, 'utf8');
    const knownHosts = join(sshd.dir, 'known_hosts');
    await writeFile(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostKey.publicLine}\n`);
    const c = await sshConnect({ name: 'rc', host: '127.0.0.1', port: sshd.port,
      credentials: { username: 'root', privateKey: new Secret('${file:test}', key) },
      hostKey: { kind: 'known-hosts', file: knownHosts } }, { timeoutMs: 10_000 });
    try {
      const r = await c.exec(['true'], { timeoutMs: 10_000 });
      expect(r.exitCode).toBe(0);
      const exec = await exists(join(home, 'rc-log'));
      await rm(join(home, 'rc-log'), { force: true });
      const ch = await c.subsystem('probe', { timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      ch.destroy();
      return { exec, subsystem: await exists(join(home, 'rc-log')) };
    } finally {
      c.close();
    }
  } finally {
    await sshd.stop();
    await rm(home, { recursive: true, force: true });
  }
}

test("without the lab's lines, bash sources the login .bashrc for an exec and a subsystem (control)", async () => {
  expect(await rcRuns([])).toEqual({ exec: true, subsystem: true });
});

test("with the lab's lines, neither an exec nor a subsystem runs the login user's .bashrc", async () => {
  expect(await rcRuns(SSHD_SESSION_ENV_LINES)).toEqual({ exec: false, subsystem: false });
});
