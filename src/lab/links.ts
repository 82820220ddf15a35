import { LabError } from '../errors/classes.js';
import { runLocal } from '../exec/local.js';
import type { IoOptions } from '../util/abort.js';
import type { LabPlan } from './topology.js';

/**
 * Veth pairs, bridges, addresses and routes of the lab. Each namespace is configured by one
 * `ip -batch` (one process instead of dozens); every command in it is idempotent (`replace`, `set`)
 * or issued only when its object is missing, so `up` on a running lab converges.
 */

const ipIn = (ns: string | undefined): string[] => (ns === undefined ? ['ip'] : ['ip', '-n', ns]);

/** Names of the links in a namespace (root when undefined). */
export async function linkNames(ns: string | undefined, opts: IoOptions = {}): Promise<Set<string>> {
  const r = await runLocal([...ipIn(ns), '-j', 'link', 'show'], opts);
  if (r.failed || r.stdout.trim() === '') return new Set();
  return new Set((JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname));
}

/** Runs `lines` as one `ip -batch` in `ns`; a failing line is reported with the node it concerns. */
async function batch(
  ns: string | undefined,
  lines: readonly string[],
  node: string,
  what: string,
  opts: IoOptions,
): Promise<void> {
  if (lines.length === 0) return;
  const r = await runLocal([...ipIn(ns), '-batch', '-'], { ...opts, input: `${lines.join('\n')}\n` });
  if (!r.failed) return;
  const m = /Command failed -:(\d+)/.exec(r.stderr);
  const line = m === null ? undefined : lines[Number(m[1]) - 1];
  throw new LabError(`ip ${line ?? lines.join('; ')}: ${r.stderr.trim().split('\n')[0] ?? ''}`, {
    device: node,
    operation: what,
  });
}

