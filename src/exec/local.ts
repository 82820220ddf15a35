import { execa } from 'execa';
import { CommandError } from '../errors/classes.js';
import { checkNamespaceEntry } from './namespace-guard.js';
import type { CommandResult, CommandRunner, RunOptions } from './types.js';
import { defined } from '../model/defined.js';

/** Default hard limit of a local command (ms). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/** Runs a command locally. The sole importer of execa. */
export async function runLocal(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new CommandError('empty argv', argv, undefined, '');
  checkNamespaceEntry(argv);
  const started = performance.now();
  const r = await execa(file, args, {
    reject: false,
    timeout: options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    // Each command gets its own signal that follows the caller's: a run's signal is shared by many
    // commands at once (the route monitor seeds 10 tables in parallel), and execa listens on the signal
    // it is given until the command ends, so 11 concurrent commands on one signal tripped Node's
    // MaxListeners warning although every listener is removed. A dependent signal (AbortSignal.any)
    // adds no listener to the caller's signal.
    ...defined({ cancelSignal: options.signal === undefined ? undefined : AbortSignal.any([options.signal]) }),
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    ...defined({ cwd: options.cwd }),
    env: { LC_ALL: 'C', ...options.env },
    stripFinalNewline: false,
    encoding: 'utf8',
  });
  return {
    argv,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    exitCode: r.exitCode,
    durationMs: performance.now() - started,
    failed: r.failed,
    timedOut: r.timedOut,
  };
}

export const localRunner: CommandRunner = { where: 'local', run: runLocal };

/** Runs and throws CommandError naming argv and stderr when the command fails. */
export async function runChecked(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const r = await runLocal(argv, options);
  if (r.failed) {
    const why = r.timedOut ? 'timed out' : `exited ${r.exitCode ?? 'by signal'}`;
    throw new CommandError(`${argv.join(' ')} ${why}: ${r.stderr.trim().slice(0, 500)}`, argv, r.exitCode, r.stderr);
  }
  return r;
}
