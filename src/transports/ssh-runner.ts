/**
 * A CommandRunner over SSH exec: argv quoted for the remote POSIX shell, never a shell string built
 * from input. The connection is asked for on every run (`connect`), so a pooled connection that died
 * between two commands is replaced instead of failing every later command.
 */
import type { CommandResult, CommandRunner, RunOptions } from '../exec/types.js';
import { isVmmiError } from '../errors/vmmi-error.js';
import type { SshConnection } from './ssh.js';

export function sshRunner(where: string, connect: (o: RunOptions) => Promise<SshConnection>): CommandRunner {
  return {
    where: `ssh:${where}`,
    async run(argv, options = {}): Promise<CommandResult> {
      const t0 = performance.now();
      if (options.cwd !== undefined || options.env !== undefined) {
        // Neither is forwarded by every sshd (AcceptEnv); the argv carries what the command needs.
        throw new TypeError('sshRunner: cwd and env are not supported; put them in argv (env K=V …, sh -c is not used)');
      }
      const conn = await connect(options);
      try {
        const r = await conn.exec(argv, {
          ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          ...(options.input === undefined ? {} : { input: options.input }),
        });
        return {
          argv, stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode,
          durationMs: performance.now() - t0, failed: r.exitCode !== 0, timedOut: false,
        };
      } catch (e) {
        if (isVmmiError(e) && e.code === 'TIMEOUT') {
          return { argv, stdout: '', stderr: e.message, exitCode: undefined, durationMs: performance.now() - t0,
            failed: true, timedOut: true };
        }
        throw e;
      }
    },
  };
}
