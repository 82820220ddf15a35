import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { LabError } from '../errors/classes.js';
import { runLocal } from '../exec/local.js';
import type { IoOptions } from '../util/abort.js';
import { netnsInode } from './proc.js';
import type { NodePlan } from './topology.js';

/** Named network namespaces of the lab: create (idempotent), list, delete. */

export async function listNetns(opts: IoOptions = {}): Promise<string[]> {
  const r = await runLocal(['ip', '-j', 'netns', 'list'], opts);
  if (r.failed || r.stdout.trim() === '') return [];
  return (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name);
}

/**
 * Creates every missing namespace, brings lo up and sets forwarding (routers), ARP only on the
 * interface holding the address (TORs), no IPv6 DAD (lab
 * addresses are planned, never duplicated; DAD would delay them by ~1 s). Existing ones are kept.
 */
export async function ensureNamespaces(nodes: readonly NodePlan[], opts: IoOptions = {}): Promise<number> {
  const missing: NodePlan[] = [];
  for (const n of nodes) if ((await netnsInode(n.ns)) === undefined) missing.push(n);
  // One `ip -batch` for everything (one process instead of three per namespace).
  const lines = [
    ...missing.map((n) => `netns add ${n.ns}`),
    ...nodes.flatMap((n) => [
      `netns exec ${n.ns} sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1`
        + ' net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_ra=0'
        + ' net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.all.rp_filter=0'
        // A TOR answers ARP only on the interface holding the address: the anycast gateway on its
        // macvlan, never the bridge with its own MAC (see topology.ts, ANYCAST_MAC).
        + (n.role === 'tor' ? ' net.ipv4.conf.all.arp_ignore=1' : ''),
      `netns exec ${n.ns} ip link set dev lo up`,
    ]),
  ];
  const r = await runLocal(['ip', '-batch', '-'], { ...opts, input: `${lines.join('\n')}\n` });
  if (r.failed) {
    const m = /Command failed -:(\d+)/.exec(r.stderr);
    const line = m === null ? undefined : lines[Number(m[1]) - 1];
    const node = nodes.find((n) => line?.includes(` ${n.ns}`))?.node ?? 'namespaces';
    throw new LabError(`ip ${line ?? 'netns'}: ${r.stderr.trim().split('\n')[0] ?? ''}`, {
      device: node,
      operation: 'create namespace',
    });
  }
  return missing.length;
}

/**
 * `ip netns exec NS` bind-mounts /etc/netns/NS/* over /etc: every lab daemon then resolves the lab's
 * host names from a local hosts file and sends no DNS query out of the lab (the system resolver is
 * unreachable from the namespaces: each lookup would stall ~5 s, libvirtd looks its hostname up
 * several times per migration).
 */
export async function ensureNetnsEtc(
  nodes: readonly NodePlan[],
  hosts: readonly (readonly [string, string])[],
): Promise<void> {
  const text = ['127.0.0.1 localhost', '::1 localhost', ...hosts.map(([addr, name]) => `${addr} ${name}`), ''].join(
    '\n',
  );
  await Promise.all(
    nodes.map(async (n) => {
      await mkdir(`/etc/netns/${n.ns}`, { recursive: true });
      await writeFile(`/etc/netns/${n.ns}/hosts`, text);
      await writeFile(`/etc/netns/${n.ns}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    }),
  );
}

/** Removes /etc/netns/<prefix>-* (files of the run). */
export async function removeNetnsEtc(prefix: string): Promise<void> {
  const all = await readdir('/etc/netns').catch(() => [] as string[]);
  await Promise.all(
    all.filter((d) => d.startsWith(`${prefix}-`)).map((d) => rm(`/etc/netns/${d}`, { recursive: true, force: true })),
  );
}

/** Deletes the given namespaces that exist; returns the ones that could not be deleted. */
export async function deleteNamespaces(names: readonly string[], opts: IoOptions = {}): Promise<string[]> {
  const left: string[] = [];
  await Promise.all(names.map(async (ns) => {
    if ((await netnsInode(ns)) === undefined) return;
    const r = await runLocal(['ip', 'netns', 'del', ns], opts);
    if (r.failed && (await netnsInode(ns)) !== undefined) left.push(`${ns}: ${r.stderr.trim()}`);
  }));
  return left;
}
