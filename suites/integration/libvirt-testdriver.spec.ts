/**
 * A real libvirtd serving the `test` driver on a unix socket in a temporary directory (private
 * mount namespace, no QEMU): lookup, state, define/start/suspend/resume/destroy/undefine, lifecycle
 * events in order, typed errors and keepalive; the virsh driver cross-checks the RPC driver.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import {
  type HypervisorDriver, type HypervisorEvent, type LibvirtdHandle, LibvirtRpcDriver, VirshDriver, connectLibvirt,
  renderLibvirtdConf, startLibvirtd,
} from './libvirt-imports.js';

test.describe.configure({ mode: 'serial' });

const HOST_UUID = '6c61622d-6876-4000-8000-0000000000d1';
let dir: string;
let daemon: LibvirtdHandle | undefined;
let rpc: LibvirtRpcDriver;
let virsh: VirshDriver;

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmmi-td-'));
  const base = { dir, hostUuid: HOST_UUID, driver: 'test' as const };
  // Short daemon keepalive so the spec sees PINGs within a second.
  daemon = await startLibvirtd({
    ...base,
    libvirtdConf: `${renderLibvirtdConf(base)}keepalive_interval = 1\nkeepalive_count = 5\n`,
  });
  rpc = await LibvirtRpcDriver.connect(daemon.unixUri, { host: 'td' });
  virsh = new VirshDriver(daemon.unixUri, { host: 'td' });
});

test.afterAll(async () => {
  await rpc?.close();
  await virsh?.close();
  await daemon?.stop();
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const life = (evs: readonly HypervisorEvent[], name: string): string[] =>
  evs
    .filter((e) => e.kind === 'lifecycle' && e.domain.name === name)
    .map((e) => (e.kind === 'lifecycle' ? `${e.event}/${e.detail}` : ''));

function collect(d: HypervisorDriver, signal: AbortSignal): HypervisorEvent[] {
  const out: HypervisorEvent[] = [];
  void (async () => {
    for await (const e of d.events({ signal })) out.push(e);
  })();
  return out;
}

const domainXml = (name: string): string => `<domain type='test'><name>${name}</name><memory unit='MiB'>256</memory>
  <vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`;

test('lookup, state, info, version and hostname agree between the RPC and virsh drivers', async () => {
  const a = await rpc.lookup({ name: 'test' });
  expect(a).toEqual(await virsh.lookup({ name: 'test' }));
  expect(await rpc.lookup({ uuid: a.uuid })).toEqual(a);
  expect(await rpc.state(a)).toEqual({ state: 'running', stateCode: 1, reason: 'unknown', reasonCode: 0 });
  expect(await virsh.state('test')).toEqual(await rpc.state('test'));
  const [ri, vi] = [await rpc.info('test'), await virsh.info('test')];
  expect({ ...ri, cpuTimeNs: 0n }).toEqual({ ...vi, cpuTimeNs: 0n });
  expect(ri.cpuTimeNs).toBeGreaterThan(0n);
  expect(await rpc.libVersion()).toBe(await virsh.libVersion());
  expect(await rpc.hostname()).toBe(await virsh.hostname());
  expect(await rpc.xml('test')).toContain('<name>test</name>');
});

for (const via of ['rpc', 'virsh'] as const) {
  test(`define/start/suspend/resume/destroy/undefine through ${via}: states and events in order, seen by both`, async () => {
    const name = `vmmi-td-${via}`;
    const d = via === 'rpc' ? rpc : virsh;
    const stop = new AbortController();
    const seenRpc = collect(rpc, stop.signal);
    const seenVirsh = collect(virsh, stop.signal);
    await Promise.all([rpc.eventsReady(), virsh.eventsReady()]);
    try {
      const states: string[] = [];
      const st = async (): Promise<void> => {
        const s = await d.state(name);
        states.push(`${s.state}/${s.reason}`);
      };
      const ref = await d.define(domainXml(name));
      expect(ref).toMatchObject({ name, id: -1 });
      await st();
      await d.start(ref);
      await st();
      await d.suspend(name);
      await st();
      await d.resume(name);
      await st();
      await d.destroy(name);
      await st();
      await d.undefine(name);
      await expect(d.lookup({ name })).rejects.toMatchObject({ code: 'LIBVIRT', libvirtName: 'no-domain' });
      expect(states).toEqual([
        'shutoff/unknown',
        'running/booted',
        'paused/user',
        'running/unpaused',
        'shutoff/destroyed',
      ]);
      const want = [
        'defined/added',
        'started/booted',
        'suspended/paused',
        'resumed/unpaused',
        'stopped/destroyed',
        'undefined/removed',
      ];
      await expect.poll(() => life(seenRpc, name), { timeout: 3_000 }).toEqual(want);
      await expect.poll(() => life(seenVirsh, name), { timeout: 3_000 }).toEqual(want);
      const rpcEv = seenRpc.filter((e) => e.domain.name === name);
      expect(rpcEv.every((e) => e.host === 'td' && e.domain.uuid === ref.uuid)).toBe(true);
      for (let i = 1; i < rpcEv.length; i++)
        expect(rpcEv[i]?.at.monoNs).toBeGreaterThanOrEqual(rpcEv[i - 1]?.at.monoNs ?? 0n);
    } finally {
      stop.abort();
      await d.destroy(name).catch(() => undefined);
      await d.undefine(name).catch(() => undefined);
    }
  });
}

test('errors are typed: no-domain, no-support, unknown procedure, refused connection', async () => {
  for (const d of [rpc, virsh]) {
    await expect(d.state('nope')).rejects.toMatchObject({ code: 'LIBVIRT', libvirtCode: 42, libvirtName: 'no-domain' });
    // The test driver has no job stats (and no migration).
    await expect(d.jobStats('test')).rejects.toMatchObject({ code: 'LIBVIRT', libvirtName: 'no-support' });
    await expect(d.start('test')).rejects.toMatchObject({ code: 'LIBVIRT' });
  }
  const unknownProc = { num: 9999, name: 'UNKNOWN', args: () => undefined, ret: () => undefined };
  await expect(rpc.client.call(unknownProc, undefined)).rejects.toMatchObject({
    libvirtCode: 39,
    libvirtName: 'no-support',
  });
  const missing = `test+unix:///default?socket=${join(dir, 'missing-sock')}`;
  await expect(LibvirtRpcDriver.connect(missing)).rejects.toMatchObject({ code: 'CONNECTION' });
  await expect(new VirshDriver(missing).hostname()).rejects.toMatchObject({ code: 'CONNECTION' });
});

test('many calls in flight on one connection', async () => {
  const dom = await rpc.lookup({ name: 'test' });
  const states = await Promise.all(Array.from({ length: 200 }, () => rpc.state(dom)));
  expect(new Set(states.map((s) => s.state))).toEqual(new Set(['running']));
});

test('keepalive against the real daemon: its PINGs are answered, ours get PONGs', async () => {
  if (daemon === undefined) throw new Error('no daemon');
  // Without own PINGs the daemon (keepalive_interval = 1) pings us once its side has been idle 1 s.
  const quiet = await connectLibvirt(daemon.unixUri, { keepaliveIntervalMs: 0 });
  // With own PINGs every 300 ms the daemon never idles, so it only answers.
  const chatty = await connectLibvirt(daemon.unixUri, { keepaliveIntervalMs: 300, keepaliveCount: 5 });
  try {
    await expect.poll(() => quiet.stats.pingsReceived, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    expect(quiet.stats.pongsSent).toBe(quiet.stats.pingsReceived);
    await expect.poll(() => chatty.stats.pongsReceived, { timeout: 3_000 }).toBeGreaterThanOrEqual(2);
    expect(chatty.stats.pingsSent).toBeGreaterThanOrEqual(chatty.stats.pongsReceived);
    for (const c of [quiet, chatty]) {
      expect(c.closed).toBe(false);
      expect(
        await c.call(
          { num: 157, name: 'CONNECT_GET_LIB_VERSION', args: () => undefined, ret: (x) => x.uhyper() },
          undefined,
        ),
      ).toBeGreaterThan(0n);
    }
  } finally {
    await quiet.close();
    await chatty.close();
  }
});

test('daemon killed under a live connection: event iterators and later calls fail with ConnectionError', async () => {
  const other = await startLibvirtd({
    dir: join(dir, 'victim'),
    hostUuid: '6c61622d-6876-4000-8000-0000000000d2',
    driver: 'test',
  });
  try {
    const d = await LibvirtRpcDriver.connect(other.unixUri, { host: 'victim' });
    const events = d.events();
    const next = events.next().catch((e: unknown) => e);
    const inFlight = Promise.allSettled(Array.from({ length: 50 }, () => d.state('test')));
    await other.stop();
    expect(await next).toMatchObject({ code: 'CONNECTION' });
    for (const r of await inFlight) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CONNECTION' });
    await expect(d.state('test')).rejects.toMatchObject({ code: 'CONNECTION' });
    await d.close();
  } finally {
    await other.stop();
  }
});
