/**
 * The path probe (lab-assets/pathprobe.c, src/probes/path/) over a chain of namespaces of its own:
 *
 *   client — r1 — r2 — r3 — target          r1 — r4 — r3 as the other way round
 *
 * 198.19.201-207.0/24 and 2001:2:0:201-207::/64 (link k of the table below), namespaces `vpa-<tag>-*`. A
 * router answers IPv4 from the interface its route back to the client leaves by and IPv6 from the interface
 * the probe came in by, so each hop's address is known in advance. The spec asserts the exact hop list in
 * both families, the other list after r1's route to the target moves to r4, and the bounds (hops × probes, the
 * deadline, abort) towards a black-holed address.
 * ICMP rate limits are off in these namespaces so that back-to-back runs are all answered, and so is DAD, so
 * that no address of a fresh link is still tentative when the first IPv6 probes cross it (with DAD on, a run
 * right after set-up once lost every answer of one TTL).
 */
import { expect, test } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
/* eslint-disable no-restricted-imports -- internals checked directly, outside the public API (src/index.ts) */
import { runChecked, runLocal } from '../../src/exec/local.js';
import type { Link, Switch, TrafficHost } from '../../src/model/testbed.js';
import { runPathProbe, type PathProbeResult } from '../../src/probes/path/run.js';
import { pathNames, resolvePathHops, viaSite, type PathTestbed } from '../../src/probes/path/resolve.js';
/* eslint-enable no-restricted-imports */

test.describe.configure({ mode: 'serial' });

const tag = `${process.pid % 100000}`;
const NODES = ['c', 'r1', 'r2', 'r3', 'r4', 't'] as const;
type Node = (typeof NODES)[number];
const ns = (n: Node): string => `vpa-${tag}-${n}`;
const NAMES: Record<Node, string> = { c: 'client', r1: 'r1', r2: 'r2', r3: 'r3', r4: 'r4', t: 'target' };

/** Links: [subnet number, a end, b end]; a is host .1 / ::1, b is .2 / ::2. */
const LINKS: readonly (readonly [number, Node, Node])[] = [
  [201, 'c', 'r1'], [202, 'r1', 'r2'], [203, 'r2', 'r3'], [204, 'r3', 't'], [205, 'r1', 'r4'], [206, 'r4', 'r3'],
];
const v4 = (net: number, host: number): string => `198.19.${net}.${host}`;
const v6 = (net: number, host: number): string => `2001:2:0:${net}::${host}`;
const BLACKHOLE = 207;

/** Routes per router: [destination subnet, next-hop subnet, next-hop host]; 0 = the default route. */
const ROUTES: Readonly<Record<Node, readonly (readonly [number, number, number])[]>> = {
  c: [[0, 201, 2]],
  r1: [[203, 202, 2], [204, 202, 2], [BLACKHOLE, 202, 2], [206, 205, 2]],
  r2: [[201, 202, 1], [205, 202, 1], [204, 203, 2], [206, 203, 2], [BLACKHOLE, 203, 2]],
  r3: [[201, 203, 1], [202, 203, 1], [205, 203, 1]],
  r4: [[201, 205, 1], [202, 205, 1], [203, 206, 2], [204, 206, 2]],
  t: [[0, 204, 1]],
};

const ip = (...a: string[]): Promise<unknown> => runChecked(['ip', ...a], { timeoutMs: 10_000 });
const sysctl = (n: Node, kv: string): Promise<unknown> =>
  runChecked(['ip', 'netns', 'exec', ns(n), 'sysctl', '-qw', kv], { timeoutMs: 10_000 });

async function destroy(): Promise<void> {
  for (const n of NODES) await runLocal(['ip', 'netns', 'del', ns(n)], { timeoutMs: 10_000 });
}

async function route(n: Node, verb: 'add' | 'replace', dst: number, viaNet: number, viaHost: number): Promise<void> {
  const d4 = dst === 0 ? 'default' : `${v4(dst, 0)}/24`;
  const d6 = dst === 0 ? 'default' : `${v6(dst, 0)}/64`;
  await ip('-n', ns(n), 'route', verb, d4, 'via', v4(viaNet, viaHost));
  await ip('-n', ns(n), '-6', 'route', verb, d6, 'via', v6(viaNet, viaHost));
}

/**
 * Waits (≤ 5 s) until every veth end is up with its queueing discipline attached: until the kernel's link
 * watcher runs (up to a second after carrier) an interface holds the noop qdisc and drops what it is given.
 */
