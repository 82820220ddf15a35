/**
 * Two real libvirtd "hosts" on loopback (own mount+UTS namespaces, hostnames, host_uuids, TCP ports
 * 16609/16610, migration addresses 127.0.0.2/127.0.0.3) and a small diskless TCG guest migrated live
 * and peer-to-peer back and forth through the RPC driver, aborted once, then the same round trip
 * through the virsh driver, which must show the same state transitions.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import {
  type HypervisorDriver,
  type HypervisorEvent,
  type LibvirtdHandle,
  LibvirtRpcDriver,
  type MigrationJobOutcome,
  VirshDriver,
  runLocal,
  startLibvirtd,
} from './libvirt-imports.js';

test.describe.configure({ mode: 'serial', timeout: 120_000 });

const GUEST = 'vmmi-mig1';
const GUEST_XML = `<domain type='qemu'>
  <name>${GUEST}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices>
</domain>`;
const HOSTS = [
  { name: 'hv1', port: 16609, migrationAddress: '127.0.0.2', uuid: '6c61622d-6876-4000-8000-000000000e01' },
  { name: 'hv2', port: 16610, migrationAddress: '127.0.0.3', uuid: '6c61622d-6876-4000-8000-000000000e02' },
] as const;
const uriOf = (port: number): string => `qemu+tcp://127.0.0.1:${port}/system`;

let root: string;
const daemons: LibvirtdHandle[] = [];
let hv1: LibvirtRpcDriver;
let hv2: LibvirtRpcDriver;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  root = await mkdtemp(join(tmpdir(), 'vmmi-mig-'));
  // Started one after the other: each probes QEMU capabilities once (several seconds under load).
  for (const h of HOSTS) {
    daemons.push(await startLibvirtd({
      dir: join(root, h.name), hostname: `vmmi-${h.name}`, hostUuid: h.uuid, driver: 'qemu',
      listenAddr: '127.0.0.1', tcpPort: h.port, migrationAddress: h.migrationAddress, timeoutMs: 30_000,
    }));
  }
  hv1 = await LibvirtRpcDriver.connect(uriOf(16609), { host: 'hv1', callTimeoutMs: 60_000 });
  hv2 = await LibvirtRpcDriver.connect(uriOf(16610), { host: 'hv2', callTimeoutMs: 60_000 });
  await hv1.define(GUEST_XML, { timeoutMs: 60_000 }); // the first QEMU call waits for the capability probe
  await hv1.start(GUEST, { timeoutMs: 60_000 });
});

test.afterAll(async () => {
  try {
    for (const d of [hv1, hv2]) {
      if (d === undefined) continue;
      await d.destroy(GUEST).catch(() => undefined);
      await d.undefine(GUEST).catch(() => undefined);
      await d.close().catch(() => undefined);
    }
  } finally {
    // stop() also ends any QEMU a daemon left running.
    for (const d of daemons) await d.stop().catch((e: unknown) => console.error(`libvirtd stop: ${String(e)}`));
  }
  if (root !== undefined) await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

/**
 * `event/detail` of the guest's run-state lifecycle events on one host, in receipt order. Defined and
 * undefined events of PERSIST_DEST / UNDEFINE_SOURCE arrive around the end of the perform call, so
 * whether they fall inside the result's window varies: they are left out of the comparison.
 */
function transitions(events: readonly HypervisorEvent[], host: string): string[] {
  return events.flatMap((e) =>
    e.kind === 'lifecycle' && e.host === host && !e.event.endsWith('defined') ? [`${e.event}/${e.detail}`] : [],
  );
}

async function migrateChecked(src: HypervisorDriver, dst: HypervisorDriver, dstPort: number, bandwidthMiBs: number) {
  const m = src.migrate(GUEST, uriOf(dstPort), {
    destination: dst, bandwidthMiBs, maxDowntimeMs: 300, persistDest: true, undefineSource: true,
    pollIntervalMs: 50, timeoutMs: 60_000,
  });
  const progress: number[] = [];
  for await (const p of m.progress) progress.push(Number(p.stats.fields['memory_processed'] ?? -1));
  const r = await m.result;
  expect(await dst.state(GUEST)).toMatchObject({ state: 'running', reason: 'migrated' });
  await expect(src.state(GUEST)).rejects.toMatchObject({ code: 'LIBVIRT', libvirtName: 'no-domain' });
  expect(r.destinationStats).toMatchObject({ type: 'completed', fields: { operation: 4 } });
  expect(r.sourceStats).toMatchObject({ type: 'completed', fields: { operation: 5 } });
  expect(r.qemuDowntimeMs).toBeGreaterThanOrEqual(0);
  expect(r.eventGapMs).toBeGreaterThanOrEqual(0);
  expect(r.eventGapMs).toBeLessThan(10_000);
  // QEMU >= 8 quits after a completed outgoing migration with a SHUTDOWN event, which libvirt >= 10 passes
  // on as shutdown/host between the two: it is the source process ending, never a guest shutdown.
  expect(transitions(r.events, src.host).filter((t) => t !== 'shutdown/host')).toEqual([
    'suspended/migrated',
    'stopped/migrated',
  ]);
  expect(transitions(r.events, dst.host)).toEqual(['started/migrated', 'resumed/migrated']);
  expect(r.events.some((e) => e.kind === 'migration-iteration' && e.host === src.host)).toBe(true);
  return { r, progress };
}

