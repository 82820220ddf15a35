/**
 * A CommandRunner over one long-lived POSIX shell on an SSH exec channel: each command is one quoted
 * line written to the shell, its output read up to a per-command marker that carries the exit status.
 * An SSH exec costs a channel, a session process and a shell on the device (120–290 ms measured on a
 * loaded lab switch); a line to a running shell costs only the command itself. Used where several
 * short commands must land in quick succession (tunnel endpoints at a switchover).
 *
 * Contract: commands run one at a time in order; stdin is /dev/null; stdout and stderr arrive merged
 * (reported as `stdout`, and as `stderr` too when the command failed, for messages); a command that
 * outlives its timeout closes the shell (the next command opens a new one) and reads as timed out.
 */
import type { CommandResult, CommandRunner, RunOptions } from '../exec/types.js';
import type { SshConnection } from './ssh.js';
import { quoteArgv } from './ssh-quote.js';

/** Marker line: `\x1evmmi-rc <n> <status>`; the record separator never appears in iproute2 output. */
const MARK = '\x1evmmi-rc';

interface Pending {
  readonly n: number;
  readonly resolve: (r: { out: string; rc: number }) => void;
  readonly reject: (e: Error) => void;
}

interface Shell {
  readonly write: (line: string) => void;
  readonly close: () => void;
  /** The command waiting for its marker. */
  pending: Pending | undefined;
  buf: string;
  dead: Error | undefined;
}

async function openShell(connect: (o: RunOptions) => Promise<SshConnection>, o: RunOptions): Promise<Shell> {
  const conn = await connect(o);
  const ch = await conn.execStream(['sh'], {
    ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }), ...(o.signal ? { signal: o.signal } : {}) });
  const shell: Shell = {
    write: (line) => void ch.write(line),
    close: () => ch.destroy(),
    pending: undefined, buf: '', dead: undefined,
  };
  const fail = (e: Error): void => {
    shell.dead ??= e;
    shell.pending?.reject(e);
    shell.pending = undefined;
  };
  ch.setEncoding('utf8');
  ch.on('data', (d: string) => {
    shell.buf += d;
    const p = shell.pending;
    if (p === undefined) return;
    const at = shell.buf.indexOf(`\n${MARK} ${p.n} `);
    if (at < 0) return;
    const end = shell.buf.indexOf('\n', at + 1);
    if (end < 0) return;
    const rc = Number(shell.buf.slice(at + MARK.length + String(p.n).length + 3, end));
    const out = shell.buf.slice(0, at);
    shell.buf = shell.buf.slice(end + 1);
    shell.pending = undefined;
    p.resolve({ out, rc });
  });
  ch.on('error', (e: Error) => fail(e));
  ch.on('close', () => fail(new Error('the shell channel closed')));
  return shell;
}

export function sshShellRunner(where: string, connect: (o: RunOptions) => Promise<SshConnection>): CommandRunner & {
  close(): void;
} {
  let shell: Promise<Shell> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let n = 0;
  const runOne = async (argv: readonly string[], o: RunOptions): Promise<CommandResult> => {
    const t0 = performance.now();
    shell ??= openShell(connect, o);
    const current = shell;
    const sh = await current.catch((e: unknown) => {
      shell = undefined;
      throw e;
    });
    if (sh.dead !== undefined) {
      shell = undefined;
      return runOne(argv, o);
    }
    const id = ++n;
    const timeoutMs = o.timeoutMs ?? 15_000;
    const done = new Promise<{ out: string; rc: number }>((resolve, reject) => {
      sh.pending = { n: id, resolve, reject };
    });
    sh.write(`${quoteArgv(argv)} </dev/null 2>&1; printf '\\n${MARK} %d %d\\n' ${id} $?\n`);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((res) => { timer = setTimeout(() => res('timeout'), timeoutMs); });
    const onAbort = (): void => sh.close();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const r = await Promise.race([done, timedOut]);
      const durationMs = performance.now() - t0;
      if (r === 'timeout') {
        sh.close();
        if (shell === current) shell = undefined;
        return { argv, stdout: '', stderr: `timed out after ${timeoutMs} ms on ${where}`, exitCode: undefined,
          durationMs, failed: true, timedOut: true };
      }
      return { argv, stdout: r.out, stderr: r.rc === 0 ? '' : r.out, exitCode: r.rc, durationMs,
        failed: r.rc !== 0, timedOut: false };
    } catch (e) {
      if (shell === current) shell = undefined;
      throw e;
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    }
  };
  return {
    where: `ssh-shell:${where}`,
    run(argv, options = {}) {
      if (options.cwd !== undefined || options.env !== undefined || options.input !== undefined) {
        throw new TypeError('sshShellRunner: cwd, env and input are not supported');
      }
      const next = queue.then(() => runOne(argv, options));
      queue = next.catch(() => undefined);
      return next;
    },
    close() {
      void shell?.then((s) => s.close(), () => undefined);
      shell = undefined;
    },
  };
}
