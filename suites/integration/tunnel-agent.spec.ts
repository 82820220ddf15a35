/* eslint-disable no-restricted-imports -- src/index.ts (the package entry) does not re-export these yet */
/**
 * The tunnel strategy's communication agent against the real kernel, in own namespaces
 * (`vmmitn-<pid>-*`, 198.18.252.0/24 and 2001:2:0:252::/64):
 *
 *   cl ── rl ─────────── b ── vm       cl: client prober, vm: UDP reflector ("the VM", now at site B)
 *         │ wan (relay, 5 ms each way)
 *         a                            a: the VM's home site (anchor TOR)
 *
 * Direct path first (rl routes the VM's subnet to b). Then the home site keeps attracting the VM's
 * address (rl: /32 and /128 via a), agent A captures them into its tun and sends them over the WAN
 * back through rl to agent B, which decapsulates; the kernel delivers to vm and replies return
 * directly. The forward path crosses the WAN twice: expected roundabout cost 2 × 5 ms + agent time.
 * RTTs are printed (not asserted); the agents' counters prove the path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { runChecked, runLocal } from '../../src/exec/local.js';
import { netnsRunner } from '../../src/exec/netns.js';
import { FLAG_KEEPALIVE, encodeDatagram, flowIdOf, portOf, tunIfName } from '../../src/tunnel/header.js';
import { createLabTunnelDriver } from '../../src/tunnel/lab-driver.js';
import { deliveryTable } from '../../src/tunnel/agent.js';

const P = `vmmitn-${process.pid}-`;
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
  dir = await mkdtemp(join(tmpdir(), 'vmmitn-'));
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
  const start = { tunnel: TUNNEL, role: 'decap' as const };
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
