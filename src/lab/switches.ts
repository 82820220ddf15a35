import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { LabError } from '../errors/classes.js';
import { runLocal } from '../exec/local.js';
import { spawnDetached } from '../exec/spawn.js';
import type { IoOptions } from '../util/abort.js';
import { frrDir } from './frr.js';
import { generateLabKeys, startNetconfSwitch, writeKnownHosts, type KnownHostsEntry } from './netconfd.js';
import { verifiedPid } from './proc.js';
import { agentBundle } from './agent/bundle.js';
import { ownModuleArgv } from '../util/layout.js';
import type { LabPlan, SwitchPlan } from './topology.js';

/**
 * Management plane of the emulated switches: per TOR/core namespace netconfd (NOSIL) behind its own
 * sshd on the NETCONF port, an sshd on the CLI port whose sessions run vtysh against that router's
 * FRR, and the data-plane agent (agent/main.ts) reconciling committed config into Linux. Host and
 * client keys are generated once per lab; known_hosts lists every switch's management address.
 */

export const swDir = (plan: LabPlan, name: string): string => `${plan.dir}/sw/${name}`;
export const keysDir = (plan: LabPlan): string => `${plan.dir}/keys`;
export const knownHostsFile = (plan: LabPlan): string => `${plan.dir}/known_hosts`;

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

function cliSshdConfig(plan: LabPlan, s: SwitchPlan, port: number): string {
  const k = keysDir(plan);
  const d = swDir(plan, s.name);
  return [
    `Port ${port}`,
    'ListenAddress 0.0.0.0',
    `HostKey ${k}/host_ed25519`,
    `HostKey ${k}/host_rsa`,
    `PidFile ${d}/cli-sshd.pid`,
    `AuthorizedKeysFile ${k}/authorized_keys`,
    'StrictModes no',
    'PermitRootLogin yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'MaxSessions 20',
    // Every session is the router's CLI, as on a switch: vtysh against this namespace's FRR;
    // `ssh switch "show ..."` runs that one command, a shell session gets the interactive prompt.
    `ForceCommand if [ -n "$SSH_ORIGINAL_COMMAND" ]; then exec /usr/bin/vtysh --vty_socket ${frrDir(plan, s.name)}` +
      ` -c "$SSH_ORIGINAL_COMMAND"; else exec /usr/bin/vtysh --vty_socket ${frrDir(plan, s.name)}; fi`,
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
  const entries: KnownHostsEntry[] = plan.switches.flatMap((s) => [
    { host: s.address, port: s.port, publicKeys: hostKeys },
    ...(s.cliPort === undefined ? [] : [{ host: s.address, port: s.cliPort, publicKeys: hostKeys }]),
  ]);
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
