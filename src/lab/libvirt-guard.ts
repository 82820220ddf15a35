import { LabError } from '../errors/classes.js';
import { runLocal } from '../exec/local.js';
import type { IoOptions } from '../util/abort.js';
import { LIBVIRT_TLS_PORT } from './hypervisors.js';
import type { LabPlan } from './topology.js';

/**
 * Defence in depth for the lab's libvirt TLS port: the libvirtds already refuse a connection without a
 * client certificate of the lab's CA (lab-pki.ts), and that CA's keys are root's (mode 0600), but through
 * the management veths (the hardware view) any local user of the controller's namespace could still
 * open connections and spend the daemons' handshakes. An nftables table in the root namespace lets only
 * root's sockets open connections to the hypervisors' libvirt port on their management addresses.
 * Root's own sessions, and migrations between hypervisors (inside the lab, never through the root
 * namespace), are untouched. One table per lab (prefix), removed by `lab down` and `lab doctor`.
 */

export const guardTable = (plan: Pick<LabPlan, 'prefix'>): string => `vmmi_${plan.prefix}_libvirt`;

/** `nft -f` input that (re)creates the guard table atomically; pure. */
export function guardRuleset(plan: LabPlan): string {
  const t = guardTable(plan);
  const addrs = plan.mgmtHosts.filter((h) => h.kind === 'hypervisor').map((h) => h.address);
  // `table` then `delete table`: the delete never fails, and the new table replaces the old in one transaction.
  const L = [`table inet ${t}`, `delete table inet ${t}`, `table inet ${t} {`, '  chain output {',
    '    type filter hook output priority 0; policy accept;'];
  if (addrs.length > 0) {
    L.push(`    ip daddr { ${addrs.join(', ')} } tcp dport ${LIBVIRT_TLS_PORT} meta skuid != 0 counter reject with tcp reset`);
  }
  L.push('  }', '}', '');
  return L.join('\n');
}

export async function ensureLibvirtGuard(plan: LabPlan, opts: IoOptions = {}): Promise<void> {
  const r = await runLocal(['nft', '-f', '-'], { timeoutMs: 10_000, ...opts, input: guardRuleset(plan) });
  if (r.failed) {
    throw new LabError(`nft: ${r.stderr.trim() || `exit ${r.exitCode}`}`, {
      operation: 'guard libvirt TCP', hint: 'the lab needs nftables (scripts/setup installs it)',
    });
  }
}

/** True when the lab's guard table exists in the root namespace. */
export async function libvirtGuardPresent(plan: LabPlan, opts: IoOptions = {}): Promise<boolean> {
  const r = await runLocal(['nft', 'list', 'table', 'inet', guardTable(plan)], { timeoutMs: 10_000, ...opts });
  return !r.failed;
}

export async function removeLibvirtGuard(plan: LabPlan, opts: IoOptions = {}): Promise<void> {
  if (await libvirtGuardPresent(plan, opts)) {
    await runLocal(['nft', 'delete', 'table', 'inet', guardTable(plan)], { timeoutMs: 10_000, ...opts });
  }
}
