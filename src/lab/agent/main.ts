/**
 * Data-plane agent of one emulated switch. Runs inside the switch's network namespace as a child
 * process of `vmmi lab up`:
 *
 *   node --import tsx src/lab/agent/main.ts --name torB --host 198.19.0.6 --port 830 \
 *     --key <lab>/keys/client_ed25519 --known-hosts <lab>/known_hosts --state <file> [--resync-ms 10000] \
 *     [--routes netlink|ip]
 *
 * Two NETCONF sessions to its own netconfd: one subscribed to the default stream, one for
 * get-config. On every netconf-config-change AND netconf-confirmed-commit (a confirmed-commit
 * rollback emits only the latter), on (re)connect and every resync interval it re-reads all of
 * running and reconciles Linux (reconcile.ts). Notification paths carry no values, hence
 * level-triggered. A change that only touches routes is planned against the agent's cached view of
 * the kernel and written through the rtnetlink helper (netlink.ts); a full kernel read follows 1 s later.
 * Each pass also reads the lab's ARP/ND suppression knob next to the state file (neigh-suppress.ts) and
 * gives the VXLAN bridge ports the flag it asks for.
 * Reconnects forever with a 1 s pause; exits on SIGTERM.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { runLocal } from '../../exec/local.js';
import { Secret } from '../../model/secret.js';
import { NetconfClient } from '../../transports/netconf/client.js';
import { sshConnect, type SshTarget } from '../../transports/ssh.js';
import { sleep } from '../../util/abort.js';
import type { AgentPhase } from './phases.js';
import { NetlinkRoutes, nlrouteLine } from './netlink.js';
import { readNeighSuppress } from './neigh-suppress.js';
import {
  isRouteCommand, NO_OWNED, parseActual, parseRunningConfig, reconcile, routesAfter, type ActualState, type Owned,
} from './reconcile.js';

function args(): Record<string, string> {
  const a = process.argv.slice(2);
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < a.length; i += 2) out[(a[i] ?? '').replace(/^--/, '')] = a[i + 1] ?? '';
  for (const k of ['name', 'host', 'port', 'key', 'known-hosts', 'state']) {
    if (out[k] === undefined) throw new Error(`vmmi-agent: missing --${k}`);
  }
  return out;
}

const opt = args();
const name = opt.name as string;
const statePath = opt.state as string;
const resyncMs = Number(opt['resync-ms'] ?? 10_000);
const log = (msg: string): void => console.log(`${new Date().toISOString()} ${name} ${msg}`);
/** Bring-up phases (phases.ts): the first of each per start, with the time since the process started. */
const logged = new Set<AgentPhase>();
const phase = (p: AgentPhase): void => {
  if (logged.has(p)) return;
  logged.add(p);
  log(`phase ${p} +${performance.now().toFixed(1)} ms`);
};
/** The switch's own NETCONF server, reached like any client would: key auth, host key checked. */
async function target(): Promise<SshTarget> {
  const key = await readFile(opt.key as string, 'utf8');
  return {
    name, host: opt.host as string, port: Number(opt.port),
    credentials: { username: opt.user ?? 'root', privateKey: new Secret(`\${file:${opt.key}}`, key) },
    hostKey: { kind: 'known-hosts', file: opt['known-hosts'] as string },
  };
}
let stopping = false;
const stop = new AbortController();
process.on('SIGTERM', () => {
  stopping = true;
  stop.abort();
});

async function loadOwned(): Promise<Owned> {
  try {
    return JSON.parse(await readFile(statePath, 'utf8')) as Owned;
  } catch {
    return NO_OWNED;
  }
}

let owned: Owned = NO_OWNED;

/**
 * A kernel read. The agent runs at real-time priority (switch-priority.ts) for its fast path; its full reads
 * (four spawns, every resync and 1 s after each fast change) run as ordinary processes, so this periodic
 * work never takes a core from a guest ahead of the scheduler's fair share.
 */
