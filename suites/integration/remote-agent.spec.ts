/**
 * vmmi's agents on a host reached only over SSH, against a real OpenSSH sshd on 127.0.0.1 (the
 * "remote" host is this machine, entered through sshd exactly as a lab host would be): the bundle is
 * uploaded into a per-run directory that close() removes; the UDP probe and the TCP session probe run
 * at an ssh placement against a reflector on 127.0.0.1; the path delay through the `echo` subcommand;
 * a host whose login PATH has no `node` fails the precheck naming the host; a server without SFTP gets
 * the bundle over exec; tunnel endpoints started over SSH inside two namespaces this spec creates
 * (`vmmirt-<pid>-a|b`, 198.18.253.0/24) carry pings, and leave no tun device, rule or directory behind.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { startPrivateSshd, startSshdWithoutNode, type PrivateSshd } from '../../test/helpers/private-sshd.js';
/* eslint-disable no-restricted-imports -- internals checked directly, outside the public API (src/index.ts) */
import { runChecked, runLocal } from '../../src/exec/local.js';
import { Secret } from '../../src/model/secret.js';
import type { TrafficHost } from '../../src/model/testbed.js';
import { openRemoteHost } from '../../src/probes/remote/ssh-host.js';
import { remoteAgentBundle } from '../../src/probes/remote/remote-bundle.js';
import { runTcpSessionAt } from '../../src/probes/tcp-session/run.js';
import { startReflector } from '../../src/probes/udp/reflector.js';
import { placementFor, runUdpProbe, startUdpProbe } from '../../src/probes/udp/run.js';
import type { SshTarget } from '../../src/transports/ssh.js';
import { tunIfName } from '../../src/tunnel/header.js';
import { deliveryTable } from '../../src/tunnel/agent.js';
import { createSshTunnelDriver } from '../../src/tunnel/ssh-driver.js';
/* eslint-enable no-restricted-imports */

test.describe.configure({ mode: 'serial' });

let sshd: PrivateSshd | undefined;
/** sshd without SFTP whose sessions' PATH holds the basic tools but no node. */
let bare: PrivateSshd | undefined;
const RUN = `rt${process.pid}`;

test.beforeAll(async () => {
  test.setTimeout(60_000);
  sshd = await startPrivateSshd({ sftp: true });
  bare = await startSshdWithoutNode(['mktemp', 'cp', 'chmod', 'rm', 'cat']);
});

test.afterAll(async () => {
  await sshd?.stop();
  await bare?.stop();
});

async function target(s: PrivateSshd | undefined, name: string): Promise<SshTarget> {
  if (s === undefined) throw new Error('sshd not started');
  const key = await readFile(s.clientKey.privateFile, 'utf8');
  return { name, host: '127.0.0.1', port: s.port, hostKey: { kind: 'fingerprint', sha256: s.hostKey.fingerprint },
    credentials: { username: 'root', privateKey: new Secret('${file:client_ed25519}', key) } };
}

const exists = async (path: string): Promise<boolean> => !(await runLocal(['test', '-e', path])).failed;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const trafficHost: TrafficHost = { name: 'h1', kind: 'ssh', address: '127.0.0.1', probeByDefault: true };

test('the bundle goes over SFTP into a private per-run directory; close() removes exactly it', async () => {
  const host = await openRemoteHost({ target: await target(sshd, 'h1'), runId: RUN, timeoutMs: 20_000 });
  try {
    expect(host.dir).toMatch(new RegExp(`^/tmp/vmmi-${RUN}\\.[A-Za-z0-9]{6,}$`));
    expect(host.nodeVersion).toBe(process.version);
    const st = await host.runner.run(['stat', '-c', '%a %U', host.dir, host.bundlePath], { timeoutMs: 5000 });
    expect(st.stdout.trim().split('\n')).toEqual(['700 root', '600 root']);
    // the same bytes as the local bundle, read independently of vmmi (sha256sum on the "remote" side)
    const local = sha256(await readFile(await remoteAgentBundle({ timeoutMs: 60_000 })));
    const remote = await host.runner.run(['sha256sum', host.bundlePath], { timeoutMs: 5000 });
    expect(remote.stdout.split(/\s+/)[0]).toBe(local);
    expect(await readFile(sshd!.logFile, 'utf8')).toMatch(/Starting session: subsystem 'sftp'/);
  } finally {
    await host.close();
  }
  expect(await exists(host.dir)).toBe(false);
  await host.close(); // idempotent, never throws
});

