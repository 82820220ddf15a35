import { mkdir, writeFile } from 'node:fs/promises';
import { LabError } from '../errors/classes.js';
import { runLocal } from '../exec/local.js';
import type { IoOptions } from '../util/abort.js';
import { verifiedPid } from './proc.js';
import type { LabPlan, MgmtHostPlan } from './topology.js';
import { SSHD_SESSION_ENV_LINES } from './sshd-env.js';

/**
 * The hardware view of netns traffic hosts and hypervisors: one OpenSSH sshd per such namespace,
 * listening only on the node's management address (its mgmt0 veth from the root namespace), as the
 * management interface of a real host. The lab's host keys and authorized_keys are reused, and
 * switches.ts lists these addresses in the lab's known_hosts, so clients pin the host key.
 *
 * Root logs in by key only. An exec session runs its command in root's login shell (the probe agent
 * runs `node`, the conflict probe `arping` and `ip`), an interactive session gets that shell.
 */

export const mgmtDir = (plan: LabPlan, node: string): string => `${plan.dir}/mgmt/${node}`;
export const mgmtSshdPidFile = (plan: LabPlan, node: string): string => `${mgmtDir(plan, node)}/sshd.pid`;

/**
 * sshd_config lines take a path as one unquoted word: a lab directory with blanks, quotes or control
 * characters would change the configuration's meaning, so it is refused instead of quoted.
 */
export function configPath(p: string): string {
  if (!/^\/[A-Za-z0-9_./+@-]*$/.test(p)) {
    throw new LabError(`path "${p}" is not usable in an sshd configuration (letters, digits, _ . / + @ - only)`, {
      operation: 'write sshd configuration', hint: 'choose a lab directory (lab.dir, VMMI_LAB_DIR) without them',
    });
  }
  return p;
}

/** sshd_config of a management sshd (pure; `keys` holds host_ed25519, host_rsa and authorized_keys). */
export function mgmtSshdConfig(h: MgmtHostPlan, keys: string, dir: string): string {
  const k = configPath(keys);
  const d = configPath(dir);
  return [
    `Port ${h.sshPort}`,
    `ListenAddress ${h.address}`,
    `HostKey ${k}/host_ed25519`,
    `HostKey ${k}/host_rsa`,
    `PidFile ${d}/sshd.pid`,
    `AuthorizedKeysFile ${k}/authorized_keys`,
    'AllowUsers root',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'UsePAM no',
    ...SSHD_SESSION_ENV_LINES,
    // Nothing but sessions: no port, agent, X11 or tunnel forwarding into the lab's namespaces.
    'DisableForwarding yes',
    'PermitTunnel no',
    'PermitUserEnvironment no',
    'PrintMotd no',
    // A run opens several channels at once (probe agents, conflict probes) on pooled connections.
    'MaxSessions 20',
    'MaxStartups 50:30:100',
    '',
  ].join('\n');
}

/** Starts the management sshds not running (in parallel); returns the nodes whose sshd was started. */
export async function ensureMgmtSshds(plan: LabPlan, keys: string, opts: IoOptions = {}): Promise<string[]> {
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
  const started: string[] = [];
  await Promise.all(plan.mgmtHosts.map(async (h) => {
    const d = mgmtDir(plan, h.node);
    if ((await verifiedPid(mgmtSshdPidFile(plan, h.node), ['sshd'])) !== undefined) return;
    await mkdir(d, { recursive: true, mode: 0o700 });
    await writeFile(`${d}/sshd_config`, mgmtSshdConfig(h, keys, d), { mode: 0o600 });
    // sshd checks its configuration, binds and daemonizes before it exits: exit 0 means it listens.
    const r = await runLocal(
      ['ip', 'netns', 'exec', h.ns, '/usr/sbin/sshd', '-f', `${d}/sshd_config`, '-E', `${d}/sshd.log`],
      { timeoutMs: 15_000, ...opts },
    );
    if (r.failed) {
      throw new LabError(`management sshd on ${h.address}: ${r.stderr.trim() || `exit ${r.exitCode}`}`, {
        device: h.node, operation: 'start management sshd', hint: `see ${d}/sshd.log`,
      });
    }
    started.push(h.node);
  }));
  return started;
}
