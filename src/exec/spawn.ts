/**
 * Processes vmmi starts itself rather than through execa (local.ts): children read (and written)
 * while they run, detached daemons, a child sharing the terminal, and the CLI run as a black box.
 * With spawn-stream.ts this is where node:child_process is imported (lint allows it in src/exec/ only),
 * so every process start is argv-only (never a shell string) and runs with LC_ALL=C unless the caller
 * keeps its locale (Node children whose output is not parsed by words).
 */
import {
  execFile, spawn, type ChildProcess, type ChildProcessByStdio, type ChildProcessWithoutNullStreams,
} from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { defined } from '../model/defined.js';
import { checkNamespaceEntry } from './namespace-guard.js';

export type { ChildProcess, ChildProcessByStdio, ChildProcessWithoutNullStreams };

export interface SpawnOptions {
  readonly cwd?: string;
  /** Added to the environment (process.env, then LC_ALL=C unless `keepLocale`, then these). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Keeps the caller's locale: no LC_ALL=C. */
  readonly keepLocale?: boolean;
}

export interface PipedOptions extends SpawnOptions {
  /** 'ignore': the child's stdin is /dev/null (default 'pipe'). */
  readonly stdin?: 'pipe' | 'ignore';
  /** 'ignore': the child's stderr is discarded (default 'pipe'). */
  readonly stderr?: 'pipe' | 'ignore';
}

/** argv's file and arguments, after the namespace guard (every start here passes through it). */
function fileAndArgs(argv: readonly string[]): [string, string[]] {
  const [file, ...args] = argv;
  if (file === undefined) throw new TypeError('empty argv');
  checkNamespaceEntry(argv);
  return [file, args];
}

function childEnv(o: SpawnOptions): NodeJS.ProcessEnv {
  return { ...process.env, ...(o.keepLocale === true ? {} : { LC_ALL: 'C' }), ...o.env };
}

const cwdOf = (o: SpawnOptions): { cwd?: string } => (o.cwd === undefined ? {} : { cwd: o.cwd });

/**
 * Starts argv with stdout piped (and stdin, stderr unless ignored): the caller reads it while it runs
 * and ends it with `kill`. A spawn failure arrives as the child's 'error' event.
 */
export function spawnPiped(argv: readonly string[], o: PipedOptions & { stdin: 'ignore'; stderr: 'ignore' }):
  ChildProcessByStdio<null, Readable, null>;
export function spawnPiped(argv: readonly string[], o: PipedOptions & { stdin: 'ignore'; stderr?: 'pipe' }):
  ChildProcessByStdio<null, Readable, Readable>;
export function spawnPiped(argv: readonly string[], o?: PipedOptions & { stdin?: 'pipe'; stderr?: 'pipe' }):
  ChildProcessWithoutNullStreams;
export function spawnPiped(argv: readonly string[], o: PipedOptions = {}): ChildProcess {
  const [file, args] = fileAndArgs(argv);
  return spawn(file, args, { ...cwdOf(o), stdio: [o.stdin ?? 'pipe', 'pipe', o.stderr ?? 'pipe'], env: childEnv(o) });
}

/** Starts argv sharing this process's stdin, stdout and stderr (e.g. `vmmi run` → Playwright). */
export function spawnInherited(argv: readonly string[], o: SpawnOptions = {}): ChildProcess {
  const [file, args] = fileAndArgs(argv);
  return spawn(file, args, { ...cwdOf(o), stdio: 'inherit', env: childEnv(o) });
}

/**
 * Starts a long-running process detached (own session, survives the caller), stdout and stderr
 * appended to `logFile`. Returns its PID; `ip netns exec`, `unshare` and `sh -c exec` all exec in
 * place, so the PID stays the daemon's.
 */
export function spawnDetached(
  argv: readonly string[],
  logFile: string,
  env?: Readonly<Record<string, string>>,
): number {
  const [file, args] = fileAndArgs(argv);
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: childEnv({ ...defined({ env }) }),
    });
    child.on('error', () => undefined); // reported below through the missing pid or the log
    child.unref();
    if (child.pid === undefined) throw new Error(`cannot start ${file}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export interface ExecFileOptions extends SpawnOptions {
  /** Killed (SIGTERM) after this many ms. */
  readonly timeoutMs?: number;
  /** Bytes of stdout or stderr beyond which the child is killed (default 1 MiB). */
  readonly maxBuffer?: number;
}

/**
 * Runs argv to completion and resolves with its output; rejects (Node's execFile error, carrying
 * stdout, stderr and code) when it fails, times out or overflows `maxBuffer`.
 */
export async function execFileText(
  argv: readonly string[],
  o: ExecFileOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  const [file, args] = fileAndArgs(argv);
  return promisify(execFile)(file, args, {
    ...cwdOf(o),
    env: childEnv(o),
    encoding: 'utf8',
    ...defined({ timeout: o.timeoutMs, maxBuffer: o.maxBuffer }),
  });
}
