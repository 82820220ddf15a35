/* eslint-disable no-restricted-imports -- src/index.ts (the package entry) does not re-export these yet */
/**
 * Flooding counter against a real bridge, in own namespaces (`vfl-<pid>-*`, 198.19.210.0/24 and
 * 2001:2:0:210::/64, underlay 198.19.211.0/24): `br` holds bridge br0 with ports p1..p4, veths to hosts
 * h1, h2, h3 and `vm`, and vx0, a VXLAN port (nolearning, bridge learning off, as on an EVPN VTEP) whose
 * remote end is a VXLAN device in namespace `vtep` across the veth u0. Multicast snooping is off (every
 * multicast frame floods to all ports), the bridge and VTEP namespaces have IPv6 off, the hosts send no
 * router solicitation or DAD and `vm` answers no ping, so every counted frame is one the spec sent:
 * - broadcast ARP: `arping -b -c N` from h1 (requests stay broadcast) and `arping -U -c G` from h3
 *   (gratuitous requests);
 * - ND: ping6 from h1 to an address nobody holds, one NS per ping (mcast_solicit 1, retrans 200 ms, pings
 *   1 s apart: each ping starts a fresh resolution);
 * - unknown unicast: ping from h1 to a static neighbour with a MAC the bridge never learned;
 * - not flooded: ping to a MAC the bridge holds as a static FDB entry on p3 (in the counter's FDB dump),
 *   and pings between h1 and h2 (learned);
 * - an EVPN-style move: mid-count the vm's MAC (learned on p4) is replaced by a static entry on vx0, as a
 *   control plane installs a remote MAC; pings to it leave by vx0 alone and are not flooding. Deleted,
 *   the same pings flood;
 * - FDB events lost (a tiny netlink buffer, the counter stopped while 300 entries are added): the counter
 *   re-reads the FDB and the last added MAC is known.
 */
import { expect, test } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChecked, runLocal } from '../../src/exec/local.js';
import { netnsRunner } from '../../src/exec/netns.js';
import { createPacketFloodSource, readSuppression, type FloodPlace } from '../../src/probes/flood/counter.js';
import type { FloodCounting, FloodPortCounts } from '../../src/probes/flood/types.js';

