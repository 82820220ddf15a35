/**
 * Long-lived local processes whose output is consumed while they run (e.g. `virsh event --loop`).
 * execa (exec/local.ts) serves run-to-completion commands; a line-streaming child that lives as long
 * as a session is simpler and cheaper as a piped child of spawn.ts (node:child_process).
 * argv arrays only; LC_ALL=C like every vmmi command.
 */
import { CommandError } from '../errors/classes.js';
import { spawnPiped } from './spawn.js';
import { defined } from '../model/defined.js';

export interface StreamingProcess {
  readonly pid: number;
  readonly argv: readonly string[];
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 2 000); resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnStreamOptions {
  readonly onStdout: (chunk: string) => void;
  readonly onStderr?: (chunk: string) => void;
  readonly env?: Readonly<Record<string, string>>;
  /** Aborting stops the process. */
  readonly signal?: AbortSignal;
}

export function spawnStream(argv: readonly string[], o: SpawnStreamOptions): StreamingProcess {
  const [file] = argv;
  if (file === undefined) throw new CommandError('empty argv', argv, undefined, '');
  const child = spawnPiped(argv, { stdin: 'ignore', ...defined({ env: o.env }) });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  if (child.pid === undefined) throw new CommandError(`cannot start ${file}`, argv, undefined, '');
  child.stdout.setEncoding('utf8').on('data', (s: string) => o.onStdout(s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => o.onStderr?.(s));
  let done = false;
  void exited.then(() => (done = true));
  const stop = async (graceMs = 2_000): Promise<void> => {
    if (done) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };
  o.signal?.addEventListener('abort', () => void stop(), { once: true });
  return { pid: child.pid, argv, exited, stop };
}
