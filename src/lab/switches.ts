import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { LabError, UsageError } from '../errors/classes.js';
import { runLocal } from '../exec/local.js';
import { spawnDetached } from '../exec/spawn.js';
import { pollUntil, type IoOptions } from '../util/abort.js';
import { frrDir } from './frr.js';
import { configPath } from './mgmt-sshd.js';
import { ensureNetconfUser } from './netconf-user.js';
import { generateLabKeys, startNetconfSwitch, writeKnownHosts, type KnownHostsEntry, type NetconfUser } from './netconfd.js';
import { verifiedPid } from './proc.js';
import { agentBundle } from './agent/bundle.js';
import { agentVerdict, describeVerdict, parseAgentLog, type AgentStart, type AgentVerdict } from './agent/phases.js';
import { ownModuleArgv } from '../util/layout.js';
import { keysDir, knownHostsFile, type LabPlan, type SwitchPlan } from './topology.js';
import { SSHD_SESSION_ENV_LINES } from './sshd-env.js';
import { defined } from '../model/defined.js';
import { switchPriorityArgv } from './switch-priority.js';

/**
 * Management plane of the emulated switches: per TOR/core namespace netconfd (NOSIL) behind its own
 * sshd on the NETCONF port, an sshd on the CLI port (exec sessions: a Linux shell; logins: vtysh
 * against that router's FRR), and the data-plane agent (agent/main.ts) reconciling committed config
 * into Linux. Host and client keys are generated once per lab; known_hosts lists every SSH service of
 * the lab.
 */

export const swDir = (plan: LabPlan, name: string): string => `${plan.dir}/sw/${name}`;

async function ensureKeys(plan: LabPlan): Promise<string[]> {
  const dir = keysDir(plan);
  if (existsSync(`${dir}/client_ed25519`) && existsSync(`${dir}/host_ed25519.pub`) && existsSync(`${dir}/host_rsa.pub`)
    && existsSync(`${dir}/authorized_keys`)) {
    return Promise.all(
      ['host_ed25519', 'host_rsa'].map(async (k) => (await readFile(`${dir}/${k}.pub`, 'utf8')).trim()),
    );
  }
  // RSA 2048, not the library's 3072 default: a lab's keys are throwaway (new ones per lab, local
  // namespaces only) and 3072-bit generation took 0.8–1.9 s of CPU, twice, during the guest's boot.
  return [...(await generateLabKeys(dir, { rsaBits: 2048 })).hostPublicKeys];
}

/**
 * The CLI sshd of a switch behaves like a Linux NOS (FRR on Debian, SONiC, Cumulus): `ssh switch
 * <command>` runs the command in root's login shell (`ip -ts -o monitor route neigh`, `bridge monitor
 * fdb`, `node`, or `vtysh --vty_socket <frr dir> -c '…'` for the router's CLI), and an interactive login
 * lands at the vtysh prompt of this namespace's FRR. The lab's FRR has its own vty socket directory,
 * so vtysh needs `--vty_socket` where a real box would not.
 */
export function cliSshdConfig(plan: LabPlan, s: SwitchPlan, port: number): string {
  const k = configPath(keysDir(plan));
  const d = configPath(swDir(plan, s.name));
  // configPath admits no character the shell would interpret: the path is one word as it stands.
  const vtysh = `/usr/bin/vtysh --vty_socket ${configPath(frrDir(plan, s.name))}`;
  return [
    `Port ${port}`,
    'ListenAddress 0.0.0.0',
    `HostKey ${k}/host_ed25519`,
    `HostKey ${k}/host_rsa`,
    `PidFile ${d}/cli-sshd.pid`,
    `AuthorizedKeysFile ${k}/authorized_keys`,
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    // The CLI is root's (vtysh, iproute2 in the namespace); a switch's NETCONF user has no business here.
    'AllowUsers root',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    ...SSHD_SESSION_ENV_LINES,
    'MaxSessions 20',
    // sshd runs the forced command through the user's shell with the client's command in
    // SSH_ORIGINAL_COMMAND: handed back to that shell unchanged, it runs as without ForceCommand.
    'ForceCommand if [ -n "$SSH_ORIGINAL_COMMAND" ]; then exec "$SHELL" -c "$SSH_ORIGINAL_COMMAND"; ' +
      `else exec ${vtysh}; fi`,
    '',
  ].join('\n');
}