const P = `vfl-${process.pid}-`;
const BR = `${P}br`;
const HOSTS = ['h1', 'h2', 'h3', 'vm'] as const;
const VTEP = `${P}vtep`;
const ARP_B = 3;
const GARP = 2;
const NS = 3;
const UU = 5;
const STATIC = 4;
const FAKE_MAC = '02:00:00:00:99:01';
const STATIC_MAC = '02:00:00:00:99:02';
const VM_MAC = '02:00:c6:13:d2:04';
const VM_IP = '198.19.210.4';
const MOVED = 20;
const DELETED = 7;
const BATCH = 300;
const batchMac = (i: number): string => `02:00:00:01:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;

const sh = (ns: string, ...argv: string[]): Promise<unknown> =>
  runChecked(['ip', 'netns', 'exec', ns, ...argv], { timeoutMs: 10_000 });
const place: FloodPlace = { runner: netnsRunner(BR), argvPrefix: ['ip', 'netns', 'exec', BR] };
let dir = '';
let binary = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmmi-floodcount-'));
  binary = join(dir, 'floodcount');
  await runChecked(['gcc', '-O2', '-Wall', '-Wextra', '-o', binary,
    fileURLToPath(new URL('../../lab-assets/floodcount.c', import.meta.url))], { timeoutMs: 60_000 });
  await runChecked(['ip', 'netns', 'add', BR]);
  await sh(BR, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  await sh(BR, 'ip', 'link', 'add', 'br0', 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0', 'mcast_snooping', '0');
  await sh(BR, 'ip', 'link', 'set', 'dev', 'br0', 'up');
  for (const [i, h] of HOSTS.entries()) {
    const ns = P + h;
    await runChecked(['ip', 'netns', 'add', ns]);
    await runChecked(['ip', 'link', 'add', `p${i + 1}`, 'netns', BR, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await sh(ns, 'sysctl', '-qw', 'net.ipv6.conf.eth0.router_solicitations=0', 'net.ipv6.conf.eth0.accept_dad=0',
      'net.ipv6.neigh.eth0.mcast_solicit=1', 'net.ipv6.neigh.eth0.retrans_time_ms=200');
    await sh(ns, 'ip', 'link', 'set', 'dev', 'eth0', 'address', `02:00:c6:13:d2:0${i + 1}`);
    await sh(ns, 'ip', 'addr', 'add', `198.19.210.${i + 1}/24`, 'dev', 'eth0');
    await sh(ns, 'ip', '-6', 'addr', 'add', `2001:2:0:210::${i + 1}/64`, 'dev', 'eth0', 'nodad');
    await sh(ns, 'ip', 'link', 'set', 'dev', 'eth0', 'up');
    await sh(BR, 'ip', 'link', 'set', 'dev', `p${i + 1}`, 'master', 'br0');
    await sh(BR, 'ip', 'link', 'set', 'dev', `p${i + 1}`, 'up');
  }
  const h1 = P + 'h1';
  await sh(h1, 'ip', 'neigh', 'replace', '198.19.210.77', 'lladdr', FAKE_MAC, 'dev', 'eth0', 'nud', 'permanent');
  await sh(h1, 'ip', 'neigh', 'replace', '198.19.210.78', 'lladdr', STATIC_MAC, 'dev', 'eth0', 'nud', 'permanent');
  await sh(h1, 'ip', 'neigh', 'replace', VM_IP, 'lladdr', VM_MAC, 'dev', 'eth0', 'nud', 'permanent');
  await sh(h1, 'ip', 'neigh', 'replace', '198.19.210.80', 'lladdr', batchMac(BATCH - 1), 'dev', 'eth0', 'nud', 'permanent');
  await sh(BR, 'bridge', 'fdb', 'add', STATIC_MAC, 'dev', 'p3', 'master', 'static');
  // The VXLAN port: a remote VTEP namespace across an underlay veth, no learning on either side.
  await runChecked(['ip', 'netns', 'add', VTEP]);
  await sh(VTEP, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  await runChecked(['ip', 'link', 'add', 'u0', 'netns', BR, 'type', 'veth', 'peer', 'name', 'u0', 'netns', VTEP]);
  for (const [ns, me, peer] of [[BR, 1, 2], [VTEP, 2, 1]] as const) {
    await sh(ns, 'ip', 'addr', 'add', `198.19.211.${me}/24`, 'dev', 'u0');
    await sh(ns, 'ip', 'link', 'set', 'dev', 'u0', 'up');
    await sh(ns, 'ip', 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '100', 'local', `198.19.211.${me}`,
      'remote', `198.19.211.${peer}`, 'dstport', '4789', 'nolearning', 'dev', 'u0');
  }
  await sh(BR, 'ip', 'link', 'set', 'dev', 'vx0', 'master', 'br0');
  await sh(BR, 'bridge', 'link', 'set', 'dev', 'vx0', 'learning', 'off');
  for (const ns of [BR, VTEP]) await sh(ns, 'ip', 'link', 'set', 'dev', 'vx0', 'up');
  // The vm never answers a ping (a moved VM is silent here); one ping from it teaches the bridge its MAC on p4.
  await sh(P + 'vm', 'sysctl', '-qw', 'net.ipv4.icmp_echo_ignore_all=1');
  await sh(P + 'vm', 'ping', '-c', '1', '-W', '2', '198.19.210.1');
  // h1 and h2 resolve each other and the bridge learns both before the window; setup noise (MLD) settles.
  await sh(h1, 'ping', '-c', '1', '-W', '2', '198.19.210.2');
  await new Promise((r) => setTimeout(r, 2500));
});

test.afterAll(async () => {
  for (const n of [BR, VTEP, ...HOSTS.map((h) => P + h)]) await runLocal(['ip', 'netns', 'del', n], { timeoutMs: 10_000 });
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

const port = (ports: readonly FloodPortCounts[], name: string): FloodPortCounts => {
  const p = ports.find((x) => x.port === name);
  if (p === undefined) throw new Error(`no port ${name} in ${ports.map((x) => x.port).join(',')}`);
  return p;
};

test('counts broadcast ARP, ND multicast and unknown unicast exactly, once per segment, per port and direction', async () => {
  test.setTimeout(90_000);
  const source = createPacketFloodSource(() => place, { binary, maxMs: 60_000 });
  const counting = await source.start({ device: 'br-ns', bridge: 'br0' }, { timeoutMs: 10_000 });
  try {
    const h1 = P + 'h1';
    // Known unicast first (learned and static FDB): none of it is flooding.
    await sh(h1, 'ping', '-c', '3', '-i', '0.2', '-W', '1', '198.19.210.2');
    await runLocal(['ip', 'netns', 'exec', h1, 'ping', '-c', String(STATIC), '-i', '0.2', '-W', '1', '198.19.210.78'],
      { timeoutMs: 10_000 });
    const mid = await counting.read({ timeoutMs: 5000 });
    expect(mid.final).toBe(false);
    expect(mid.flood_unknown_unicast_packets).toBe(0);
    expect(mid.flood_arp_packets).toBe(0);
    await sh(h1, 'arping', '-b', '-c', String(ARP_B), '-w', String(ARP_B + 2), '-I', 'eth0', '198.19.210.2');
    await sh(P + 'h3', 'arping', '-U', '-c', String(GARP), '-w', String(GARP + 2), '-I', 'eth0', '198.19.210.3');
    await runLocal(['ip', 'netns', 'exec', h1, 'ping', '-6', '-c', String(NS), '-i', '1', '-W', '1', '2001:2:0:210::99'],
      { timeoutMs: 15_000 });
    await runLocal(['ip', 'netns', 'exec', h1, 'ping', '-c', String(UU), '-i', '0.2', '-W', '1', '198.19.210.77'],
      { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300)); // the last frames reach every port
    const r = await counting.stop({ timeoutMs: 10_000 });
    console.log(JSON.stringify({ totals: [r.flood_arp_packets, r.flood_nd_packets, r.flood_unknown_unicast_packets],
      segment: r.segment, health: r.health, reasons: r.reasons, windowMs: r.window.durationMs }));
    for (const p of r.ports) console.log(p.port, 'rx', JSON.stringify(p.rx), 'tx', JSON.stringify(p.tx), 'drops', p.drops);
    expect(r.health).toBe('ok');
    expect(r.final).toBe(true);
    expect(r.flood_arp_packets).toBe(ARP_B + GARP);
    expect(r.flood_nd_packets).toBe(NS);
    expect(r.flood_unknown_unicast_packets).toBe(UU);
    expect(r.segment).toMatchObject({ arpRequest: ARP_B + GARP, arpReply: 0, arpGratuitous: GARP, rarp: 0,
      ndNs: NS, ndNa: 0, ndRs: 0, ndRa: 0, unknownUnicast: UU });
    const [p1, p2, p3] = ['p1', 'p2', 'p3'].map((n) => port(r.ports, n)) as
      [FloodPortCounts, FloodPortCounts, FloodPortCounts];
    // Each flooded frame: one ingress copy at its sender's port, one egress copy at each other port.
    expect([p1.rx.arpRequest, p2.tx.arpRequest, p3.tx.arpRequest]).toEqual([ARP_B, ARP_B + GARP, ARP_B]);
    expect([p3.rx.arpRequest, p3.rx.arpGratuitous, p1.tx.arpGratuitous, p2.tx.arpGratuitous])
      .toEqual([GARP, GARP, GARP, GARP]);
    expect([p1.rx.ndNs, p2.tx.ndNs, p3.tx.ndNs, p1.tx.ndNs]).toEqual([NS, NS, NS, 0]);
    expect([p1.rx.unknownUnicast, p2.tx.unknownUnicast, p3.tx.unknownUnicast, p1.tx.unknownUnicast])
      .toEqual([UU, UU, UU, 0]);
    // The static-FDB pings left by p3 alone and are not flooding.
    expect(p3.tx.unicast).toBeGreaterThanOrEqual(STATIC);
    expect(p2.rx.unknownUnicast + p3.rx.unknownUnicast).toBe(0);
    expect(r.ports.every((p) => p.drops === 0)).toBe(true);
  } finally {
    await counting.stop({ timeoutMs: 5000 });
  }
});

/** Final counts of one counting, logged. */
const logged = (what: string, r: Awaited<ReturnType<FloodCounting['stop']>>): void => {
  console.log(what, JSON.stringify({ uu: r.flood_unknown_unicast_packets, segment: r.segment, health: r.health,
    reasons: r.reasons }));
  for (const p of r.ports) console.log(' ', p.port, 'tx unicast', p.tx.unicast, 'tx uu', p.tx.unknownUnicast, 'drops', p.drops);
};

/** Pings from h1 that get no answer (the vm ignores pings; the batch MAC is nobody): `n` frames, bounded. */
const pings = (target: string, n: number): Promise<unknown> =>
  runLocal(['ip', 'netns', 'exec', P + 'h1', 'ping', '-c', String(n), '-i', '0.05', '-W', '1', target],
    { timeoutMs: 15_000 });

test('EVPN-style move: a MAC the control plane puts on the VXLAN port mid-count is known; deleted, it floods', async () => {
  test.setTimeout(60_000);
  const source = createPacketFloodSource(() => place, { binary, maxMs: 30_000 });
  const counting = await source.start({ device: 'br-ns', bridge: 'br0' }, { timeoutMs: 10_000 });
  try {
    // The vm's MAC was learned on p4 before the start (in the counter's dump); the control plane moves it.
    await sh(BR, 'bridge', 'fdb', 'replace', VM_MAC, 'dev', 'vx0', 'master', 'static');
    await pings(VM_IP, MOVED);
    await new Promise((r) => setTimeout(r, 200));
    const moved = await counting.read({ timeoutMs: 5000 });
    logged('moved', moved);
    expect(moved.flood_unknown_unicast_packets).toBe(0);
    const vx = port(moved.ports, 'vx0');
    const p4 = port(moved.ports, 'p4');
    expect(vx.tx.unicast).toBe(MOVED); // the bridge sent them over VXLAN, and only there
    expect([vx.tx.unknownUnicast, p4.tx.unicast, port(moved.ports, 'p2').tx.unicast]).toEqual([0, 0, 0]);

    await sh(BR, 'bridge', 'fdb', 'del', VM_MAC, 'dev', 'vx0', 'master');
    await pings(VM_IP, DELETED);
    await new Promise((r) => setTimeout(r, 200));
    const r = await counting.stop({ timeoutMs: 10_000 });
    logged('deleted', r);
    expect(r.health).toBe('ok');
    expect(r.flood_unknown_unicast_packets).toBe(DELETED);
    for (const name of ['p2', 'p3', 'p4', 'vx0']) expect(port(r.ports, name).tx.unknownUnicast).toBe(DELETED);
    expect(port(r.ports, 'p1').rx.unknownUnicast).toBe(DELETED);
    expect(port(r.ports, 'vx0').tx.unicast).toBe(MOVED + DELETED);
  } finally {
    await counting.stop({ timeoutMs: 5000 });
    await runLocal(['ip', 'netns', 'exec', BR, 'bridge', 'fdb', 'del', VM_MAC, 'dev', 'vx0', 'master'], { timeoutMs: 5000 });
  }
});

test('FDB events lost on a full netlink buffer: the counter re-reads the FDB and knows what it missed', async () => {
  test.setTimeout(60_000);
  const source = createPacketFloodSource(() => place, { binary, maxMs: 30_000, netlinkRcvbufBytes: 2048 });
  const counting = await source.start({ device: 'br-ns', bridge: 'br0' }, { timeoutMs: 10_000 });
  let pid = '';
  try {
    const found = await runChecked(['pgrep', '-f', `^${binary} --bridge br0 `], { timeoutMs: 5000 });
    pid = found.stdout.trim();
    expect(pid).toMatch(/^\d+$/);
    // Stopped, the counter reads nothing while the kernel notifies BATCH additions into its small buffer.
    await runChecked(['kill', '-STOP', pid]);
    const lines = Array.from({ length: BATCH }, (_, i) => `fdb add ${batchMac(i)} dev vx0 master static`);
    await runChecked(['ip', 'netns', 'exec', BR, 'bridge', '-batch', '-'], { timeoutMs: 10_000, input: `${lines.join('\n')}\n` });
    await runChecked(['kill', '-CONT', pid]);
    pid = '';
    await new Promise((r) => setTimeout(r, 300));
    await pings('198.19.210.80', 5);
    await new Promise((r) => setTimeout(r, 200));
    const r = await counting.stop({ timeoutMs: 10_000 });
    logged('resync', r);
    expect(r.reasons.join()).toMatch(/FDB events lost [1-9]\d* times .* re-read by [1-9]\d* dumps/);
    expect(r.health).toBe('degraded');
    expect(r.flood_unknown_unicast_packets).toBe(0);
    expect(port(r.ports, 'vx0').tx.unicast).toBe(5);
  } finally {
    if (pid !== '') await runLocal(['kill', '-CONT', pid], { timeoutMs: 5000 });
    await counting.stop({ timeoutMs: 5000 });
    await runLocal(['ip', 'netns', 'exec', BR, 'bridge', 'fdb', 'flush', 'dev', 'br0', 'brport', 'vx0', 'static'],
      { timeoutMs: 10_000 });
  }
});

test('a port removed mid-count (a VXLAN port detached by the control plane) ends its capture, not the count', async () => {
  test.setTimeout(60_000);
  await sh(BR, 'ip', 'link', 'add', 'px', 'type', 'veth', 'peer', 'name', 'pxp');
  await sh(BR, 'ip', 'link', 'set', 'dev', 'px', 'master', 'br0');
  for (const d of ['px', 'pxp']) await sh(BR, 'ip', 'link', 'set', 'dev', d, 'up');
  const source = createPacketFloodSource(() => place, { binary, maxMs: 30_000 });
  const counting = await source.start({ device: 'br-ns', bridge: 'br0' }, { timeoutMs: 10_000 });
  try {
    const h1 = P + 'h1';
    await sh(h1, 'arping', '-b', '-c', '2', '-w', '4', '-I', 'eth0', '198.19.210.2');
    await sh(BR, 'ip', 'link', 'del', 'px');
    await sh(h1, 'arping', '-b', '-c', '2', '-w', '4', '-I', 'eth0', '198.19.210.2');
    const r = await counting.stop({ timeoutMs: 10_000 });
    expect(r.health, r.reasons.join('; ')).not.toBe('errored');
    expect(r.flood_arp_packets).toBe(4);
    const px = port(r.ports, 'px');
    expect(px.gone).toBe(true);
    expect(px.tx.arpRequest).toBe(2);
    expect(port(r.ports, 'p2').gone).toBeUndefined();
  } finally {
    await counting.stop({ timeoutMs: 5000 });
    await runLocal(['ip', 'netns', 'exec', BR, 'ip', 'link', 'del', 'px'], { timeoutMs: 5000 });
  }
});

test('a missing binary or bridge fails the start with the reason', async () => {
  const missing = createPacketFloodSource(() => place, { binary: join(dir, 'nope'), maxMs: 5000 });
  await expect(missing.start({ device: 'br-ns', bridge: 'br0' }, { timeoutMs: 5000 })).rejects.toThrow(/did not start/);
  const nobr = createPacketFloodSource(() => place, { binary, maxMs: 5000 });
  await expect(nobr.start({ device: 'br-ns', bridge: 'br9' }, { timeoutMs: 5000 })).rejects.toThrow(/br9/);
});

test('the counter ends by itself at its lifetime bound, and the result says so', async () => {
  const source = createPacketFloodSource(() => place, { binary, maxMs: 300 });
  const counting = await source.start({ device: 'br-ns', bridge: 'br0' }, { timeoutMs: 5000 });
  await new Promise((r) => setTimeout(r, 800));
  const r = await counting.stop({ timeoutMs: 5000 });
  expect(r.health).toBe('degraded');
  expect(r.reasons.join()).toMatch(/300 ms bound/);
  expect(r.window.durationMs).toBeGreaterThanOrEqual(299);
  expect(r.window.durationMs).toBeLessThan(700);
});

test('neigh_suppress reads off, mixed, on', async () => {
  const source = createPacketFloodSource(() => place, { binary });
  const seg = { device: 'br-ns', bridge: 'br0' };
  expect((await source.suppression(seg, { timeoutMs: 5000 })).arp_nd_suppression).toBe('off');
  await sh(BR, 'bridge', 'link', 'set', 'dev', 'p1', 'neigh_suppress', 'on');
  expect((await source.suppression(seg, { timeoutMs: 5000 })).arp_nd_suppression).toBe('mixed');
  expect((await readSuppression(place.runner, 'br0', { timeoutMs: 5000, ports: ['p1'] })).arp_nd_suppression).toBe('on');
  for (const p of ['p2', 'p3', 'p4', 'vx0']) await sh(BR, 'bridge', 'link', 'set', 'dev', p, 'neigh_suppress', 'on');
  const all = await source.suppression(seg, { timeoutMs: 5000 });
  expect(all.arp_nd_suppression).toBe('on');
  expect(all.ports.map((p) => p.port).sort()).toEqual(['p1', 'p2', 'p3', 'p4', 'vx0']);
});
