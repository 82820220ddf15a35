/**
 * The `loaded` project's host load: busy loops at nice 0, each in a session (autogroup) of its own, as
 * other users' work on a shared CI host would be. Each loop is bounded in time by `timeout` on its own
 * side, so a run that is killed cannot leave one spinning for longer than LIFETIME_S; the loops carry a
 * marker argument by which the teardown finds them.
 */
import { readdir, readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { spawnLocal } from '../../src/index.js';

const MARKER = 'vmmi-cpu-hog';
/** Busy loops (VMMI_LOAD_HOGS, default 2: load ≈ 4 on 2 cores with the lab's own work). */
export const HOGS = Number(process.env.VMMI_LOAD_HOGS ?? 2);
const LIFETIME_S = 3600;

export const load1 = (): string => (loadavg()[0] ?? 0).toFixed(1);

/** PIDs of the running loops' `timeout` processes (they forward SIGTERM to the loop). */
export async function hogPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const argv = (await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0] === 'timeout' && argv.includes(MARKER)) pids.push(Number(d));
  }
  return pids;
}

export async function startHogs(): Promise<number[]> {
  for (let i = 0; i < HOGS; i++) {
    // setsid: a session (autogroup) of its own; the loop outlives this worker until the teardown.
    spawnLocal(['setsid', 'timeout', String(LIFETIME_S), 'sh', '-c', 'while :; do :; done', MARKER], {});
  }
  for (let t = 0; t < 50; t++) {
    const pids = await hogPids();
    if (pids.length >= HOGS) return pids;
    await new Promise((r) => setTimeout(r, 100));
  }
  return hogPids();
}

/** Stops every loop that carries the marker; returns how many. */
export async function stopHogs(): Promise<number> {
  let stopped = 0;
  for (const pid of await hogPids()) {
    try {
      process.kill(pid, 'SIGTERM');
      stopped++;
    } catch {
      /* already gone */
    }
  }
  return stopped;
}
