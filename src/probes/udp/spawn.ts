import { createInterface } from 'node:readline';
import { spawnPiped } from '../../exec/spawn.js';

/** A running agent process whose stdout is read line by line while it runs. */
export interface ProbeProcess {
  /** stdout, one line at a time, until the process closes it. */
  readonly lines: AsyncIterable<string>;
  /** Exit status plus the tail of stderr (≤ 4 KiB). */
  readonly exit: Promise<{ readonly code: number | null; readonly signal: string | null; readonly stderr: string }>;
  /** Writes to the process's stdin (interactive tools such as `nft -i`); absent where unsupported. */
  readonly write?: (text: string) => void;
  /** Asks the agent to stop (closes its stdin and sends SIGTERM); it still reports what it has. */
  stop(): void;
}

/**
 * Starts argv somewhere and streams its stdout. Local and `ip netns exec` use {@link spawnLocal};
 * a remote traffic host injects one built on the SSH transport (exec channel: stdout → lines,
 * channel close → exit, stop → signal/close), so this module never imports ssh2.
 */
export type ProbeSpawner = (argv: readonly string[], opts: { readonly cwd?: string }) => ProbeProcess;

/** Spawns argv (never a shell string) on this host with piped stdio. */
export const spawnLocal: ProbeSpawner = (argv, opts) => {
  const [file] = argv;
  if (file === undefined) throw new TypeError('empty argv');
  const child = spawnPiped(argv, opts.cwd === undefined ? {} : { cwd: opts.cwd });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4096);
  });
  child.stdin.on('error', () => { /* agent already gone: its exit status tells why */ });
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
    child.once('error', (e) =>
      resolve({ code: null, signal: null, stderr: `${stderr}\nspawn ${file} failed: ${e.message}` }),
    );
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  return {
    lines,
    exit,
    write: (text) => void child.stdin.write(text),
    stop() {
      child.stdin.end();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
};
