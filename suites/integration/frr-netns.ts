/**
 * A real FRR for integration specs: the given daemons (zebra first) in a temporary namespace with an
 * address on its loopback, configured and reached through their own vty socket directory under the
 * NETCONF lab's directory. `stop` ends the daemons and deletes the namespace.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetconfLab } from './netconf-lab.js';
import { runLocal } from './netconf-imports.js';

export interface FrrNetns {
  readonly ns: string;
  /** The vty socket directory (`vtysh --vty_socket <dir>`). */
  readonly dir: string;
  stop(): Promise<void>;
}

/** Runs argv; rejects naming it and its stderr when it fails. */
export async function run(argv: string[]): Promise<string> {
  const r = await runLocal(argv, { timeoutMs: 20_000 });
  if (r.failed) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export async function startFrrNetns(o: { lab: NetconfLab; ns: string; hostname: string; address: string;
  daemons: readonly ('zebra' | 'staticd')[] }): Promise<FrrNetns> {
  const dir = join(o.lab.dir, 'frr');
  await mkdir(dir, { recursive: true });
  await run(['chmod', '0711', o.lab.dir]); // the frr user must reach its directory
  await run(['ip', 'netns', 'add', o.ns]);
  const stop = async (): Promise<void> => {
    for (const d of [...o.daemons].reverse()) {
      const pid = Number((await readFile(join(dir, `${d}.pid`), 'utf8').catch(() => '')).trim());
      if (pid > 1) process.kill(pid, 'SIGTERM');
    }
    await runLocal(['ip', 'netns', 'del', o.ns], { timeoutMs: 10_000 });
  };
  try {
    await run(['ip', '-n', o.ns, 'link', 'set', 'lo', 'up']);
    await run(['ip', '-n', o.ns, 'addr', 'add', o.address, 'dev', 'lo']);
    for (const d of o.daemons) {
      await writeFile(join(dir, `${d}.conf`), `hostname ${o.hostname}\nlog file ${dir}/${d}.log\n!\n`);
    }
    await run(['chown', '-R', 'frr:frr', dir]);
    for (const d of o.daemons) {
      await run(['ip', 'netns', 'exec', o.ns, `/usr/lib/frr/${d}`, '-d', '-f', join(dir, `${d}.conf`),
        '-i', join(dir, `${d}.pid`), '-z', join(dir, 'zserv.api'), '--vty_socket', dir, '-P', '0']);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { ns: o.ns, dir, stop };
}
