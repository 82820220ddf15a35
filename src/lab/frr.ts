import { chown, mkdir, writeFile } from 'node:fs/promises';
import { LabError } from '../errors/classes.js';
import { runLocal } from '../exec/local.js';
import { pollUntil, type IoOptions } from '../util/abort.js';
import { verifiedPid } from './proc.js';
import type { LabPlan, RouterPlan } from './topology.js';
import { switchPriorityArgv } from './switch-priority.js';

/**
 * FRR per router namespace: zebra, staticd and bgpd as the `frr` user with explicit per-router
 * paths (config, pid files, zserv socket, vty sockets under `<lab dir>/frr/<router>`); nothing
 * touches /etc/frr or /var/run/frr. The directory must be frr-owned (FRR refuses root: vty group).
 */

const DAEMONS = ['zebra', 'staticd', 'bgpd'] as const;

export const frrDir = (plan: LabPlan, router: string): string => `${plan.dir}/frr/${router}`;

async function frrIds(): Promise<{ uid: number; gid: number }> {
  const r = await runLocal(['id', '-u', 'frr']);
  const g = await runLocal(['id', '-g', 'frr']);
  if (r.failed || g.failed) {
    throw new LabError('user "frr" does not exist', {
      operation: 'start FRR',
      hint: 'run scripts/setup (installs frr)',
    });
  }
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Starts the daemons not yet running; returns how many were started. */
export async function ensureRouters(plan: LabPlan, opts: IoOptions = {}): Promise<number> {
  const ids = await frrIds();
  let started = 0;
  await Promise.all(plan.routers.map(async (r) => {
    const dir = frrDir(plan, r.node);
    await mkdir(dir, { recursive: true });
    await chown(dir, ids.uid, ids.gid);
    for (const [name, text] of Object.entries(r.files)) {
      await writeFile(`${dir}/${name}`, text);
      await chown(`${dir}/${name}`, ids.uid, ids.gid);
    }
    const start = async (d: (typeof DAEMONS)[number]): Promise<void> => {
      if ((await verifiedPid(`${dir}/${d}.pid`, [d])) !== undefined) return;
      const res = await runLocal([...switchPriorityArgv(), 'ip', 'netns', 'exec', r.ns, `/usr/lib/frr/${d}`, '-d', '-f', `${dir}/${d}.conf`,
        '-i', `${dir}/${d}.pid`, '-z', `${dir}/zserv.api`, '--vty_socket', dir, '-P', '0'], opts);
      if (res.failed) {
        throw new LabError(`${d} did not start: ${(res.stderr || res.stdout).trim().slice(0, 300)}`,
          { device: r.node, operation: 'start FRR', hint: `see ${dir}/${d}.log` });
      }
      started++;
    };
    // zebra first (it owns the zserv socket the others connect to), then the rest together.
    await start('zebra');
    await Promise.all(DAEMONS.filter((d) => d !== 'zebra').map(start));
  }));
  return started;
}

/** `vtysh -c CMD` against one router's daemons. */
export async function vtysh(plan: LabPlan, router: string, cmd: string, opts: IoOptions = {}): Promise<string> {
  const r = await runLocal(['vtysh', '--vty_socket', frrDir(plan, router), '-c', cmd], { timeoutMs: 5000, ...opts });
  if (r.failed)
    throw new LabError(`vtysh -c '${cmd}': ${(r.stderr || r.stdout).trim()}`, {
      device: router,
      operation: 'query FRR',
    });
  return r.stdout;
}

export interface BgpSession {
  readonly router: string;
  readonly peer: string;
  readonly address: string;
  readonly state: string;
}

/** State of every planned BGP session, as seen by the router that owns it. */
export async function bgpSessions(plan: LabPlan, opts: IoOptions = {}): Promise<BgpSession[]> {
  const all = await Promise.all(plan.routers.map(async (r: RouterPlan): Promise<BgpSession[]> => {
    let peers: Record<string, { state?: string }> = {};
    try {
      const j = JSON.parse(await vtysh(plan, r.node, 'show bgp summary json', opts)) as
        Record<string, { peers?: Record<string, { state?: string }> }>;
      peers = { ...j.ipv4Unicast?.peers, ...j.ipv6Unicast?.peers };
    } catch (e) {
      return r.neighbors.map((n) => ({
        router: r.node,
        peer: n.peer,
        address: n.address,
        state: `unknown (${(e as Error).message.slice(0, 80)})`,
      }));
    }
    return r.neighbors.map((n) => ({
      router: r.node,
      peer: n.peer,
      address: n.address,
      state: peers[n.address]?.state ?? 'absent',
    }));
  }));
  return all.flat();
}

/** Waits until every planned session is Established; throws naming the ones that are not. */
export async function waitBgpEstablished(
  plan: LabPlan,
  timeoutMs: number,
  opts: IoOptions = {},
): Promise<BgpSession[]> {
  let last: BgpSession[] = [];
  try {
    return await pollUntil(
      async () => {
        last = await bgpSessions(plan, opts);
        return last.every((s) => s.state === 'Established') ? last : undefined;
      },
      'BGP sessions established',
      { timeoutMs, intervalMs: 200, ...(opts.signal ? { signal: opts.signal } : {}) },
    );
  } catch {
    const bad = last
      .filter((s) => s.state !== 'Established')
      .map((s) => `${s.router}→${s.peer} ${s.address}: ${s.state}`);
    throw new LabError(`BGP sessions not established after ${timeoutMs} ms: ${bad.join('; ')}`, {
      operation: 'wait for BGP',
      hint: `see ${plan.dir}/frr/<router>/bgpd.log`,
    });
  }
}