function summary(r: MigrationJobOutcome): string {
  const f = r.destinationStats?.fields ?? {};
  return (
    `perform ${r.performMs.toFixed(0)} ms, qemu downtime ${r.qemuDowntimeMs} ms, event gap ${r.eventGapMs?.toFixed(1)} ms, ` +
    `setup ${f['setup_time']} ms, processed ${f['memory_processed']} B, iterations ${f['memory_iteration']}`
  );
}

const rpcTransitions: Record<string, string[][]> = {};

test('the guest\'s QEMU runs as libvirt-qemu with no capabilities, not root', async () => {
  const uid = Number((await runLocal(['id', '-u', 'libvirt-qemu'], { timeoutMs: 5_000 })).stdout.trim());
  expect(uid).toBeGreaterThan(0);
  const pid = Number((await readFile(join(root, 'hv1', 'run', 'qemu', `${GUEST}.pid`), 'utf8')).trim());
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  expect(/^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/).map(Number)).toEqual([uid, uid, uid, uid]);
  expect(/^CapEff:\s+(\w+)$/m.exec(status)?.[1]).toBe('0000000000000000');
});

test('RPC driver: live p2p migration hv1 → hv2 → hv1 with progress, completed stats and event gap', async () => {
  expect(await hv1.hostname()).toBe('vmmi-hv1');
  expect(await hv2.hostname()).toBe('vmmi-hv2');
  expect(await hv1.libVersion()).toBeGreaterThanOrEqual(4_005_000);
  // Slow first leg (5 MiB/s) so job-stats polling sees the running job; fast way back.
  const there = await migrateChecked(hv1, hv2, 16610, 5);
  expect(there.progress.length).toBeGreaterThan(0);
  console.log(`hv1→hv2: ${summary(there.r)}; ${there.progress.length} progress samples`);
  const back = await migrateChecked(hv2, hv1, 16609, 512);
  console.log(`hv2→hv1: ${summary(back.r)}`);
  rpcTransitions['there'] = [transitions(there.r.events, 'hv1'), transitions(there.r.events, 'hv2')];
  rpcTransitions['back'] = [transitions(back.r.events, 'hv2'), transitions(back.r.events, 'hv1')];
});

test('RPC driver: abort leaves the guest running on the source', async () => {
  const seen: HypervisorEvent[] = [];
  const stop = new AbortController();
  void (async () => {
    for await (const e of hv2.events({ signal: stop.signal })) if (e.domain.name === GUEST) seen.push(e);
  })();
  const m = hv1.migrate(GUEST, uriOf(16610), {
    destination: hv2,
    bandwidthMiBs: 1,
    pollIntervalMs: 50,
    timeoutMs: 60_000,
  });
  for await (const p of m.progress) {
    expect(p.stats.type).toBe('unbounded');
    await m.abort();
    break;
  }
  await expect(m.result).rejects.toMatchObject({ code: 'LIBVIRT', libvirtName: 'aborted' });
  expect(await hv1.state(GUEST)).toMatchObject({ state: 'running' });
  expect(await hv1.jobStats(GUEST)).toMatchObject({ type: 'none' }); // no job left behind
  await expect.poll(() => transitions(seen, 'hv2'), { timeout: 5_000 }).toContain('stopped/failed');
  stop.abort();
  await expect(hv2.state(GUEST)).rejects.toMatchObject({ libvirtName: 'no-domain' });
});

test('virsh driver: the same round trip gives the same state transitions', async () => {
  const v1 = new VirshDriver(uriOf(16609), { host: 'hv1' });
  const v2 = new VirshDriver(uriOf(16610), { host: 'hv2' });
  try {
    const there = await migrateChecked(v1, v2, 16610, 512);
    const back = await migrateChecked(v2, v1, 16609, 512);
    console.log(`virsh hv1→hv2: ${summary(there.r)}; hv2→hv1: ${summary(back.r)}`);
    expect([transitions(there.r.events, 'hv1'), transitions(there.r.events, 'hv2')]).toEqual(rpcTransitions['there']);
    expect([transitions(back.r.events, 'hv2'), transitions(back.r.events, 'hv1')]).toEqual(rpcTransitions['back']);
    expect(await v1.state(GUEST)).toEqual(await hv1.state(GUEST));
  } finally {
    await v1.close();
    await v2.close();
  }
});

test('a guest reset reaches both drivers as a reboot event, and the guest keeps running', async () => {
  const v1 = new VirshDriver(uriOf(16609), { host: 'hv1' });
  const stop = new AbortController();
  const reboots = { rpc: 0, virsh: 0 };
  const collect = async (d: HypervisorDriver, key: keyof typeof reboots): Promise<void> => {
    for await (const e of d.events({ signal: stop.signal }))
      if (e.domain.name === GUEST && e.kind === 'reboot') reboots[key]++;
  };
  try {
    void collect(hv1, 'rpc').catch(() => undefined);
    void collect(v1, 'virsh').catch(() => undefined);
    await v1.eventsReady();
    // QEMU's RESET (here from `virsh reset`; a guest reboot or a panic with panic=N look the same to
    // libvirt). With on_reboot=destroy libvirt would end the domain instead, with no reboot event.
    const r = await runLocal(['virsh', '-c', uriOf(16609), 'reset', GUEST], { timeoutMs: 30_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    await expect.poll(() => Math.min(reboots.rpc, reboots.virsh), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    expect(await hv1.state(GUEST)).toMatchObject({ state: 'running' });
  } finally {
    stop.abort();
    await v1.close();
  }
});