export async function ensureVeths(plan: LabPlan, opts: IoOptions = {}): Promise<number> {
  const spaces = [undefined, ...plan.nodes.map((n) => n.ns)];
  const existing = new Map<string | undefined, Set<string>>();
  await Promise.all(spaces.map(async (ns) => existing.set(ns, await linkNames(ns, opts))));
  const has = (ns: string | undefined, dev: string): boolean => existing.get(ns)?.has(dev) ?? false;
  const lines: string[] = [];
  const stray: { ns: string | undefined; dev: string }[] = [];
  for (const v of plan.veths) {
    const a = has(v.a.ns, v.a.dev);
    const b = has(v.b.ns, v.b.dev);
    if (a && b) continue;
    if (a) stray.push(v.a);
    if (b) stray.push(v.b);
    const side = (ns: string | undefined): string => (ns === undefined ? '' : ` netns ${ns}`);
    lines.push(`link add ${v.a.dev}${side(v.a.ns)} type veth peer name ${v.b.dev}${side(v.b.ns)}`);
  }
  for (const s of stray) await runLocal([...ipIn(s.ns), 'link', 'del', 'dev', s.dev], opts);
  await batch(undefined, lines, plan.prefix, 'create veth pairs', opts);
  // Without this the relay gets CHECKSUM_PARTIAL frames (TCP dies) and 64 KiB GSO super-frames.
  await Promise.all(plan.veths.filter((v) => v.offloadsOff).flatMap((v) => [v.a, v.b]).map(async (e) => {
    const ethtool = ['ethtool', '-K', e.dev, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'];
    const r = await runLocal(e.ns === undefined ? ethtool : ['ip', 'netns', 'exec', e.ns, ...ethtool], opts);
    if (r.failed && !/unchanged|Could not change any/.test(r.stderr)) {
      throw new LabError(`ethtool -K ${e.dev}: ${r.stderr.trim()}`, {
        device: e.ns ?? 'root',
        operation: 'turn offloads off',
      });
    }
  }));
  return lines.length;
}

/** Bridges, ports, link state, addresses and routes, one batch per namespace (root included). */
export async function ensureL2L3(plan: LabPlan, opts: IoOptions = {}): Promise<void> {
  const spaces: (string | undefined)[] = [undefined, ...plan.nodes.map((n) => n.ns)];
  await Promise.all(spaces.map(async (ns) => {
    const node = ns === undefined ? 'root namespace' : (plan.nodes.find((n) => n.ns === ns)?.node ?? ns);
    const present = await linkNames(ns, opts);
    const lines: string[] = [];
    const devs = new Set<string>();
    for (const v of plan.veths) for (const e of [v.a, v.b]) if (e.ns === ns) devs.add(e.dev);
    // VXLAN endpoints before the bridges that take them as ports; no learning (EVPN fills the table).
    for (const x of plan.vxlans.filter((v) => v.ns === ns)) {
      if (!present.has(x.name))
        lines.push(`link add name ${x.name} type vxlan id ${x.vni} local ${x.local} dstport 4789 nolearning`);
      devs.add(x.name);
    }
    for (const br of plan.bridges.filter((b) => b.ns === ns)) {
      if (!present.has(br.name)) {
        lines.push(`link add name ${br.name}${br.mac === undefined ? '' : ` address ${br.mac}`} type bridge`);
      }
      // No STP and no forwarding delay: ports forward at once (migration outages are measured).
      lines.push(`link set dev ${br.name} type bridge forward_delay 0 stp_state 0`);
      if (br.mac !== undefined) lines.push(`link set dev ${br.name} address ${br.mac}`);
      for (const p of br.ports) lines.push(`link set dev ${p} master ${br.name}`);
      for (const x of plan.vxlans.filter((v) => v.ns === ns && v.bridge === br.name)) {
        lines.push(`link set dev ${x.name} type bridge_slave learning off`);
      }
      devs.add(br.name);
      if (br.gateway !== undefined) {
        if (!present.has(br.gateway.name)) {
          lines.push(
            `link add link ${br.name} name ${br.gateway.name} address ${br.gateway.mac} type macvlan mode private`,
          );
        }
        devs.add(br.gateway.name);
      }
    }
    for (const d of devs) lines.push(`link set dev ${d} up`);
    for (const a of plan.addresses.filter((x) => x.ns === ns)) lines.push(`addr replace ${a.cidr} dev ${a.dev}`);
    for (const r of plan.routes.filter((x) => x.ns === ns)) lines.push(`route replace ${r.dst} via ${r.via}`);
    await batch(ns, lines, node, 'configure links, addresses and routes', opts);
    // The bridge takes frames for the gateway MAC itself (its macvlan answers them) instead of
    // flooding them as unknown unicast to every port, VXLAN included.
    for (const br of plan.bridges.filter((b) => b.ns === ns)) {
      if (br.gateway === undefined) continue;
      const r = await runLocal(
        [
          'bridge',
          ...(ns === undefined ? [] : ['-n', ns]),
          'fdb',
          'replace',
          br.gateway.mac,
          'dev',
          br.name,
          'self',
          'local',
        ],
        opts,
      );
      if (r.failed)
        throw new LabError(`bridge fdb replace ${br.gateway.mac} dev ${br.name}: ${r.stderr.trim()}`, {
          device: node,
          operation: 'anycast gateway MAC',
        });
    }
  }));
}

/** Planned addresses missing from the kernel, as `node dev cidr` strings (for status and health). */
export async function missingAddresses(plan: LabPlan, opts: IoOptions = {}): Promise<string[]> {
  const missing: string[] = [];
  const spaces: (string | undefined)[] = [undefined, ...plan.nodes.map((n) => n.ns)];
  await Promise.all(spaces.map(async (ns) => {
    const r = await runLocal([...ipIn(ns), '-j', 'addr', 'show'], opts);
    const have = new Set<string>();
    if (!r.failed && r.stdout.trim() !== '') {
      for (const l of JSON.parse(r.stdout) as {
        ifname: string;
        addr_info?: { local: string; prefixlen: number }[];
      }[]) {
        for (const a of l.addr_info ?? []) have.add(`${l.ifname} ${a.local}/${a.prefixlen}`);
      }
    }
    for (const a of plan.addresses.filter((x) => x.ns === ns)) {
      const norm = a.cidr.replace(/^(.*::)\/(\d+)$/, '$1/$2');
      if (!have.has(`${a.dev} ${norm}`)) missing.push(`${ns ?? 'root'} ${a.dev} ${a.cidr}`);
    }
  }));
  return missing;
}

/** Root-namespace ends of the lab's management veths: switches', traffic hosts' and hypervisors'. */
export const rootLinks = (plan: LabPlan): string[] =>
  [...plan.switches.map((s) => s.rootDev), ...plan.mgmtHosts.map((h) => h.rootDev)];

/** Lab links left in the root namespace (management veth ends), e.g. after a killed run. */
export async function deleteRootLinks(plan: LabPlan, opts: IoOptions = {}): Promise<void> {
  const present = await linkNames(undefined, opts);
  for (const dev of rootLinks(plan)) {
    if (present.has(dev)) await runLocal(['ip', 'link', 'del', 'dev', dev], opts);
  }
}