test('UDP probe at an ssh placement: samples with replies from a reflector on 127.0.0.1', async () => {
  const refl = await startReflector({ host: '127.0.0.1', udpPort: 0, lifetimeMs: 30_000 });
  const host = await openRemoteHost({ target: await target(sshd, 'h1'), runId: RUN, timeoutMs: 20_000 });
  try {
    const placement = placementFor(trafficHost, host);
    expect(placement).toMatchObject({ kind: 'ssh', host: '127.0.0.1' });
    const cfg = { flows: [{ id: 1, name: 'ssh-v4', target: '127.0.0.1', port: refl.udpPort, ratePps: 200,
      durationMs: 1500 }], drainMs: 300 };
    const res = await runUdpProbe(placement, cfg, { timeoutMs: 30_000 });
    expect(res.failure, res.stderr).toBeUndefined();
    expect(res.where).toBe('ssh:127.0.0.1');
    expect(res.clock).toBe('remote-monotonic:127.0.0.1');
    const samples = res.flows[0]?.samples ?? [];
    expect(samples.length).toBeGreaterThanOrEqual(250);
    const answered = samples.filter((s) => s.rxMs !== undefined);
    expect(answered.length).toBeGreaterThanOrEqual(samples.length * 0.95);
    expect(refl.stats.udpEchoed).toBeGreaterThanOrEqual(answered.length);
  } finally {
    await host.close();
    await refl.close();
  }
});

test('stop() of a probe over SSH ends the remote agent early; it still reports what it sent', async () => {
  const refl = await startReflector({ host: '127.0.0.1', udpPort: 0, lifetimeMs: 30_000 });
  const host = await openRemoteHost({ target: await target(sshd, 'h1'), runId: RUN, timeoutMs: 20_000,
    stopGraceMs: 3000 });
  try {
    const cfg = { flows: [{ id: 1, name: 'long', target: '127.0.0.1', port: refl.udpPort, ratePps: 100,
      durationMs: 20_000 }], drainMs: 200 };
    const h = startUdpProbe(placementFor(trafficHost, host), cfg, { timeoutMs: 40_000 });
    await h.started;
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    h.stop();
    const res = await h.done;
    expect(Date.now() - t0).toBeLessThan(3000); // the agent ended on EOF/TERM, before the channel was closed
    const sent = res.flows[0]?.samples.length ?? 0;
    expect(sent).toBeGreaterThan(20);
    expect(sent).toBeLessThan(1000); // far from the 2000 planned
    // no agent left on the host (this machine): nothing runs from the run directory any more
    await expect.poll(async () => (await runLocal(['pgrep', '-f', host.bundlePath])).stdout.trim(),
      { timeout: 3000 }).toBe('');
  } finally {
    await host.close();
    await refl.close();
  }
});

test('TCP session probe at an ssh placement survives against a TCP echo on 127.0.0.1', async () => {
  const refl = await startReflector({ host: '127.0.0.1', udpPort: 0, tcpPort: 0, lifetimeMs: 30_000 });
  const host = await openRemoteHost({ target: await target(sshd, 'h1'), runId: RUN, timeoutMs: 20_000 });
  try {
    const out = await runTcpSessionAt(placementFor(trafficHost, host),
      { host: '127.0.0.1', port: refl.tcpPort!, durationMs: 1000, intervalMs: 10 });
    if (!out.ok) throw new Error(out.failure);
    expect(out.where).toBe('ssh:127.0.0.1');
    expect(out.result).toMatchObject({ survived: true, everConnected: true, connects: 1, resets: 0 });
    expect(out.result.sent).toBeGreaterThan(50);
    expect(out.result.echoed).toBe(out.result.sent);
    expect(refl.stats.tcpConnections).toBe(1);
  } finally {
    await host.close();
    await refl.close();
  }
});

