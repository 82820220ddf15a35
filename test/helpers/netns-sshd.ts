/**
 * A real OpenSSH sshd running as root inside a network namespace the test creates (`vmmih2-<pid>-<n>`),
 * listening on a veth address from 198.18.0.0/15 that the root namespace reaches directly: the code under
 * test connects over SSH only, as to a switch's management address. `ip netns exec` is used here for the
 * test's own setup and checks, never by the code under test. `stop()` ends sshd and deletes the
 * namespace (its veth goes with it) and the temp dir; call it in a finally/afterAll.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChecked, runLocal } from '../../src/exec/local.js';
import { spawnDetached } from '../../src/exec/spawn.js';
import { terminate } from '../../src/lab/proc.js';
import { makeKey, type KeyPair } from './private-sshd.js';

export interface NetnsSshd {
  readonly ns: string;
  /** sshd's address (the namespace's end of the veth). */
  readonly address: string;
  readonly port: number;
  readonly hostKey: KeyPair;
  readonly clientKey: KeyPair;
  readonly sshdPid: number;
  /** argv run inside the namespace (test setup and checks only). */
  inNs(argv: readonly string[]): Promise<string>;
  /** Pids in the namespace with their command names. */
  processes(): Promise<{ pid: number; comm: string; ppid: number }[]>;
  stop(): Promise<void>;
}

let seq = 0;

async function waitListening(ns: string, port: number, logFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await runLocal(['ip', 'netns', 'exec', ns, 'ss', '-Hltn', `sport = :${port}`], { timeoutMs: 5000 });
    if (r.stdout.trim() !== '') return;
    if (Date.now() > deadline) {
      throw new Error(`sshd did not listen in ${ns} within 15 s; log:\n${await readFile(logFile, 'utf8').catch(() => '')}`);
    }
    await new Promise((res) => setTimeout(res, 100));
  }
}

export async function startNetnsSshd(): Promise<NetnsSshd> {
  const n = seq++;
  const ns = `vmmih2-${process.pid}-${n}`;
  // 198.19.<128+pid%100>.<4n> /30: one subnet per sshd, away from the emulated lab's 198.18.x plan.
  const o3 = 128 + (process.pid % 100);
  const [host, peer] = [`198.19.${o3}.${4 * (n % 60) + 1}`, `198.19.${o3}.${4 * (n % 60) + 2}`];
  const vethRoot = `h2r${process.pid % 100000}${n}`.slice(0, 15);
  const dir = await mkdtemp(join(tmpdir(), 'vmmih2-sshd-'));
  let pid: number | undefined;
  const inNs = async (argv: readonly string[]): Promise<string> =>
    (await runChecked(['ip', 'netns', 'exec', ns, ...argv], { timeoutMs: 10_000 })).stdout;
  const stop = async (): Promise<void> => {
    if (pid !== undefined) await terminate([pid], 2000);
    pid = undefined;
    await runLocal(['ip', 'netns', 'del', ns], { timeoutMs: 10_000 });
    await runLocal(['ip', 'link', 'del', vethRoot], { timeoutMs: 10_000 }); // gone with the namespace already
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await runChecked(['ip', 'netns', 'add', ns], { timeoutMs: 10_000 });
    await runChecked(['ip', 'link', 'add', vethRoot, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns],
      { timeoutMs: 10_000 });
    await runChecked(['ip', 'addr', 'add', `${host}/30`, 'dev', vethRoot], { timeoutMs: 10_000 });
    await runChecked(['ip', 'link', 'set', vethRoot, 'up'], { timeoutMs: 10_000 });
    await inNs(['ip', 'link', 'set', 'lo', 'up']);
    await inNs(['ip', 'addr', 'add', `${peer}/30`, 'dev', 'eth0']);
    await inNs(['ip', 'link', 'set', 'eth0', 'up']);
    const [hostKey, clientKey] = await Promise.all([makeKey(join(dir, 'host_ed25519')),
      makeKey(join(dir, 'client_ed25519'))]);
    await writeFile(join(dir, 'authorized_keys'), `${clientKey.publicLine}\n`, { mode: 0o600 });
    const port = 22;
    const config = join(dir, 'sshd_config');
    await writeFile(config, [`Port ${port}`, `ListenAddress ${peer}`, `HostKey ${hostKey.privateFile}`,
      `PidFile ${join(dir, 'sshd.pid')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'StrictModes no',
      'PermitRootLogin yes', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no',
      'LogLevel VERBOSE', ''].join('\n'));
    const logFile = join(dir, 'sshd.log');
    pid = spawnDetached(['ip', 'netns', 'exec', ns, '/usr/sbin/sshd', '-D', '-f', config, '-E', logFile],
      join(dir, 'sshd.out'));
    await waitListening(ns, port, logFile);
    const sshdPid = pid;
    return {
      ns, address: peer, port, hostKey, clientKey, sshdPid, inNs, stop,
      processes: async () => {
        const pids = (await runLocal(['ip', 'netns', 'pids', ns], { timeoutMs: 5000 })).stdout.split(/\s+/)
          .filter((p) => p !== '').map(Number);
        const out: { pid: number; comm: string; ppid: number }[] = [];
        for (const p of pids) {
          const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => undefined);
          const m = stat === undefined ? null : /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
          if (m !== null) out.push({ pid: p, comm: m[1] ?? '', ppid: Number(m[2]) });
        }
        return out;
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
