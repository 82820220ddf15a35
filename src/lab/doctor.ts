import { isClean, teardown, type TeardownResult } from './down.js';
import { acquireLabLock } from './lock.js';
import type { Progress } from './progress.js';
import type { LabPlan } from './topology.js';

/**
 * `vmmi lab doctor`: finds what a killed run left (namespaces, processes in them or naming the lab
 * directory, mounts, management links, a stale lock) and removes it. A lock held by a live
 * `up`/`down` is respected (LAB_BUSY); a dead owner's lock is taken over.
 */
export async function labDoctor(plan: LabPlan, progress?: Progress): Promise<TeardownResult & { clean: boolean }> {
  const lock = await acquireLabLock(plan.prefix, 'lab doctor');
  try {
    const r = await teardown(plan, progress);
    return { ...r, clean: isClean(r.after) };
  } finally {
    await lock.release();
  }
}
