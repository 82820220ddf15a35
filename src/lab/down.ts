import { readdir, readFile, rm } from 'node:fs/promises';
import { runLocal } from '../exec/local.js';
import { acquireLabLock } from './lock.js';
import { guardTable, libvirtGuardPresent, removeLibvirtGuard } from './libvirt-guard.js';
import { deleteRootLinks, linkNames, rootLinks } from './links.js';
import { deleteNamespaces, listNetns, removeNetnsEtc } from './netns.js';
import { isAlive, pidsInNetns, readComm, terminate } from './proc.js';
import { stepper, type Progress } from './progress.js';
import type { LabPlan } from './topology.js';

/**
 * Teardown of a lab, also of one whose `up` was killed: daemons are stopped BEFORE namespaces are
 * deleted (a daemon left in a deleted namespace keeps its bind-mounted pid file and socket, and a
 * new one then silently talks to the old one).
 */

export interface Leftovers {
  readonly namespaces: readonly string[];
  /** `pid comm (why it belongs to the lab)` */
  readonly processes: readonly string[];
  readonly mounts: readonly string[];
  readonly links: readonly string[];
  /** nftables tables of the lab in the root namespace (libvirt-guard.ts). */
  readonly firewall: readonly string[];
}

/** Namespaces of this lab: the planned ones plus any other `<prefix>-*` (a plan that changed since). */
export async function labNamespaces(plan: LabPlan): Promise<string[]> {
  const all = await listNetns();
  const planned = new Set(plan.nodes.map((n) => n.ns));
  return all.filter((ns) => planned.has(ns) || ns.startsWith(`${plan.prefix}-`));
}

/**
 * Processes of the lab: members of its network namespaces, and processes whose command line names
 * the lab directory (daemons whose namespace is already gone). Identity is membership, so no pid file
 * of a dead run can make us end a stranger.
 */
export async function labProcesses(plan: LabPlan): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  for (const [pid, ns] of await pidsInNetns(await labNamespaces(plan))) found.set(pid, `in ${ns}`);
  const marker = `${plan.dir}/`;
  for (const d of await readdir('/proc')) {
    const pid = Number(d);
    if (!Number.isInteger(pid) || pid === process.pid || pid === process.ppid || found.has(pid)) continue;
    const cmd = await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '');
    if (cmd.replace(/\0/g, ' ').includes(marker)) found.set(pid, `command line names ${plan.dir}`);
  }
  return found;
}

/** Mount points of the run: named namespaces and anything under the lab directory. */
export async function labMounts(plan: LabPlan): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return text.split('\n').map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`/run/netns/${plan.prefix}-`) || m.startsWith(`${plan.dir}/`));
}

export async function findLeftovers(plan: LabPlan, known?: Map<number, string>): Promise<Leftovers> {
  const procs = known ?? await labProcesses(plan);
  const processes = await Promise.all(
    [...procs].map(async ([pid, why]) => `${pid} ${(await readComm(pid)) ?? '?'} (${why})`),
  );
  const root = await linkNames(undefined);
  const links = rootLinks(plan).filter((d) => root.has(d));
  const firewall = (await libvirtGuardPresent(plan)) ? [`inet ${guardTable(plan)}`] : [];
  return { namespaces: await labNamespaces(plan), processes, mounts: await labMounts(plan), links, firewall };
}

export const isClean = (l: Leftovers): boolean =>
  l.namespaces.length + l.processes.length + l.mounts.length + l.links.length + l.firewall.length === 0;

/** Removes the state directory except the hypervisors' QEMU capability caches (cold probe: ~8 s). */
async function removeState(plan: LabPlan): Promise<void> {
  const entries = await readdir(plan.dir).catch(() => [] as string[]);
  const hvs = new Set(plan.hypervisors.map((h) => h.name));
  await Promise.all(entries.map(async (e) => {
    const p = `${plan.dir}/${e}`;
    if (!hvs.has(e)) return rm(p, { recursive: true, force: true });
    const inner = await readdir(p).catch(() => [] as string[]);
    await Promise.all(inner.filter((x) => x !== 'cache').map((x) => rm(`${p}/${x}`, { recursive: true, force: true })));
  }));
}

export interface TeardownResult {
  readonly before: Leftovers;
  readonly after: Leftovers;
  readonly killed: number;
  readonly forced: number;
}

/** Stops every process of the lab, deletes namespaces, links and state; reports what was left. */
export async function teardown(plan: LabPlan, progress?: Progress): Promise<TeardownResult> {
  const step = stepper(progress);
  const found = await labProcesses(plan); // one /proc scan serves the report and the stop
  const procs = [...found.keys()];
  const before = await findLeftovers(plan, found);
  const forced = await step('stop daemons and guests', async () => {
    // Guests and hypervisor daemons hold nothing worth a clean exit (all their state is the run's,
    // their mounts die with them): SIGKILL at once. The rest get SIGTERM and a short grace.
    const comms = await Promise.all(procs.map(async (p) => [p, (await readComm(p)) ?? ''] as const));
    const hard = comms.filter(([, c]) => c.startsWith('qemu-system') || c === 'libvirtd').map(([p]) => p);
    for (const p of hard) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const f = await terminate(procs, 1500);
    return { value: f, detail: `${procs.length} stopped${f.length > 0 ? `, ${f.length} needed SIGKILL` : ''}` };
  });
  await step('delete namespaces and links', async () => {
    const names = await labNamespaces(plan);
    const lines = names.map((n) => `netns del ${n}`);
    if (lines.length > 0) await runLocal(['ip', '-force', '-batch', '-'], { input: `${lines.join('\n')}\n` });
    const left = await deleteNamespaces(await labNamespaces(plan)); // retries one by one, reports failures
    await deleteRootLinks(plan);
    await removeLibvirtGuard(plan);
    await removeNetnsEtc(plan.prefix);
    return {
      value: undefined,
      detail: left.length === 0 ? `${names.length} namespaces` : `not deleted: ${left.join('; ')}`,
    };
  });
  // Mounts of namespaces that `ip netns del` could not remove (e.g. a half-created one).
  for (const m of await labMounts(plan)) await runLocal(['umount', '-l', m]);
  await step('remove state files', async () => {
    await removeState(plan);
    return { value: undefined, detail: `${plan.dir} (capability caches kept)` };
  });
  const after = await findLeftovers(plan);
  const stillAlive = (await Promise.all(procs.map(async (p) => ((await isAlive(p)) ? p : -1)))).filter((p) => p > 0);
  return {
    before,
    after: stillAlive.length > 0 ? { ...after, processes: [...after.processes, ...stillAlive.map(String)] } : after,
    killed: procs.length,
    forced: forced.length,
  };
}

/** `vmmi lab down`: takes the lock, tears everything down. */
export async function labDown(plan: LabPlan, progress?: Progress): Promise<TeardownResult> {
  const lock = await acquireLabLock(plan.prefix, 'lab down');
  try {
    return await teardown(plan, progress);
  } finally {
    await lock.release();
  }
}
