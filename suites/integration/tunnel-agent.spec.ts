/* eslint-disable no-restricted-imports -- src/index.ts (the package entry) does not re-export these yet */
/**
 * The tunnel strategy's communication agent against the real kernel, in own namespaces
 * (`vtc-tn-<pid>-*`, 198.18.252.0/24 and 2001:2:0:252::/64):
 *
 *   cl ── rl ─────────── b ── vm       cl: client prober, vm: UDP reflector ("the VM", now at site B)
 *         │ wan (relay, 5 ms each way)
 *         a                            a: the VM's home site (anchor TOR)
 *
 * Direct path first (rl routes the VM's subnet to b). Then the home site keeps attracting the VM's
 * address (rl: /32 and /128 via a), agent A captures them into its tun and sends them over the WAN
 * back through rl to agent B, which decapsulates; the kernel delivers to vm and replies return
 * directly. The forward path crosses the WAN twice: expected roundabout cost 2 × 5 ms + agent time.
 * RTTs are printed (not asserted); the agents' counters prove the path. The roundabout test runs the
 * udp encapsulation (its flow filter is checked with TS-encoded datagrams); every encapsulation (ipip,
 * gre, udp) then carries both inner families over both outer families, and packets from a wrong peer
 * or with GRE fields a receiver must refuse are injected on raw sockets (python3) and counted as drops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { runChecked, runLocal } from '../../src/exec/local.js';
import { netnsRunner } from '../../src/exec/netns.js';
import {
  FLAG_KEEPALIVE, GRE_PROTO_IPV4, encodeDatagram, encodeGre, flowIdOf, internetChecksum, outerProtocol, portOf,
  tunIfName,
} from '../../src/tunnel/header.js';
import type { TunnelEncapsulation } from '../../src/model/testbed.js';
import { createLabTunnelDriver } from '../../src/tunnel/lab-driver.js';
import { deliveryTable, removeDelivery } from '../../src/tunnel/agent.js';

const P = `vtc-tn-${process.pid}-`;
const NS = ['cl', 'a', 'rl', 'b', 'vm', 'wan'] as const;
const WAN_DELAY_US = 5000;
const TUNNEL = 'vmmi-vm1-tn';
const VM4 = '198.18.252.100';
const VM6 = '2001:2:0:252:4::100';
const PORT = 7007;
let dir = '';
let reflector: ChildProcess | undefined;
let relay: ChildProcess | undefined;

const ns = (n: string, ...argv: string[]): Promise<unknown> =>
  runChecked(['ip', 'netns', 'exec', P + n, ...argv], { timeoutMs: 10_000 });

async function link(
  x: string,
  xi: string,
  y: string,
  yi: string,
  x4: string,
  y4: string,
  x6: string,
  y6: string,
): Promise<void> {
  await runChecked(['ip', 'link', 'add', xi, 'netns', P + x, 'type', 'veth', 'peer', 'name', yi, 'netns', P + y]);
  for (const [n, i, a4, a6] of [
    [x, xi, x4, x6],
    [y, yi, y4, y6],
  ] as const) {
    await ns(n, 'ip', 'addr', 'add', a4, 'dev', i);
    await ns(n, 'ip', '-6', 'addr', 'add', a6, 'dev', i, 'nodad');
    await ns(n, 'ip', 'link', 'set', 'dev', i, 'up');
  }
}

/** UDP RTT prober in the client namespace (node dgram, bounded: count × interval + 400 ms drain). */
const PROBER = `const [, t, p, n, iv] = process.argv; const s = require('node:dgram').createSocket(t.includes(':') ? 'udp6' : 'udp4');
const sent = new Map(); const rtts = []; let i = 0;
s.on('message', (m) => { const q = m.readUInt32BE(0); const t0 = sent.get(q); if (t0 !== undefined) { rtts.push(Number(process.hrtime.bigint() - t0) / 1e6); sent.delete(q); } });
const tick = setInterval(() => { if (i >= +n) { clearInterval(tick); setTimeout(() => { console.log(JSON.stringify({ sent: i, rtts })); s.close(); }, 400); return; }
  const b = Buffer.alloc(32); b.writeUInt32BE(i, 0); sent.set(i, process.hrtime.bigint()); s.send(b, +p, t); i++; }, +iv);`;