test('path delay: half the median echo round trip is finite and small on loopback', async () => {
  const host = await openRemoteHost({ target: await target(sshd, 'h1'), runId: RUN, timeoutMs: 20_000 });
  try {
    const d = await host.pathDelayMs({ timeoutMs: 10_000 });
    console.log(`path delay over SSH on loopback: ${d.toFixed(3)} ms`);
    expect(Number.isFinite(d)).toBe(true);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(50);
  } finally {
    await host.close();
  }
});

test('no node on the login PATH: PrecheckError naming the host and what to install; nothing left behind', async () => {
  const before = (await runLocal(['sh', '-c', `ls -d /tmp/vmmi-${RUN}.* 2>/dev/null | wc -l`])).stdout.trim();
  const err = await openRemoteHost({ target: await target(bare, 'nodeless-host'), runId: RUN, timeoutMs: 20_000 })
    .then(() => undefined, (e: unknown) => e as Error & { code?: string; hint?: string });
  expect(err?.code).toBe('PRECHECK');
  expect(err?.constructor.name).toBe('PrecheckError');
  expect(err?.message).toContain('nodeless-host');
  expect(err?.message).toContain('`node` not found');
  expect(err?.hint).toMatch(/install Node\.js 18 or newer on nodeless-host/);
  const after = (await runLocal(['sh', '-c', `ls -d /tmp/vmmi-${RUN}.* 2>/dev/null | wc -l`])).stdout.trim();
  expect(after).toBe(before);
});

test('a server without SFTP gets the bundle over exec; node given by path', async () => {
  const host = await openRemoteHost({ target: await target(bare, 'nosftp'), runId: RUN, timeoutMs: 20_000,
    node: process.execPath });
  try {
    // sshd refused the SFTP channel, so the bytes came through exec (cp /dev/stdin)
    expect(await readFile(bare!.logFile, 'utf8')).toMatch(/subsystem request for sftp.*failed/);
    expect(sha256(await readFile(host.bundlePath))).toBe(
      sha256(await readFile(await remoteAgentBundle({ timeoutMs: 60_000 }))));
    expect(await host.pathDelayMs({ timeoutMs: 10_000 })).toBeLessThan(50);
  } finally {
    await host.close();
  }
  expect(await exists(host.dir)).toBe(false);
});