async function linksReady(): Promise<void> {
  const ends = LINKS.flatMap(([net, a, b]) => [[a, `l${net}a`], [b, `l${net}b`]] as const);
  const until = performance.now() + 5000;
  for (;;) {
    const states = await Promise.all(ends.map(async ([n, dev]) =>
      (await runLocal(['ip', '-n', ns(n), '-o', 'link', 'show', 'dev', dev], { timeoutMs: 10_000 })).stdout));
    const waiting = states.filter((st) => !/state UP/.test(st) || /qdisc noop/.test(st));
    if (waiting.length === 0) return;
    if (performance.now() > until) throw new Error(`links not ready after 5 s: ${waiting.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function build(): Promise<void> {
  await destroy();
  for (const n of NODES) {
    await ip('netns', 'add', ns(n));
    await ip('-n', ns(n), 'link', 'set', 'lo', 'up');
    for (const kv of ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1', 'net.ipv4.icmp_ratelimit=0',
      'net.ipv6.icmp.ratelimit=0', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']) {
      await sysctl(n, kv);
    }
  }
  for (const [net, a, b] of LINKS) {
    await ip('link', 'add', `l${net}a`, 'netns', ns(a), 'type', 'veth', 'peer', 'name', `l${net}b`, 'netns', ns(b));
    for (const [n, dev, host] of [[a, `l${net}a`, 1], [b, `l${net}b`, 2]] as const) {
      await ip('-n', ns(n), 'addr', 'add', `${v4(net, host)}/24`, 'dev', dev);
      await ip('-n', ns(n), '-6', 'addr', 'add', `${v6(net, host)}/64`, 'dev', dev, 'nodad');
      await ip('-n', ns(n), 'link', 'set', dev, 'up');
    }
  }
  await linksReady();
  for (const n of NODES) for (const [dst, net, host] of ROUTES[n]) await route(n, 'add', dst, net, host);
  await ip('-n', ns('r3'), 'route', 'add', 'blackhole', `${v4(BLACKHOLE, 0)}/24`);
  await ip('-n', ns('r3'), '-6', 'route', 'add', 'blackhole', `${v6(BLACKHOLE, 0)}/64`);
}

/** The chain as a testbed: r1/r3 at the sites' edges, r2 the old site's router, r4 the new site's. */
function chainTestbed(): PathTestbed {
  const site: Record<Node, string> = { c: 'client', r1: 'core', r2: 'old', r3: 'core', r4: 'new', t: 'target' };
  const sw = (n: Node): Switch => ({ name: NAMES[n], site: site[n], role: 'core', kind: 'frr-ssh',
    address: v4(208, NODES.indexOf(n)), port: 22, credentials: { username: 'vmmi' },
    hostKey: { kind: 'insecure-accept-any-host-key' } });
  const links = LINKS.map(([net, a, b]): Link => ({ name: `l${net}`, wan: false, endpoints: [
    { device: NAMES[a], port: `l${net}a`, ipv4: `${v4(net, 1)}/24`, ipv6: `${v6(net, 1)}/64` },
    { device: NAMES[b], port: `l${net}b`, ipv4: `${v4(net, 2)}/24`, ipv6: `${v6(net, 2)}/64` },
  ] }));
  const host = (n: Node): TrafficHost => ({ name: NAMES[n], kind: 'local', site: site[n], probeByDefault: false });
  return { switches: (['r1', 'r2', 'r3', 'r4'] as const).map(sw), links, hypervisors: [], trafficHosts: [host('c'), host('t')] };
}

let binDir: string | undefined;
let binary = '';

test.beforeAll(async () => {
  binDir = await mkdtemp(join(tmpdir(), 'vmmi-pathprobe-'));
  binary = join(binDir, 'pathprobe');
  const src = fileURLToPath(new URL('../../lab-assets/pathprobe.c', import.meta.url));
  await runChecked(['gcc', '-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, src], { timeoutMs: 60_000 });
  await build();
});

test.afterAll(async () => {
  await destroy();
  if (binDir !== undefined) await rm(binDir, { recursive: true, force: true });
});

const families = ['ipv4', 'ipv6'] as const;
const addr = (f: (typeof families)[number], net: number, host: number): string => (f === 'ipv4' ? v4 : v6)(net, host);

async function trace(target: string, o: Parameters<typeof runPathProbe>[2] = {}): Promise<PathProbeResult> {
  // The placement a lab traffic host gets (lab/access.ts); the helper built from this checkout's source.
  const r = await runPathProbe({ kind: 'netns', netns: ns('c') }, target, { binary, ...o });
  console.log(`${target}: ${r.reason} in ${r.elapsedMs} ms\n${r.hops.map((h) =>
    `  ${h.ttl} ${h.address ?? '*'} ${h.kind} ${h.rttsMs.join(',')}`).join('\n')}`);
  return r;
}

for (const f of families) {
  test(`${f}: the exact hop list client → r1 → r2 → r3 → target, each hop resolved to its router and site`, async () => {
    const r = await trace(addr(f, 204, 2), { probeTimeoutMs: 1000 });
    expect(r.failure, r.stderr).toBeUndefined();
    expect(r.problems).toEqual([]);
    expect(r.family).toBe(f);
    expect(r.reached).toBe(true);
    expect(r.reason).toBe('reached');
    expect(r.hops.map((h) => h.address)).toEqual([addr(f, 201, 2), addr(f, 202, 2), addr(f, 203, 2), addr(f, 204, 2)]);
    expect(r.hops.map((h) => h.kind)).toEqual(['time-exceeded', 'time-exceeded', 'time-exceeded', 'port-unreachable']);
    for (const h of r.hops) {
      expect(h.rttsMs).toHaveLength(3);
      for (const ms of h.rttsMs) expect(ms).toBeGreaterThan(0);
      for (const ms of h.rttsMs) expect(ms).toBeLessThan(1000);
    }
    expect([r.sent, r.answered, r.hopsProbed]).toEqual([12, 12, 4]);
    const hops = resolvePathHops(r.hops, chainTestbed());
    expect(pathNames(hops)).toEqual(['r1', 'r2', 'r3', 'target']);
    expect(viaSite(hops, 'old')).toBe(true);
    expect(viaSite(hops, 'new')).toBe(false);
  });
}

test('rerouted at r1 through r4: the other hop list in both families, no longer via the old site', async () => {
  await route('r1', 'replace', 204, 205, 2);
  try {
    for (const f of families) {
      const r = await trace(addr(f, 204, 2));
      expect(r.failure, r.stderr).toBeUndefined();
      expect(r.reached).toBe(true);
      // Linux answers an IPv4 probe from the interface its route back leaves by (r3: towards r2, that route did
      // not move), an IPv6 probe from the interface the probe came in by (r3: from r4). Both name r3.
      const r3 = f === 'ipv4' ? addr(f, 203, 2) : addr(f, 206, 2);
      expect(r.hops.map((h) => h.address)).toEqual([addr(f, 201, 2), addr(f, 205, 2), r3, addr(f, 204, 2)]);
      const hops = resolvePathHops(r.hops, chainTestbed());
      expect(pathNames(hops)).toEqual(['r1', 'r4', 'r3', 'target']);
      expect(viaSite(hops, 'old')).toBe(false);
      expect(viaSite(hops, 'new')).toBe(true);
    }
  } finally {
    await route('r1', 'replace', 204, 202, 2);
  }
});

for (const f of families) {
  test(`${f}: a black-holed target stops at max hops, hops × probes packets, within its bound`, async () => {
    const t0 = performance.now();
    const o = { maxHops: 6, probesPerHop: 2, probeTimeoutMs: 300, deadlineMs: 5000 };
    const r = await trace(addr(f, BLACKHOLE, 9), o);
    const wallMs = performance.now() - t0;
    expect(r.failure, r.stderr).toBeUndefined();
    expect(r.reached).toBe(false);
    expect(r.reason).toBe('max-hops');
    expect(r.hopsProbed).toBe(6);
    expect(r.sent).toBe(12);
    expect(pathNames(resolvePathHops(r.hops, chainTestbed()))).toEqual(['r1', 'r2', '*', '*', '*', '*']);
    expect(r.hops.slice(2).every((h) => h.kind === 'none' && h.address === undefined)).toBe(true);
    // Four silent TTLs wait their whole timeout each; nothing waits longer.
    expect(r.elapsedMs).toBeGreaterThanOrEqual(4 * 300);
    expect(r.elapsedMs).toBeLessThan(6 * 300 + 200);
    expect(wallMs).toBeLessThan(6 * 300 + 3000);
  });
}

test('the hard deadline ends a trace that max hops would let run on', async () => {
  const t0 = performance.now();
  const r = await trace(v4(BLACKHOLE, 9), { maxHops: 16, probesPerHop: 3, probeTimeoutMs: 300, deadlineMs: 1000 });
  const wallMs = performance.now() - t0;
  expect(r.failure, r.stderr).toBeUndefined();
  expect(r.reason).toBe('deadline');
  expect(r.reached).toBe(false);
  expect(r.elapsedMs).toBeLessThan(1000 + 50);
  expect(r.hopsProbed).toBeLessThan(16);
  expect(r.sent).toBe(r.hopsProbed * 3);
  expect(wallMs).toBeLessThan(1000 + 3000);
});

test('an abort stops the helper at once and the result is no evidence', async () => {
  const ac = new AbortController();
  const t0 = performance.now();
  setTimeout(() => ac.abort(), 500);
  const r = await trace(v4(BLACKHOLE, 9), { maxHops: 30, probeTimeoutMs: 1000, deadlineMs: 30_000, signal: ac.signal });
  expect(performance.now() - t0).toBeLessThan(3000);
  expect(r.failure).toContain('aborted');
  expect(r.reached).toBe(false);
});