async function ensureCli(plan: LabPlan, s: SwitchPlan, opts: IoOptions): Promise<void> {
  if (s.cliPort === undefined) return;
  const d = swDir(plan, s.name);
  if ((await verifiedPid(`${d}/cli-sshd.pid`, ['sshd'])) !== undefined) return;
  await writeFile(`${d}/cli-sshd_config`, cliSshdConfig(plan, s, s.cliPort));
  const r = await runLocal(
    [...switchPriorityArgv(), 'ip', 'netns', 'exec', s.ns, '/usr/sbin/sshd', '-f', `${d}/cli-sshd_config`, '-E',
      `${d}/cli-sshd.log`],
    opts,
  );
  if (r.failed)
    throw new LabError(`CLI sshd: ${r.stderr.trim()}`, {
      device: s.name,
      operation: 'start CLI sshd',
      hint: `see ${d}/cli-sshd.log`,
    });
}

/**
 * How the agents write routes: `netlink` (default, lab-assets/nlroute.c against a cached kernel view) or `ip`
 * (one `ip` spawn per command after a full kernel read, as before the helper), chosen with
 * VMMI_LAB_AGENT_ROUTES when the agents start: bench/switchover-latency.ts measures both.
 */
function agentRoutes(): 'netlink' | 'ip' {
  const v = process.env.VMMI_LAB_AGENT_ROUTES ?? 'netlink';
  if (v === 'netlink' || v === 'ip') return v;
  throw new UsageError(`VMMI_LAB_AGENT_ROUTES=${v} is not a route writer`, { hint: 'use netlink or ip' });
}

async function ensureAgent(plan: LabPlan, s: SwitchPlan): Promise<void> {
  const d = swDir(plan, s.name);
  if ((await verifiedPid(`${d}/agent.pid`, ['node'])) !== undefined) return;
  // Prebuilt (fast start, see bundle.ts); when the bundle cannot be built, the module itself (through tsx in a
  // checkout, compiled in dist/).
  const entry = await agentBundle().then((b) => [b], () => ownModuleArgv(import.meta.url, './agent/main'));
  const pid = spawnDetached([...switchPriorityArgv(), 'ip', 'netns', 'exec', s.ns, process.execPath,
    '--enable-source-maps', ...entry,
    '--name', s.name, '--host', s.address, '--port', String(s.port), '--key', `${keysDir(plan)}/client_ed25519`,
    '--known-hosts', knownHostsFile(plan), '--state', `${d}/agent-owned.json`, '--routes', agentRoutes()],
  `${d}/agent.log`);
  await writeFile(`${d}/agent.pid`, `${pid}\n`);
}

