import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { LabError } from '../errors/classes.js';
import { runLocal } from '../exec/local.js';
import { spawnDetached } from '../exec/spawn.js';
import type { IoOptions } from '../util/abort.js';
import { frrDir } from './frr.js';
import { configPath } from './mgmt-sshd.js';
import { generateLabKeys, startNetconfSwitch, writeKnownHosts, type KnownHostsEntry } from './netconfd.js';
import { verifiedPid } from './proc.js';
import { agentBundle } from './agent/bundle.js';
import { ownModuleArgv } from '../util/layout.js';
import { keysDir, knownHostsFile, type LabPlan, type SwitchPlan } from './topology.js';

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
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
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
    ['ip', 'netns', 'exec', s.ns, '/usr/sbin/sshd', '-f', `${d}/cli-sshd_config`, '-E', `${d}/cli-sshd.log`],
    opts,
  );
  if (r.failed)
    throw new LabError(`CLI sshd: ${r.stderr.trim()}`, {
      device: s.name,
      operation: 'start CLI sshd',
      hint: `see ${d}/cli-sshd.log`,
    });
}

async function ensureAgent(plan: LabPlan, s: SwitchPlan): Promise<void> {
  const d = swDir(plan, s.name);
  if ((await verifiedPid(`${d}/agent.pid`, ['node'])) !== undefined) return;
  // Prebuilt (fast start, see bundle.ts); when the bundle cannot be built, the module itself (through tsx in a
  // checkout, compiled in dist/).
  const entry = await agentBundle().then((b) => [b], () => ownModuleArgv(import.meta.url, './agent/main'));
  const pid = spawnDetached(['ip', 'netns', 'exec', s.ns, process.execPath, '--enable-source-maps', ...entry,
    '--name', s.name, '--host', s.address, '--port', String(s.port), '--key', `${keysDir(plan)}/client_ed25519`,
    '--known-hosts', knownHostsFile(plan), '--state', `${d}/agent-owned.json`], `${d}/agent.log`);
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
  await Promise.all(plan.switches.map(async (s) => {
    const d = swDir(plan, s.name);
    await mkdir(d, { recursive: true });
    const nc = await verifiedPid(`${d}/netconfd.pid`, ['netconfd']);
    const ssh = await verifiedPid(`${d}/sshd.pid`, ['sshd']);
    if (nc === undefined || ssh === undefined) {
      for (const pid of [nc, ssh]) if (pid !== undefined) process.kill(pid, 'SIGTERM');
      // Kept when present: after the first start netconfd owns it (copy-config running → startup).
      await writeFile(`${d}/startup-cfg.xml`, s.startupXml, { flag: 'wx' }).catch(() => undefined);
      await startNetconfSwitch({
        dir: d, name: s.name, netns: s.ns, listenAddr: '0.0.0.0', port: s.port,
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

/** Agents that have logged `ready` since their start, by switch name. */
export async function agentsReady(plan: LabPlan): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  for (const s of plan.switches) {
    const log = await readFile(`${swDir(plan, s.name)}/agent.log`, 'utf8').catch(() => '');
    const lastStart = log.lastIndexOf(' starting: ');
    out.set(s.name, lastStart >= 0 && log.indexOf(' ready', lastStart) > lastStart);
  }
  return out;
}
