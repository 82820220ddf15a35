/**
 * Cost of one short command on a device over SSH: an exec channel each (transports/ssh-runner.ts)
 * against a line to one long-lived shell (transports/ssh-shell-runner.ts, what tunnel endpoints use at a
 * switchover), against a private OpenSSH sshd on loopback; median of N commands each, interleaved so
 * other load on the cores hits both alike. Prints figures, reference and ratio; asserts nothing.
 * Usage: npx tsx bench/ssh-shell-vs-exec.ts [N]     (N default 20; needs root for sshd)
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { startPrivateSshd } from '../test/helpers/private-sshd.js';
import { Secret } from '../src/model/secret.js';
import { SshPool, type SshTarget } from '../src/transports/ssh.js';
import { sshRunner } from '../src/transports/ssh-runner.js';
import { sshShellRunner } from '../src/transports/ssh-shell-runner.js';

const N = Number(process.argv[2] ?? 20);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const sshd = await startPrivateSshd();
const pool = new SshPool();
try {
  const key = await readFile(sshd.clientKey.privateFile, 'utf8');
  const target: SshTarget = { name: 'bench', host: '127.0.0.1', port: sshd.port,
    hostKey: { kind: 'fingerprint', sha256: sshd.hostKey.fingerprint },
    credentials: { username: 'root', privateKey: new Secret('${file:client_ed25519}', key) } };
  const exec = sshRunner('bench', (o) => pool.get(target, o));
  const shell = sshShellRunner('bench', (o) => pool.get(target, o));
  const argv = ['ip', '-4', 'route', 'show', 'table', 'main'];
  await exec.run(argv, { timeoutMs: 10_000 });
  await shell.run(argv, { timeoutMs: 10_000 });
  const viaExec: number[] = [];
  const viaShell: number[] = [];
  for (let i = 0; i < N; i++) {
    for (const [r, out] of [[exec, viaExec], [shell, viaShell]] as const) {
      const t0 = performance.now();
      const res = await r.run(argv, { timeoutMs: 10_000 });
      if (res.failed) throw new Error(`${argv.join(' ')}: ${res.stderr}`);
      out.push(performance.now() - t0);
    }
  }
  shell.close();
  const e = median(viaExec);
  const s = median(viaShell);
  console.log(`load ${loadavg()[0]?.toFixed(2)}; ${N} × \`${argv.join(' ')}\` over SSH to 127.0.0.1`);
  console.log(`  SSH exec per command (reference): median ${e.toFixed(2)} ms`);
  console.log(`  long-lived shell per command:     median ${s.toFixed(2)} ms`);
  console.log(`  ratio exec / shell: ${(e / s).toFixed(1)}×`);
} finally {
  await pool.closeAll();
  await sshd.stop();
}