/** Starts what is not running; returns the names of switches whose NETCONF daemons were (re)started. */
export async function ensureSwitches(plan: LabPlan, opts: IoOptions = {}): Promise<string[]> {
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKeys = await ensureKeys(plan);
  // Every SSH service of the lab presents the lab's host keys: switches (NETCONF, CLI) and the
  // management sshds of traffic hosts and hypervisors (mgmt-sshd.ts), started once the keys exist.
  const entries: KnownHostsEntry[] = [
    ...plan.switches.flatMap((s) => [
      { host: s.address, port: s.port, publicKeys: hostKeys },
      ...(s.cliPort === undefined ? [] : [{ host: s.address, port: s.cliPort, publicKeys: hostKeys }]),
    ]),
    ...plan.mgmtHosts.map((h) => ({ host: h.address, port: h.sshPort, publicKeys: hostKeys })),
  ];
  await writeKnownHosts(knownHostsFile(plan), entries);
  const started: string[] = [];
  // Accounts first, one after another: concurrent useradds of one name race on /etc/passwd and /etc/group,
  // and a switch could be given a group id that did not survive (its sshd then cannot read the keys).
  const accounts = new Map<string, NetconfUser>();
  for (const name of new Set(plan.switches.flatMap((s) => (s.netconfUser === undefined ? [] : [s.netconfUser])))) {
    accounts.set(name, await ensureNetconfUser(name, opts));
  }
  await Promise.all(plan.switches.map(async (s) => {
    const d = swDir(plan, s.name);
    await mkdir(d, { recursive: true });
    const nc = await verifiedPid(`${d}/netconfd.pid`, ['netconfd']);
    const ssh = await verifiedPid(`${d}/sshd.pid`, ['sshd']);
    if (nc === undefined || ssh === undefined) {
      for (const pid of [nc, ssh]) if (pid !== undefined) process.kill(pid, 'SIGTERM');
      // Kept when present: after the first start netconfd owns it (copy-config running → startup).
      await writeFile(`${d}/startup-cfg.xml`, s.startupXml, { flag: 'wx' }).catch(() => undefined);
      const nacmUser = s.netconfUser === undefined ? undefined : accounts.get(s.netconfUser);
      await startNetconfSwitch({
        dir: d, name: s.name, netns: s.ns, listenAddr: '0.0.0.0', port: s.port, ...defined({ nacmUser }),
        launchPrefix: switchPriorityArgv(),
        hostKeyDir: keysDir(plan), authorizedKeysFile: `${keysDir(plan)}/authorized_keys`, timeoutMs: 15_000,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      started.push(s.name);
    }
    await ensureCli(plan, s, opts);
    await ensureAgent(plan, s);
  }));
  return started;
}

/** One switch's data-plane agent, read from its log: its last start's phases and where it stands. */
export interface AgentStatus {
  readonly start: AgentStart | undefined;
  readonly verdict: AgentVerdict;
  /** describeVerdict: "ready 1.52 s after its start", "stuck before phase hello: …". */
  readonly detail: string;
}

/** Where an agent keeps its log (`agent.log`) and pid file (`agent.pid`). */
export interface AgentPlace {
  readonly name: string;
  readonly dir: string;
}

/**
 * Every agent's status by switch name, `now` (epoch ms) being the time of the verdict. Before an agent
 * has logged its first phase its clock runs from its pid file's time (written right after the spawn).
 */
export async function agentStatusesAt(agents: readonly AgentPlace[], now = Date.now()):
  Promise<Map<string, AgentStatus>> {
  const out = new Map<string, AgentStatus>();
  for (const a of agents) {
    const start = parseAgentLog(await readFile(`${a.dir}/agent.log`, 'utf8').catch(() => ''));
    const origin = start?.processStartMs ?? (await stat(`${a.dir}/agent.pid`).then((x) => x.mtimeMs, () => now));
    const verdict = agentVerdict(start, now - origin);
    out.set(a.name, { start, verdict, detail: describeVerdict(verdict, start) });
  }
  return out;
}

const sig = (o: { signal?: AbortSignal }): { signal?: AbortSignal } => (o.signal ? { signal: o.signal } : {});
const placesOf = (plan: LabPlan): AgentPlace[] =>
  plan.switches.map((s) => ({ name: s.name, dir: swDir(plan, s.name) }));

/** {@link agentStatusesAt} for the lab's switches. */
export function agentStatuses(plan: LabPlan, now = Date.now()): Promise<Map<string, AgentStatus>> {
  return agentStatusesAt(placesOf(plan), now);
}

/**
 * Waits until each agent is ready or late for a phase (agent/phases.ts): every phase has its own
 * deadline after the one before, so the wait follows the agents' progress, and a stuck agent is named
 * with the phase it is stuck before. `maxMs` bounds the wait whatever the phases say.
 */
export async function waitAgentsSettled(
  agents: readonly AgentPlace[],
  opts: { maxMs?: number; signal?: AbortSignal } = {},
): Promise<Map<string, AgentStatus>> {
  const settled = (m: Map<string, AgentStatus>): boolean =>
    [...m.values()].every((a) => a.verdict.state === 'ready' || a.verdict.state === 'late');
  return pollUntil(async () => {
    const m = await agentStatusesAt(agents);
    return settled(m) ? m : undefined;
  }, 'agents ready or late', { timeoutMs: opts.maxMs ?? 90_000, intervalMs: 50, ...sig(opts) })
    .catch(async (e: unknown) => {
      if (opts.signal?.aborted === true) throw e;
      return agentStatusesAt(agents);
    });
}

/** {@link waitAgentsSettled} for the lab's switches. */
export function waitAgentsReady(plan: LabPlan, signal?: AbortSignal): Promise<Map<string, AgentStatus>> {
  return waitAgentsSettled(placesOf(plan), signal ? { signal } : {});
}

/** Agents that have logged `ready` since their start, by switch name. */
export async function agentsReady(plan: LabPlan): Promise<Map<string, boolean>> {
  const st = await agentStatuses(plan);
  return new Map([...st].map(([sw, a]) => [sw, a.verdict.state === 'ready']));
}