test.describe('tunnel endpoints over SSH, in namespaces this spec creates', () => {
  const P = `vmmirt-${process.pid}-`;
  const VM = '198.18.253.100';
  const TUNNEL = 'vmmi-rt-tn';
  let build = '';

  test.beforeAll(async () => {
    build = await mkdtemp(join(tmpdir(), 'vmmi-rt-tun-'));
    await runChecked(['gcc', '-O2', '-static', '-o', join(build, 'tunagent'),
      new URL('../../lab-assets/tunagent.c', import.meta.url).pathname], { timeoutMs: 60_000 });
    for (const n of ['a', 'b']) {
      await runChecked(['ip', 'netns', 'add', P + n], { timeoutMs: 5000 });
      await runChecked(['ip', '-n', P + n, 'link', 'set', 'lo', 'up'], { timeoutMs: 5000 });
    }
    await runChecked(['ip', 'link', 'add', 'eth0', 'netns', `${P}a`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns',
      `${P}b`], { timeoutMs: 5000 });
    for (const [n, addr] of [['a', '198.18.253.1/30'], ['b', '198.18.253.2/30']] as const) {
      await runChecked(['ip', '-n', P + n, 'addr', 'add', addr, 'dev', 'eth0'], { timeoutMs: 5000 });
      await runChecked(['ip', '-n', P + n, 'link', 'set', 'eth0', 'up'], { timeoutMs: 5000 });
    }
    // "the VM" is an address of b; a reaches it only through the tunnel (no route otherwise)
    await runChecked(['ip', '-n', `${P}b`, 'addr', 'add', `${VM}/32`, 'dev', 'lo'], { timeoutMs: 5000 });
  });

  test.afterAll(async () => {
    for (const n of ['a', 'b']) await runLocal(['ip', 'netns', 'del', P + n], { timeoutMs: 5000 });
    if (build !== '') await rm(build, { recursive: true, force: true });
  });

  const ping = (count: number): Promise<{ failed: boolean; stdout: string }> =>
    runLocal(['ip', 'netns', 'exec', `${P}a`, 'ping', '-n', '-c', String(count), '-i', '0.2', '-W', '1', VM],
      { timeoutMs: 15_000 });

  test('start at a and b, capture at a, ping through; stop leaves no tun, rule or directory', async () => {
    expect((await ping(1)).failed).toBe(true); // no path before the tunnel
    const t = await target(sshd, 'unused');
    const drv = createSshTunnelDriver({
      targetOf: (device) => ({ ...t, name: device }), runId: RUN, maxLifetimeMs: 60_000,
      uploadBinary: join(build, 'tunagent'), commandPrefix: (device) => ['ip', 'netns', 'exec', P + device],
      interfaceOf: (_d, dev) => dev.port,
    });
    const io = { timeoutMs: 20_000 };
    const table = String(deliveryTable(tunIfName(TUNNEL)));
    try {
      const start = { op: 'tunnel-start', tunnel: TUNNEL } as const;
      await drv.apply({ ...start, device: 'b', role: 'decap', local: '198.18.253.2', remote: '198.18.253.1' }, io);
      await drv.apply({ ...start, device: 'a', role: 'encap', local: '198.18.253.1', remote: '198.18.253.2' }, io);
      await drv.apply({ ...start, device: 'a', role: 'encap', local: '198.18.253.1', remote: '198.18.253.2' }, io);
      expect(drv.agents.size).toBe(2); // the second start was a no-op
      await drv.apply({ op: 'add-host-route', device: 'a', prefix: `${VM}/32`, family: 4, dev: { tunnel: TUNNEL } }, io);
      await drv.apply({ op: 'add-host-route', device: 'b', prefix: `${VM}/32`, family: 4,
        dev: { port: 'lo', fromTunnel: TUNNEL } }, io);
      expect((await runChecked(['ip', '-n', `${P}b`, 'rule', 'show'])).stdout).toContain(
        `iif ${tunIfName(TUNNEL)} lookup ${table}`);
      const p = await ping(10);
      expect(p.failed, p.stdout).toBe(false);
      const replies = Number(/(\d+) received/.exec(p.stdout)?.[1] ?? 0);
      expect(replies).toBeGreaterThanOrEqual(9);
      const c = await drv.counters({ timeoutMs: 3000 });
      expect(c[`a/${TUNNEL}`]?.values.v4_out).toBeGreaterThanOrEqual(replies);
      expect(c[`b/${TUNNEL}`]?.values.v4_in).toBeGreaterThanOrEqual(replies);
      expect(c[`b/${TUNNEL}`]?.values.seq_gap).toBe(0);
      await drv.apply({ op: 'tunnel-stop', device: 'b', tunnel: TUNNEL, role: 'decap', local: '198.18.253.2',
        remote: '198.18.253.1' }, io);
      expect((await runChecked(['ip', '-n', `${P}b`, 'rule', 'show'])).stdout).not.toContain(`lookup ${table}`);
      expect((await runLocal(['ip', '-n', `${P}b`, 'link', 'show', 'dev', tunIfName(TUNNEL)])).failed).toBe(true);
    } finally {
      const final = await drv.stopAll({ timeoutMs: 5000 });
      await drv.close({ timeoutMs: 10_000 });
      expect(final[`a/${TUNNEL}`]?.why).toBe('stopped');
    }
    expect((await runLocal(['ip', '-n', `${P}a`, 'link', 'show', 'dev', tunIfName(TUNNEL)])).failed).toBe(true);
    expect((await runChecked(['ip', '-n', `${P}a`, 'route', 'show', `${VM}/32`])).stdout.trim()).toBe('');
    const left = await runLocal(['sh', '-c', `ls -d /tmp/vmmi-${RUN}.* 2>/dev/null || true`]);
    expect(left.stdout.trim()).toBe('');
  });
});