async function probe(target: string, count = 200, intervalMs = 2): Promise<{ sent: number; rtts: number[] }> {
  const r = await runChecked(['ip', 'netns', 'exec', `${P}cl`, 'timeout', '20', process.execPath, '-e', PROBER, '--',
    target, String(PORT), String(count), String(intervalMs)], { timeoutMs: 25_000 });
  return JSON.parse(r.stdout.trim()) as { sent: number; rtts: number[] };
}

/** q-quantile (nearest rank) of the RTTs in ms. */
const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const fmt = (xs: readonly number[]): string =>
  `p10 ${quantile(xs, 0.1).toFixed(3)} / median ${quantile(xs, 0.5).toFixed(3)} ms`;

/** Sends raw datagrams to agent B from agent A's exact address and port (SO_REUSEADDR, as the agent). */
async function injectFromA(hexes: readonly string[]): Promise<void> {
  const code = `const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });
s.bind(${portOf(TUNNEL)}, '198.18.252.6', () => { let k = 0; for (const h of process.argv.slice(1)) s.send(Buffer.from(h, 'hex'), ${portOf(TUNNEL)}, '198.18.252.10', () => { if (++k === process.argv.length - 1) s.close(); }); });`;
  await runChecked(['ip', 'netns', 'exec', `${P}a`, 'timeout', '10', process.execPath, '-e', code, '--', ...hexes], {
    timeoutMs: 15_000,
  });
}

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vtc-tn-'));
  await Promise.all(
    ['tunagent', 'udprefl', 'wanrelay'].map((b) =>
      runChecked(
        ['gcc', '-O2', '-static', '-o', join(dir, b), new URL(`../../lab-assets/${b}.c`, import.meta.url).pathname],
        { timeoutMs: 60_000 },
      ),
    ),
  );
  for (const n of NS) {
    await runChecked(['ip', 'netns', 'add', P + n]);
    await ns(n, 'ip', 'link', 'set', 'dev', 'lo', 'up');
    await ns(n, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
  }
  await link(
    'cl',
    'eth0',
    'rl',
    'to-cl',
    '198.18.252.1/30',
    '198.18.252.2/30',
    '2001:2:0:252:1::1/80',
    '2001:2:0:252:1::2/80',
  );
  await link(
    'rl',
    'to-b',
    'b',
    'to-rl',
    '198.18.252.9/30',
    '198.18.252.10/30',
    '2001:2:0:252:3::1/80',
    '2001:2:0:252:3::2/80',
  );
  await link('b', 'to-vm', 'vm', 'eth0', '198.18.252.97/27', `${VM4}/27`, '2001:2:0:252:4::1/80', `${VM6}/80`);
  // rl ↔ a through the relay: two veth pairs bridged by wanrelay in `wan` (offloads off, see the lab guide)
  for (const [n, i, w, a4, a6] of [['rl', 'to-wan', 'wanA', '198.18.252.5/30', '2001:2:0:252:2::1/80'],
    ['a', 'to-wan', 'wanB', '198.18.252.6/30', '2001:2:0:252:2::2/80']] as const) {
    await runChecked(['ip', 'link', 'add', i, 'netns', P + n, 'type', 'veth', 'peer', 'name', w, 'netns', `${P}wan`]);
    await ns(n, 'ip', 'addr', 'add', a4, 'dev', i);
    await ns(n, 'ip', '-6', 'addr', 'add', a6, 'dev', i, 'nodad');
    for (const [m, d] of [[n, i], ['wan', w]] as const) {
      await ns(m, 'ip', 'link', 'set', 'dev', d, 'up');
      await ns(m, 'ethtool', '-K', d, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off');
    }
  }
  relay = spawn(
    'ip',
    [
      'netns',
      'exec',
      `${P}wan`,
      join(dir, 'wanrelay'),
      'wanA',
      'wanB',
      '-d',
      String(WAN_DELAY_US),
      '-q',
      '1024',
      '-t',
      '90',
    ],
    { stdio: 'ignore' },
  );
  const dflt = (n: string, v4: string, v6: string): Promise<unknown[]> =>
    Promise.all([
      ns(n, 'ip', 'route', 'add', 'default', 'via', v4),
      ns(n, 'ip', '-6', 'route', 'add', 'default', 'via', v6),
    ]);
  await dflt('cl', '198.18.252.2', '2001:2:0:252:1::2');
  await dflt('a', '198.18.252.5', '2001:2:0:252:2::1');
  await dflt('b', '198.18.252.9', '2001:2:0:252:3::1');
  await dflt('vm', '198.18.252.97', '2001:2:0:252:4::1');
  await ns('rl', 'ip', 'route', 'add', '198.18.252.96/27', 'via', '198.18.252.10');
  await ns('rl', 'ip', '-6', 'route', 'add', '2001:2:0:252:4::/80', 'via', '2001:2:0:252:3::2');
  reflector = spawn('ip', ['netns', 'exec', `${P}vm`, 'timeout', '90', join(dir, 'udprefl'), String(PORT), '0'], {
    stdio: 'ignore',
  });
});