async function ip(argv: readonly string[]): Promise<string> {
  const r = await runLocal(['chrt', '--other', '0', ...argv], { timeoutMs: 5000 });
  if (r.failed) throw new Error(`${argv.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * `--routes ip` keeps the agent as it was before the rtnetlink helper (full kernel read and one `ip` spawn
 * per command on every change), for side-by-side measurements.
 */
const legacy = opt.routes === 'ip';
/** The rtnetlink helper for routes (netlink.ts); undefined when not built, then routes are `ip` spawns. */
let netlink = legacy ? undefined : NetlinkRoutes.start();
/** Bound of one batch of netlink answers (ms); the helper answers in microseconds. */
const NETLINK_TIMEOUT_MS = 2000;
/**
 * The kernel as last read, with the routes the agent applied since: a config change that only touches
 * routes is planned against it and applied without reading the kernel (four `ip` spawns). A full pass
 * follows shortly after (VERIFY_AFTER_MS) and every resync, so the agent stays level-triggered.
 */
let cached: ActualState | undefined;
const VERIFY_AFTER_MS = 1000;

async function readKernel(): Promise<ActualState> {
  const [links, addrs, r4, r6] = await Promise.all([
    ip(['ip', '-d', '-j', 'link', 'show']), ip(['ip', '-j', 'addr', 'show']),
    ip(['ip', '-j', 'route', 'show', 'proto', 'static']), ip(['ip', '-j', '-6', 'route', 'show', 'proto', 'static']),
  ]);
  return parseActual(links, addrs, r4, r6);
}

/** Runs the plan's commands in order: routes through netlink (batched), the rest as spawns. Returns failures. */
async function applyCommands(commands: readonly (readonly string[])[]): Promise<string[]> {
  const failed: string[] = [];
  let batch: (readonly string[])[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const nl = netlink;
    const argvs = batch;
    batch = [];
    const outcomes = nl !== undefined && nl.alive
      ? await nl.apply(argvs.map((a) => (id: string) => nlrouteLine(id, a) as string), NETLINK_TIMEOUT_MS)
      : await Promise.all(argvs.map(async (a) => {
        const r = await runLocal(a, { timeoutMs: 5000 });
        return r.failed ? r.stderr.trim() : undefined;
      }));
    outcomes.forEach((o, k) => {
      if (o !== undefined) failed.push(`${(argvs[k] ?? []).join(' ')}: ${o}`);
    });
  };
  for (const argv of commands) {
    if (!legacy && nlrouteLine('x', argv) !== undefined) {
      batch.push(argv);
      continue;
    }
    await flush();
    const r = await runLocal(argv, { timeoutMs: 5000 });
    if (r.failed) failed.push(`${argv.join(' ')}: ${r.stderr.trim()}`);
  }
  await flush();
  return failed;
}

async function reconcileOnce(cfg: NetconfClient, why: string, later: (why: string) => void): Promise<void> {
  const t0 = performance.now();
  const reply = await cfg.getConfig('running', undefined, { timeoutMs: 10_000 });
  phase('get-config');
  const desired = parseRunningConfig(reply.data);
  // The lab's ARP/ND suppression knob (absent: the flags are left alone; unreadable: likewise, logged).
  const neighSuppress = await readNeighSuppress(dirname(statePath)).catch((e: unknown) => {
    log(`problem: ${(e as Error).message}`);
    return undefined;
  });
  const opts = neighSuppress === undefined ? {} : { neighSuppress };
  const notified = !legacy && (why === 'config-change' || why === 'confirmed-commit');
  const fast = notified && cached !== undefined ? reconcile(desired, cached, owned, opts) : undefined;
  const routeOnly = fast !== undefined && fast.problems.length === 0 && fast.commands.every(isRouteCommand);
  const actual = routeOnly && cached !== undefined ? cached : await readKernel();
  const plan = routeOnly && fast !== undefined ? fast : reconcile(desired, actual, owned, opts);
  const failed = await applyCommands(plan.commands);
  const changedOwned = JSON.stringify(plan.owned) !== JSON.stringify(owned);
  owned = plan.owned;
  if (changedOwned || !routeOnly) await writeFile(statePath, JSON.stringify(owned));
  // The cache: routes as applied; links re-read when a non-route command changed them; dropped on failure.
  if (failed.length > 0) cached = undefined;
  else if (plan.commands.every(isRouteCommand)) {
    cached = { ...actual, routes: routesAfter(desired.routes, actual.routes) };
  }
  else cached = await readKernel().catch(() => undefined);
  if (plan.commands.length > 0 || why !== 'resync') {
    const path = routeOnly ? 'netlink, cached kernel view' : `full read${netlink?.alive === true ? ', netlink' : ', ip'}`;
    log(`reconcile(${why}) ${plan.commands.length} command(s) in ${(performance.now() - t0).toFixed(1)} ms (${path})`
      + `${plan.commands.map((c) => `\n  ${c.join(' ')}`).join('')}`);
  }
  for (const p of [...plan.problems, ...failed]) log(`problem: ${p}`);
  if (routeOnly && plan.commands.length > 0) later('verify');
  phase('reconciled');
}

async function session(): Promise<void> {
  const t = await target();
  // One SSH connection, two channels: one key exchange per (re)connect instead of two.
  const ssh = await sshConnect(t, { timeoutMs: 10_000, signal: stop.signal });
  phase('ssh');
  const open = (): Promise<NetconfClient> =>
    NetconfClient.connect(t, { connection: ssh, timeoutMs: 10_000, signal: stop.signal });
  const [notif, cfg] = await Promise.all([open(), open()]).catch((e: unknown) => {
    ssh.close();
    throw e;
  });
  phase('hello');
  let queued = false;
  let chain: Promise<void> = Promise.resolve();
  let verifyTimer: NodeJS.Timeout | undefined;
  const later = (why: string): void => {
    clearTimeout(verifyTimer);
    verifyTimer = setTimeout(() => void trigger(why), VERIFY_AFTER_MS);
  };
  const trigger = (why: string): Promise<void> => {
    if (queued) return chain;
    queued = true;
    chain = chain.then(async () => {
      queued = false;
      await reconcileOnce(cfg, why, later).catch((e: unknown) => {
        cached = undefined;
        log(`reconcile failed: ${(e as Error).message}`);
      });
    });
    return chain;
  };
  const timer = setInterval(() => void trigger('resync'), resyncMs);
  const onStop = (): void => ssh.close();
  stop.signal.addEventListener('abort', onStop, { once: true });
  try {
    const it = await notif.subscribe({}, { timeoutMs: 10_000 });
    phase('subscribed');
    await trigger('start');
    log('ready');
    for await (const n of it) {
      if (n.event.kind === 'config-change' || n.event.kind === 'confirmed-commit') void trigger(n.event.kind);
    }
  } finally {
    clearInterval(timer);
    clearTimeout(verifyTimer);
    stop.signal.removeEventListener('abort', onStop);
    await chain;
    await Promise.allSettled([notif.close(), cfg.close()]);
    ssh.close();
  }
}

owned = await loadOwned();
log(`starting: ${opt.host}:${opt.port}, resync every ${resyncMs} ms`);
phase('loaded');
while (!stopping) {
  try {
    await session();
    if (!stopping) log('session ended; reconnecting');
  } catch (e) {
    if (!stopping) log(`session failed: ${(e as Error).message}; reconnecting in 1 s`);
  }
  if (!stopping) await sleep(1000).catch(() => undefined);
}
netlink?.stop();
netlink = undefined;
log('stopped');
