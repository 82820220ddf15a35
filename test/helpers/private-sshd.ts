/**
 * A private OpenSSH sshd on loopback for the secrets and host-key integration specs: own temp dir,
 * own ed25519 host key, port in 18500-18599, never the system sshd. Started with `-D` (no fork) so the
 * PID is sshd's own and `stop()` ends exactly that process.
 */
import { connect } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChecked } from '../../src/exec/local.js';
import { spawnDetached } from '../../src/exec/spawn.js';
import { terminate } from '../../src/lab/proc.js';

export interface KeyPair {
  readonly privateFile: string;
  /** `type base64 comment` */
  readonly publicLine: string;
  /** OpenSSH `SHA256:…` fingerprint as printed by ssh-keygen (independent oracle). */
  readonly fingerprint: string;
}

/** Generates an ed25519 key pair with ssh-keygen and reads its fingerprint with `ssh-keygen -l`. */
export async function makeKey(file: string): Promise<KeyPair> {
  await runChecked(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'vmmi-test', '-f', file], {
    timeoutMs: 30_000,
  });
  const fp = await runChecked(['ssh-keygen', '-l', '-E', 'sha256', '-f', `${file}.pub`], { timeoutMs: 30_000 });
  const fingerprint = fp.stdout.split(/\s+/)[1] ?? '';
  return { privateFile: file, publicLine: (await readFile(`${file}.pub`, 'utf8')).trim(), fingerprint };
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (v: boolean): void => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** A port in 18500-18599 nobody listens on (first free from a start derived from the pid). */
export async function freePort(): Promise<number> {
  for (let k = 0; k < 100; k++) {
    const port = 18500 + ((process.pid + k * 7) % 100);
    if (!(await portOpen(port, 200))) return port;
  }
  throw new Error('no free port in 18500-18599');
}

export interface PrivateSshd {
  readonly dir: string;
  readonly port: number;
  readonly hostKey: KeyPair;
  readonly clientKey: KeyPair;
  readonly logFile: string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Allow password authentication (it still fails: no account has a known password). */
  readonly passwordAuth?: boolean;
  /** Offer the SFTP subsystem (`Subsystem sftp internal-sftp`); without it SFTP channels are refused. */
  readonly sftp?: boolean;
  /** Environment of every session (`SetEnv`), e.g. a PATH without node for the remote precheck. */
  readonly setEnv?: Readonly<Record<string, string>>;
  /** More subsystems: name → command (`Subsystem name command`), e.g. a `netconf` that never answers. */
  readonly subsystems?: Readonly<Record<string, string>>;
  /** More sshd_config lines, as they stand (e.g. the lab's SSHD_SESSION_ENV_LINES). */
  readonly extraConfig?: readonly string[];
}

/** Starts sshd; the caller must `stop()` it (also on failure: use try/finally or afterAll). */
export async function startPrivateSshd(o: SshdOptions = {}): Promise<PrivateSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-sshd-'));
  let pid: number | undefined;
  const cleanup = async (): Promise<void> => {
    if (pid !== undefined) await terminate([pid], 2000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    const [hostKey, clientKey] = await Promise.all([
      makeKey(join(dir, 'host_ed25519')),
      makeKey(join(dir, 'client_ed25519')),
    ]);
    await writeFile(join(dir, 'authorized_keys'), `${clientKey.publicLine}\n`, { mode: 0o600 });
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    await writeFile(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey.privateFile}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'StrictModes no',
        'PermitRootLogin yes',
        `PasswordAuthentication ${o.passwordAuth === true ? 'yes' : 'no'}`,
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'LogLevel VERBOSE',
        ...(o.sftp === true ? ['Subsystem sftp internal-sftp'] : []),
        ...Object.entries(o.subsystems ?? {}).map(([name, cmd]) => `Subsystem ${name} ${cmd}`),
        ...(o.extraConfig ?? []),
        ...Object.entries(o.setEnv ?? {}).map(([k, v]) => `SetEnv ${k}=${v}`),
        '',
      ].join('\n'),
    );
    const logFile = join(dir, 'sshd.log');
    pid = spawnDetached(['/usr/sbin/sshd', '-D', '-f', config, '-E', logFile], join(dir, 'sshd.out'));
    const deadline = Date.now() + 15_000;
    while (!(await portOpen(port))) {
      if (Date.now() > deadline) {
        const log = await readFile(logFile, 'utf8').catch(() => '');
        throw new Error(`sshd did not listen on 127.0.0.1:${port} within 15 s; log:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const started = pid;
    return {
      dir, port, hostKey, clientKey, logFile,
      stop: async () => {
        await terminate([started], 2000);
        pid = undefined;
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/**
 * A private sshd whose sessions' PATH holds only `tools` (symlinks to this host's), so `node` is
 * missing there: the remote precheck's "no node" case against a real peer. `stop()` also removes the
 * tool directory.
 */
export async function startSshdWithoutNode(tools: readonly string[]): Promise<PrivateSshd> {
  const binDir = await mkdtemp(join(tmpdir(), 'vmmi-nonode-bin-'));
  try {
    for (const tool of tools) {
      const at = (await runChecked(['sh', '-c', 'command -v "$1"', 'sh', tool], { timeoutMs: 5000 })).stdout.trim();
      await symlink(at, join(binDir, tool));
    }
    const sshd = await startPrivateSshd({ setEnv: { PATH: binDir } });
    return { ...sshd, stop: async () => {
      await sshd.stop();
      await rm(binDir, { recursive: true, force: true });
    } };
  } catch (e) {
    await rm(binDir, { recursive: true, force: true });
    throw e;
  }
}