test.afterAll(async () => {
  for (const c of [reflector, relay]) if (c?.exitCode === null) c.kill('SIGTERM');
  for (const n of NS) await runLocal(['ip', 'netns', 'del', P + n]);
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

test('client → agent A ⇒ agent B → reflector and back, IPv4 and IPv6; roundabout cost measured', async () => {
  await Promise.all([probe(VM4, 10), probe(VM6, 10)]); // warm-up: neighbour resolution off the books
  const direct4 = await probe(VM4);
  const direct6 = await probe(VM6);
  expect(direct4.rtts.length).toBeGreaterThan(190); // baseline must work before the tunnel is judged
  expect(direct6.rtts.length).toBeGreaterThan(190);

  const drv = createLabTunnelDriver({
    nsOf: (d) => P + d,
    runnerOf: (d) => netnsRunner(P + d),
    maxLifetimeMs: 60_000,
    binary: join(dir, 'tunagent'),
    interfaceOf: (_d, dev) => dev.port,
  });
  const start = { tunnel: TUNNEL, role: 'decap' as const, encapsulation: 'udp' as const };
  try {
    await drv.apply(
      { op: 'tunnel-start', device: 'b', ...start, local: '198.18.252.10', remote: '198.18.252.6' },
      { timeoutMs: 5000 },
    );
    await drv.apply(
      { op: 'tunnel-start', device: 'a', ...start, role: 'encap', local: '198.18.252.6', remote: '198.18.252.10' },
      { timeoutMs: 5000 },
    );
    await drv.apply(
      { op: 'tunnel-start', device: 'a', ...start, role: 'encap', local: '198.18.252.6', remote: '198.18.252.10' },
      { timeoutMs: 5000 },
    ); // idempotent
    expect(drv.agents.size).toBe(2);
    for (const [prefix, family] of [
      [`${VM4}/32`, 4],
      [`${VM6}/128`, 6],
    ] as const) {
      await drv.apply(
        { op: 'add-host-route', device: 'a', prefix, family, dev: { tunnel: TUNNEL } },
        { timeoutMs: 5000 },
      );
    }
    // B's delivery of what leaves the tunnel: a policy table only the tun's packets look up
    for (const [prefix, family] of [
      [`${VM4}/32`, 4],
      [`${VM6}/128`, 6],
    ] as const) {
      await drv.apply(
        { op: 'add-host-route', device: 'b', prefix, family, dev: { port: 'to-vm', fromTunnel: TUNNEL } },
        { timeoutMs: 5000 },
      );
    }
    const table = String(deliveryTable(tunIfName(TUNNEL)));
    expect((await runChecked(['ip', 'netns', 'exec', `${P}b`, 'ip', 'rule', 'show'])).stdout).toContain(
      `iif ${tunIfName(TUNNEL)} lookup ${table}`,
    );
    expect(
      (await runChecked(['ip', 'netns', 'exec', `${P}b`, 'ip', '-6', 'route', 'show', 'table', table])).stdout,
    ).toContain(`${VM6} dev to-vm`);
    expect((await runChecked(['ip', 'netns', 'exec', `${P}b`, 'ip', 'route', 'show', `${VM4}/32`])).stdout.trim()).toBe(
      '',
    ); // main untouched
    // the home site keeps attracting the VM's address (what its routing still announces)
    await ns('rl', 'ip', 'route', 'add', `${VM4}/32`, 'via', '198.18.252.6');
    await ns('rl', 'ip', '-6', 'route', 'add', `${VM6}/128`, 'via', '2001:2:0:252:2::2');
    await Promise.all([probe(VM4, 10), probe(VM6, 10)]);
    const tun4 = await probe(VM4);
    const tun6 = await probe(VM6);
    const a = await drv.agents.get(`a/${TUNNEL}`)!.counters({ timeoutMs: 2000 });
    const b = await drv.agents.get(`b/${TUNNEL}`)!.counters({ timeoutMs: 2000 });
    expect(tun4.rtts.length).toBeGreaterThan(190);
    expect(tun6.rtts.length).toBeGreaterThan(190);
    // every answered probe crossed the tunnel: captured at A, decapsulated at B, per family
    expect(a.values.v4_out).toBeGreaterThanOrEqual(tun4.rtts.length);
    expect(a.values.v6_out).toBeGreaterThanOrEqual(tun6.rtts.length);
    expect(b.values.v4_in).toBeGreaterThanOrEqual(tun4.rtts.length);
    expect(b.values.v6_in).toBeGreaterThanOrEqual(tun6.rtts.length);
    expect(b.values.seq_gap).toBe(0);
    expect(a.values.v4_in).toBe(0); // replies return directly, not through the tunnel

    // TS-encoded datagrams against the C decoder: foreign magic, other flow, non-IP inner, keepalive
    const flow = flowIdOf(TUNNEL);
    const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');
    const badMagic = encodeDatagram({ flowId: flow, seq: 1_000_000 }, new Uint8Array(20).fill(0x45));
    badMagic[0] = 0x51;
    await injectFromA([
      hex(badMagic),
      hex(encodeDatagram({ flowId: flow + 1, seq: 1_000_000 }, new Uint8Array(20).fill(0x45))),
      hex(encodeDatagram({ flowId: flow, seq: 1_000_000 }, new Uint8Array(20).fill(0x15))),
      hex(encodeDatagram({ flowId: flow, seq: 1_000_001, flags: FLAG_KEEPALIVE }, new Uint8Array())),
    ]);
    await expect
      .poll(async () => (await drv.agents.get(`b/${TUNNEL}`)!.counters({ timeoutMs: 2000 })).values, { timeout: 3000 })
      .toMatchObject({ drop_magic: 1, drop_flow: 1, drop_inner: 1, keepalive: 1, v4_in: b.values.v4_in });

    const cost = (d: readonly number[], t: readonly number[]): string =>
      (quantile(t, 0.5) - quantile(d, 0.5)).toFixed(3);
    // stopping B's agent takes its delivery table and rules with it
    await drv.apply(
      { op: 'tunnel-stop', device: 'b', tunnel: TUNNEL, role: 'decap', local: '198.18.252.10', remote: '198.18.252.6' },
      { timeoutMs: 5000 },
    );
    expect((await runChecked(['ip', 'netns', 'exec', `${P}b`, 'ip', 'rule', 'show'])).stdout).not.toContain(
      `lookup ${table}`,
    );
    expect(
      (await runChecked(['ip', 'netns', 'exec', `${P}b`, 'ip', 'route', 'show', 'table', table])).stdout.trim(),
    ).toBe('');
    console.log(
      `expected roundabout: 2 × ${WAN_DELAY_US / 1000} ms WAN = ${(2 * WAN_DELAY_US) / 1000} ms + agent time`,
    );
    console.log(
      `tunnel roundabout (${tun4.rtts.length}+${tun6.rtts.length} probes @500 pps): IPv4 direct ${fmt(direct4.rtts)}, ` +
        `tunnel ${fmt(tun4.rtts)}, median cost ${cost(direct4.rtts, tun4.rtts)} ms; IPv6 direct ${fmt(direct6.rtts)}, ` +
        `tunnel ${fmt(tun6.rtts)}, median cost ${cost(direct6.rtts, tun6.rtts)} ms`,
    );
  } finally {
    const final = await drv.stopAll({ timeoutMs: 3000 });
    expect(final[`a/${TUNNEL}`]?.why).toBe('stopped');
  }
  // the tun device and the capture routes through it are gone with the agent: no residue
  const l = await runLocal(['ip', 'netns', 'exec', `${P}a`, 'ip', 'link', 'show', 'dev', tunIfName(TUNNEL)]);
  expect(l.failed).toBe(true);
  const r = await runChecked(['ip', 'netns', 'exec', `${P}a`, 'ip', 'route', 'show', `${VM4}/32`]);
  expect(r.stdout.trim()).toBe('');
  await ns('rl', 'ip', 'route', 'del', `${VM4}/32`);
  await ns('rl', 'ip', '-6', 'route', 'del', `${VM6}/128`);
  expect((await probe(VM4, 50)).rtts.length).toBeGreaterThan(45); // direct path again
  // stopping again (rollback replaying an inverse) is a no-op
  await drv.apply(
    { op: 'tunnel-stop', device: 'a', tunnel: TUNNEL, role: 'encap', local: '198.18.252.6', remote: '198.18.252.10' },
    { timeoutMs: 2000 },
  );
});

test('an agent that cannot start reports why, and leaves nothing behind', async () => {
  const drv = createLabTunnelDriver({
    nsOf: (d) => P + d,
    runnerOf: (d) => netnsRunner(P + d),
    maxLifetimeMs: 5000,
    binary: join(dir, 'tunagent'),
    interfaceOf: (_d, dev) => dev.port,
  });
  await expect(
    drv.apply(
      {
        op: 'tunnel-start',
        device: 'a',
        tunnel: TUNNEL,
        role: 'encap',
        local: '198.18.252.200',
        remote: '198.18.252.10',
      },
      { timeoutMs: 5000 },
    ),
  ).rejects.toThrow(/bind local address/);
  expect(drv.agents.size).toBe(0);
  const l = await runLocal(['ip', 'netns', 'exec', `${P}a`, 'ip', 'link', 'show', 'dev', tunIfName(TUNNEL)]);
  expect(l.failed).toBe(true);
});

/** Outer endpoints of agents A and B per outer family (A's WAN side, B's side toward rl). */
const OUTER = {
  4: { a: '198.18.252.6', b: '198.18.252.10', rl: '198.18.252.9' },
  6: { a: '2001:2:0:252:2::2', b: '2001:2:0:252:3::2', rl: '2001:2:0:252:3::1' },
} as const;

/** Sends each hex payload on a raw socket of `proto` from namespace `n` to `dst` (the kernel writes the IP header). */
async function rawSend(n: string, proto: number, dst: string, hexes: readonly string[]): Promise<void> {
  const code = 'import socket, sys\n' +
    'fam = socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET\n' +
    's = socket.socket(fam, socket.SOCK_RAW, int(sys.argv[1]))\n' +
    'for h in sys.argv[3:]:\n    s.sendto(bytes.fromhex(h), (sys.argv[2], 0))\n';
  await runChecked(['ip', 'netns', 'exec', P + n, 'timeout', '10', '/usr/bin/python3', '-c', code, String(proto), dst,
    ...hexes], { timeoutMs: 15_000 });
}

/** An IPv4/UDP packet from the client to the VM's reflector (valid header checksum; UDP checksum 0). */
function innerUdp4(seq: number): Uint8Array {
  const payload = 32;
  const p = new Uint8Array(20 + 8 + payload);
  const dv = new DataView(p.buffer);
  dv.setUint8(0, 0x45);
  dv.setUint16(2, p.length);
  dv.setUint16(4, seq & 0xffff);
  dv.setUint8(8, 64);
  dv.setUint8(9, 17);
  p.set([198, 18, 252, 1], 12);
  p.set(VM4.split('.').map(Number), 16);
  dv.setUint16(10, internetChecksum(p.subarray(0, 20)));
  dv.setUint16(20, 40000);
  dv.setUint16(22, PORT);
  dv.setUint16(24, 8 + payload);
  dv.setUint32(28, 0xfff00000 + seq);
  return p;
}

const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');

for (const encapsulation of ['ipip', 'gre', 'udp'] as const satisfies readonly TunnelEncapsulation[]) {
  for (const outer of [4, 6] as const) {
    test(`${encapsulation} over IPv${outer}: IPv4 and IPv6 inner traffic crosses; a wrong peer's packets are dropped`, async () => {
      const o = OUTER[outer];
      const drv = createLabTunnelDriver({
        nsOf: (d) => P + d,
        runnerOf: (d) => netnsRunner(P + d),
        maxLifetimeMs: 60_000,
        binary: join(dir, 'tunagent'),
        interfaceOf: (_d, dev) => dev.port,
      });
      const op = { tunnel: TUNNEL, encapsulation };
      const rlRoutes: string[][] = [['route', 'replace', `${VM4}/32`, 'via', OUTER[4].a],
        ['-6', 'route', 'replace', `${VM6}/128`, 'via', OUTER[6].a]];
      try {
        await drv.apply({ op: 'tunnel-start', device: 'b', ...op, role: 'decap', local: o.b, remote: o.a }, { timeoutMs: 5000 });
        await drv.apply({ op: 'tunnel-start', device: 'a', ...op, role: 'encap', local: o.a, remote: o.b }, { timeoutMs: 5000 });
        for (const [prefix, family] of [[`${VM4}/32`, 4], [`${VM6}/128`, 6]] as const) {
          await drv.apply({ op: 'add-host-route', device: 'a', prefix, family, dev: { tunnel: TUNNEL } }, { timeoutMs: 5000 });
          await drv.apply({ op: 'add-host-route', device: 'b', prefix, family, dev: { port: 'to-vm', fromTunnel: TUNNEL } },
            { timeoutMs: 5000 });
        }
        for (const r of rlRoutes) await ns('rl', 'ip', ...r);
        await Promise.all([probe(VM4, 5), probe(VM6, 5)]); // neighbour resolution off the books
        const agentA = drv.agents.get(`a/${TUNNEL}`)!;
        const agentB = drv.agents.get(`b/${TUNNEL}`)!;
        const a0 = (await agentA.counters({ timeoutMs: 2000 })).values;
        const b0 = (await agentB.counters({ timeoutMs: 2000 })).values;
        const t4 = await probe(VM4, 100);
        const t6 = await probe(VM6, 100);
        const a1 = await agentA.counters({ timeoutMs: 2000 });
        const b1 = await agentB.counters({ timeoutMs: 2000 });
        expect(a1.encap).toBe(encapsulation);
        expect(t4.rtts.length, 'IPv4 probes answered through the tunnel').toBeGreaterThan(95);
        expect(t6.rtts.length, 'IPv6 probes answered through the tunnel').toBeGreaterThan(95);
        const d = (x: Readonly<Record<string, number>>, y: Readonly<Record<string, number>>, k: string): number =>
          (x[k] ?? 0) - (y[k] ?? 0);
        expect(d(a1.values, a0, 'v4_out')).toBeGreaterThanOrEqual(t4.rtts.length);
        expect(d(a1.values, a0, 'v6_out')).toBeGreaterThanOrEqual(t6.rtts.length);
        expect(d(b1.values, b0, 'v4_in')).toBeGreaterThanOrEqual(t4.rtts.length);
        expect(d(b1.values, b0, 'v6_in')).toBeGreaterThanOrEqual(t6.rtts.length);
        // sent and received in this encapsulation only
        for (const e of ['ipip', 'gre', 'udp'] as const) {
          const sent = a1.values[`tx_${e}`] ?? 0;
          const got = b1.values[`rx_${e}`] ?? 0;
          if (e === encapsulation) {
            expect(sent, `tx_${e}`).toBeGreaterThanOrEqual(t4.rtts.length + t6.rtts.length);
            expect(got, `rx_${e}`).toBeGreaterThanOrEqual(t4.rtts.length + t6.rtts.length);
          } else {
            expect([sent, got], `tx_${e}, rx_${e}`).toEqual([0, 0]);
          }
        }
        expect(b1.values.drop_peer).toBe(0);
        expect(a1.values.v4_in).toBe(0); // replies return directly

        // Packets of this encapsulation from rl (not the configured peer) to B's outer address: dropped as drop_peer.
        const inner = innerUdp4(1);
        if (encapsulation === 'udp') {
          const code = `const s = require('node:dgram').createSocket('udp${outer}');
s.bind(${portOf(TUNNEL)}, '${o.rl}', () => s.send(Buffer.from(process.argv[1], 'hex'), ${portOf(TUNNEL)}, '${o.b}', () => s.close()));`;
          await runChecked(['ip', 'netns', 'exec', `${P}rl`, 'timeout', '10', process.execPath, '-e', code, '--',
            hex(encodeDatagram({ flowId: flowIdOf(TUNNEL), seq: 1 << 30 }, inner))], { timeoutMs: 15_000 });
        } else {
          await rawSend('rl', outerProtocol(encapsulation, 4), o.b, [hex(encapsulation === 'gre' ? encodeGre(inner) : inner)]);
        }
        await expect.poll(async () => (await agentB.counters({ timeoutMs: 2000 })).values.drop_peer, { timeout: 3000 })
          .toBe(1);
        const b2 = (await agentB.counters({ timeoutMs: 2000 })).values;
        expect(b2.v4_in, 'nothing from the wrong peer was delivered').toBe(b1.values.v4_in);

        if (encapsulation !== 'udp') {
          // From the right peer (A's namespace, A's address): what a receiver must refuse, by reason, then one
          // valid packet with the optional fields a keyless receiver skips.
          const valid = encapsulation === 'gre' ? encodeGre(innerUdp4(2), { checksum: true, seq: 9 }) : innerUdp4(2);
          const badCsum = encodeGre(innerUdp4(3), { checksum: true });
          badCsum[badCsum.length - 1] = (badCsum[badCsum.length - 1] ?? 0) ^ 0xff;
          const refused: readonly [string, Uint8Array][] = encapsulation === 'gre'
            ? [['drop_gre_key', encodeGre(innerUdp4(4), { key: flowIdOf(TUNNEL) })],
              ['drop_gre_flags', encodeGre(innerUdp4(5), { extraFlags: 1 })],
              ['drop_gre_csum', badCsum],
              ['drop_gre_proto', encodeGre(innerUdp4(6), { protocolType: 0x6558 })],
              ['drop_inner', encodeGre(new Uint8Array(40).fill(0x60), { protocolType: GRE_PROTO_IPV4 })]]
            : [['drop_inner', new Uint8Array(40).fill(0x60)]]; // an IPv6-looking packet under protocol 4
          await rawSend('a', outerProtocol(encapsulation, 4), o.b, [...refused.map(([, b]) => hex(b)), hex(valid)]);
          const want = Object.fromEntries(refused.map(([k]) => [k, (b2[k] ?? 0) + 1]));
          await expect.poll(async () => (await agentB.counters({ timeoutMs: 2000 })).values, { timeout: 3000 })
            .toMatchObject({ ...want, drop_peer: 1 });
          // The valid packet is delivered. v4_in may count one more: the VM's reply to the inner source reaches
          // the client namespace, which has no socket there and answers with ICMP port unreachable toward the
          // VM, through the tunnel (seen in CI: +2). That is the client's kernel, not the agent.
          const b3 = (await agentB.counters({ timeoutMs: 2000 })).values;
          expect(d(b3, b2, 'v4_in'), 'the valid packet was delivered').toBeGreaterThanOrEqual(1);
          expect(d(b3, b2, 'v4_in'), 'nothing but it and the client\'s ICMP answer').toBeLessThanOrEqual(2);
        }
      } finally {
        for (const r of rlRoutes)
          await runLocal(['ip', 'netns', 'exec', `${P}rl`, 'ip', ...r.map((x) => (x === 'replace' ? 'del' : x))]);
        const final = await drv.stopAll({ timeoutMs: 3000 });
        await removeDelivery(netnsRunner(`${P}b`), tunIfName(TUNNEL), { timeoutMs: 5000 });
        expect(final[`b/${TUNNEL}`]?.why).toBe('stopped');
      }
    });
  }
}
