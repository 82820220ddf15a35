import { readFile, readdir, readlink, stat } from 'node:fs/promises';
import { sleep } from '../util/abort.js';

/**
 * Process helpers of the lab: find every process living in a lab network namespace, and end processes
 * only after checking who they are (/proc/PID/comm), since a PID read from a file of a killed run may
 * by now belong to anything. Detached daemons start with spawnDetached (exec/spawn.ts).
 */

export async function readComm(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

export async function isAlive(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    const s = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(s);
  } catch {
    return false;
  }
}

/** Reads a pid file; undefined when absent or not a number. */
export async function readPidFile(path: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** PID from a pid file, only when that process is alive and its comm is one of `comms`. */
export async function verifiedPid(pidFile: string, comms: readonly string[]): Promise<number | undefined> {
  const pid = await readPidFile(pidFile);
  if (pid === undefined || !(await isAlive(pid))) return undefined;
  const comm = await readComm(pid);
  return comm !== undefined && comms.includes(comm) ? pid : undefined;
}

/** Inode of a named network namespace (`/run/netns/NAME`), undefined when it does not exist. */
export async function netnsInode(name: string): Promise<number | undefined> {
  try {
    return (await stat(`/run/netns/${name}`)).ino;
  } catch {
    return undefined;
  }
}

/** Every process whose network namespace is one of `namespaces` (by inode): identity by membership. */
export async function pidsInNetns(namespaces: readonly string[]): Promise<Map<number, string>> {
  const inodes = new Map<number, string>();
  for (const ns of namespaces) {
    const ino = await netnsInode(ns);
    if (ino !== undefined) inodes.set(ino, ns);
  }
  const found = new Map<number, string>();
  if (inodes.size === 0) return found;
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const m = /^net:\[(\d+)\]$/.exec(await readlink(`/proc/${d}/ns/net`));
      const ns = m === null ? undefined : inodes.get(Number(m[1]));
      if (ns !== undefined) found.set(Number(d), ns);
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

/**
 * SIGTERM to all, wait up to `graceMs`, SIGKILL what is left, wait for the kills to land.
 * Returns the PIDs that needed SIGKILL.
 */
export async function terminate(pids: readonly number[], graceMs = 2000): Promise<number[]> {
  const send = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  };
  for (const p of pids) send(p, 'SIGTERM');
  const end = Date.now() + graceMs;
  let left = [...pids];
  while (left.length > 0 && Date.now() < end) {
    await sleep(25);
    left = (await Promise.all(left.map(async (p) => ((await isAlive(p)) ? p : -1)))).filter((p) => p > 0);
  }
  for (const p of left) send(p, 'SIGKILL');
  // A SIGKILLed process can take seconds to finish exiting on a loaded host (QEMU releasing guest
  // memory, a task in uninterruptible sleep): wait that out before calling it a leftover.
  const killEnd = Date.now() + 10_000;
  let still = left;
  while (still.length > 0 && Date.now() < killEnd) {
    await sleep(20);
    still = (await Promise.all(still.map(async (p) => ((await isAlive(p)) ? p : -1)))).filter((p) => p > 0);
  }
  return left;
}
