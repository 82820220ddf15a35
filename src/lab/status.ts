import { bgpSessions, frrDir } from './frr.js';
import { libvirtdPid } from './hypervisors.js';
import { guardTable, libvirtGuardPresent } from './libvirt-guard.js';
import { missingAddresses } from './links.js';
import { mgmtSshdPidFile } from './mgmt-sshd.js';
import { netnsInode, verifiedPid } from './proc.js';
import { agentsReady, swDir } from './switches.js';
import type { LabPlan } from './topology.js';
import { wanState } from './wan.js';

/** `vmmi lab status`: what of the plan exists and runs, per node. Read-only. */

export interface NodeStatus {
  readonly node: string;
  readonly ok: boolean;
  /** `what: state` items, e.g. `libvirtd: pid 123`, `bgpd: down`. */
  readonly items: readonly string[];
}

export interface LabStatus {
  readonly prefix: string;
  /** `up`: everything planned exists and runs; `down`: nothing does; `partial`: in between. */
  readonly state: 'up' | 'down' | 'partial';
  readonly nodes: readonly NodeStatus[];
  readonly problems: readonly string[];
}

export async function labStatus(plan: LabPlan): Promise<LabStatus> {
  const problems: string[] = [];
  let present = 0;
  const nodes: NodeStatus[] = [];
  for (const n of plan.nodes) {
    const items: string[] = [];
    let ok = (await netnsInode(n.ns)) !== undefined;
    items.push(`netns ${n.ns}: ${ok ? 'present' : 'missing'}`);
    if (ok) present++;
    const daemon = async (what: string, pidFile: string, comm: string): Promise<void> => {
      const pid = await verifiedPid(pidFile, [comm]);
      items.push(`${what}: ${pid === undefined ? 'down' : `pid ${pid}`}`);
      if (pid === undefined) ok = false;
      else present++;
    };
    const hv = plan.hypervisors.find((h) => h.name === n.node);
    if (hv !== undefined) {
      const pid = await libvirtdPid(hv);
      items.push(`libvirtd: ${pid === undefined ? 'down' : `pid ${pid}`}`);
      if (pid === undefined) ok = false;
      else present++;
    }
    if (plan.routers.some((r) => r.node === n.node)) {
      for (const d of ['zebra', 'staticd', 'bgpd']) await daemon(d, `${frrDir(plan, n.node)}/${d}.pid`, d);
    }
    const sw = plan.switches.find((s) => s.name === n.node);
    if (sw !== undefined) {
      await daemon('netconfd', `${swDir(plan, sw.name)}/netconfd.pid`, 'netconfd');
      await daemon('sshd', `${swDir(plan, sw.name)}/sshd.pid`, 'sshd');
      await daemon('agent', `${swDir(plan, sw.name)}/agent.pid`, 'node');
    }
    if (plan.mgmtHosts.some((h) => h.node === n.node)) {
      await daemon('management sshd', mgmtSshdPidFile(plan, n.node), 'sshd');
    }
    if (plan.wan !== undefined && n.ns === plan.wan.ns) {
      const w = await wanState(plan).catch(() => undefined);
      items.push(
        `wan: ${w === undefined ? 'unknown' : `${w.mode} ${w.running ? 'running' : 'down'}`}${w?.fields.delay_us ? ` delay ${Number(w.fields.delay_us) / 1000} ms cut=${w.fields.cut}` : ''}`,
      );
      if (w?.running !== true) ok = false;
      else present++;
    }
    nodes.push({ node: n.node, ok, items });
  }
  if (present > 0) {
    const agents = await agentsReady(plan);
    for (const [sw, r] of agents) if (!r) problems.push(`${sw}: data-plane agent not ready`);
    for (const m of await missingAddresses(plan)) problems.push(`address missing: ${m}`);
    if (!(await libvirtGuardPresent(plan))) problems.push(`nftables table inet ${guardTable(plan)} missing: ` +
      'libvirt TCP at the management addresses is open to every local user');
    const sessions = await bgpSessions(plan).catch(() => []);
    for (const s of sessions)
      if (s.state !== 'Established') problems.push(`${s.router}→${s.peer} BGP ${s.address}: ${s.state}`);
  }
  const allOk = nodes.every((n) => n.ok) && problems.length === 0;
  return { prefix: plan.prefix, state: present === 0 ? 'down' : allOk ? 'up' : 'partial', nodes, problems };
}
