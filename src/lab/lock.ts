import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { LabError } from '../errors/classes.js';
import { isAlive, readComm } from './proc.js';

/**
 * One lab operation (up, down, doctor) per prefix at a time: an exclusive lock file holding the
 * owner's PID. Namespace names are global, so the lock is keyed by prefix, not by state directory.
 * A lock whose owner is dead (killed run) is taken over.
 */
export const LOCK_DIR = '/run/vmmi';

export const lockPath = (prefix: string, dir = LOCK_DIR): string => `${dir}/lab-${prefix}.lock`;

export interface LabLock {
  readonly path: string;
  release(): Promise<void>;
}

export async function acquireLabLock(prefix: string, operation: string, dir = LOCK_DIR): Promise<LabLock> {
  await mkdir(dir, { recursive: true });
  const path = lockPath(prefix, dir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${process.pid} ${operation}\n`);
      await fh.close();
      return {
        path,
        release: async () => {
          const owner = await readOwner(path);
          if (owner?.pid === process.pid) await rm(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = await readOwner(path);
    if (owner !== undefined && owner.pid !== process.pid && (await isAlive(owner.pid))) {
      const comm = (await readComm(owner.pid)) ?? '?';
      throw new LabError(`lab "${prefix}" is busy: \`${owner.operation}\` is running as PID ${owner.pid} (${comm})`, {
        code: 'LAB_BUSY',
        operation: operation,
        hint: `wait for it to finish, or use another lab.prefix (VMMI_LAB_PREFIX); lock file ${path}`,
      });
    }
    await rm(path, { force: true }); // stale: its owner was killed
  }
  throw new LabError(`cannot take lock ${path}`, { code: 'LAB_BUSY', operation });
}

async function readOwner(path: string): Promise<{ pid: number; operation: string } | undefined> {
  try {
    const m = /^(\d+) (.*)$/.exec((await readFile(path, 'utf8')).trim());
    const n = Number(m?.[1]);
    return m !== null && Number.isInteger(n) && n > 0 ? { pid: n, operation: m[2] ?? '?' } : undefined;
  } catch {
    return undefined;
  }
}
