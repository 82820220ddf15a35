/**
 * ProbeSpawner (udp/spawn.ts contract) over an SSH exec channel: stdout → lines, stderr → a tail of at
 * most 4 KiB, channel close → exit {code, signal}. `stop()` closes the agent's stdin and sends TERM
 * through the channel (every agent stops on either), then closes the channel after a grace period if
 * the agent has not ended by then: long enough for it to report what it has.
 */
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import type { SshConnection, SshProcess } from '../../transports/ssh.js';
import type { IoOptions } from '../../util/abort.js';
import type { ProbeProcess, ProbeSpawner } from '../udp/spawn.js';

export interface SshSpawnerOptions {
  /** Where (for messages): `ssh:host`. */
  readonly where: string;
  /** Bound of connecting and opening the channel, ms. */
  readonly openTimeoutMs: number;
  /** After stop(): how long the agent may take to end before the channel is closed, ms (default 5000). */
  readonly stopGraceMs?: number;
}

type Exit = { code: number | null; signal: string | null; stderr: string };

/**
 * A spawner whose processes run on the SSH host `connect` reaches (asked on every spawn, so a pooled
 * connection that died is replaced). `cwd` is ignored: the agent's argv carries absolute paths.
 */
export function sshSpawner(connect: (io: IoOptions) => Promise<SshConnection>, o: SshSpawnerOptions): ProbeSpawner {
  return (argv): ProbeProcess => {
    if (argv.length === 0) throw new TypeError('empty argv');
    const stdout = new PassThrough();
    let proc: SshProcess | undefined;
    let stopped = false;
    let stderr = '';
    let closeTimer: NodeJS.Timeout | undefined;
    const stopNow = (p: SshProcess): void => {
      p.endInput();
      p.signal('TERM');
      closeTimer = setTimeout(() => p.close(), o.stopGraceMs ?? 5000);
    };
    const exit = (async (): Promise<Exit> => {
      try {
        const conn = await connect({ timeoutMs: o.openTimeoutMs });
        proc = await conn.spawn(argv, { timeoutMs: o.openTimeoutMs });
      } catch (e) {
        stdout.end();
        return { code: null, signal: null, stderr: `exec on ${o.where} failed: ${e instanceof Error ? e.message : String(e)}` };
      }
      proc.stdout.pipe(stdout);
      proc.stderr.setEncoding('utf8');
      proc.stderr.on('data', (d: string) => {
        stderr = (stderr + d).slice(-4096);
      });
      if (stopped) stopNow(proc);
      const ex = await proc.exit;
      clearTimeout(closeTimer);
      stdout.end();
      return { ...ex, stderr };
    })();
    return {
      lines: createInterface({ input: stdout, crlfDelay: Infinity }),
      exit,
      write: (text) => proc?.write(text),
      stop() {
        if (stopped) return;
        stopped = true;
        if (proc !== undefined) stopNow(proc);
      },
    };
  };
}
