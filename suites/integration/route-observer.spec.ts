/**
 * Device route observers against real peers. SSH exec: a real OpenSSH sshd runs as root inside a
 * namespace this spec creates (`vmmih2-…`), on a veth address from 198.19.128.0/17 that the root
 * namespace reaches; the observer connects over SSH only (the spec itself uses `ip netns exec` to make
 * changes and to look for left-over processes). Polling: a real netconfd, read through the netconf-ietf
 * driver while another session commits host routes. Namespaces and daemons are removed in afterAll.
 */
import { readFile } from 'node:fs/promises';
import { test, expect } from '@playwright/test';
import { startNetconfLab, type NetconfLab } from './netconf-lab.js';
import { openSwitchDriver, hasHostRoutes, Secret, type Switch } from './netconf-imports.js';
import {
  createDeviceRouteMonitor, observedRouteChanges, observedTimelineEvents, sshConnect, startNetnsSshd,
  startRoutePoller, startSshMonitor, stamp, type NetnsSshd, type SshTarget,
} from './route-observer-imports.js';

let sshd: NetnsSshd | undefined;
let key: Secret;

test.beforeAll(async () => {
  sshd = await startNetnsSshd();
  key = new Secret('${file:client_ed25519}', await readFile(sshd.clientKey.privateFile, 'utf8'));
  await sshd.inNs(['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  await sshd.inNs(['ip', 'link', 'add', 'p1', 'type', 'veth', 'peer', 'name', 'q1']);
  await sshd.inNs(['ip', 'link', 'set', 'p1', 'master', 'br0']);
  for (const d of ['br0', 'p1', 'q1']) await sshd.inNs(['ip', 'link', 'set', d, 'up']);
});

test.afterAll(async () => {
  await sshd?.stop();
});

const target = (s: NetnsSshd): SshTarget => ({ name: 'leaf1', host: s.address, port: s.port,
  credentials: { username: 'root', privateKey: key }, hostKey: { kind: 'fingerprint', sha256: s.hostKey.fingerprint } });
const gw = (s: NetnsSshd): string => s.address.replace(/\d+$/, (n) => String(Number(n) - 1));
/** Processes in the namespace other than the listening sshd (and sshd processes of connections closing). */
const leftovers = async (s: NetnsSshd): Promise<string[]> =>
  (await s.processes()).filter((p) => p.pid !== s.sshdPid && p.comm !== 'sshd').map((p) => `${p.comm}(${p.pid})`);

test('SSH exec: routes, neighbours and FDB entries are seen with controller stamps; stop leaves nothing', async () => {
  const s = sshd!;
  const conn = await sshConnect(target(s), { timeoutMs: 10_000 });
  const mon = await startSshMonitor({ router: 'leaf1', connection: conn, ownsConnection: true, fdb: true,
    maxLifetimeMs: 60_000 }, { timeoutMs: 15_000 });
  expect(mon.oneWayDelayMs).toBeGreaterThan(0);
  expect(mon.oneWayDelayMs).toBeLessThan(50);
  const before = stamp();
  await s.inNs(['ip', 'route', 'add', '198.18.77.0/24', 'via', gw(s), 'proto', 'static']);
  await s.inNs(['ip', '-6', 'route', 'add', '2001:2:0:77::/64', 'dev', 'eth0']);
  await s.inNs(['ip', 'neigh', 'add', '198.19.255.9', 'lladdr', '02:00:c6:13:ff:09', 'dev', 'eth0']);
  await s.inNs(['bridge', 'fdb', 'add', '02:00:c6:13:ff:0b', 'dev', 'p1', 'master', 'static']);
  await s.inNs(['ip', 'route', 'del', '198.18.77.0/24']);
  const afterChanges = stamp();
  await expect.poll(() => observedRouteChanges(mon.records()).filter((c) => c.prefix.includes(':77')
    || c.prefix.startsWith('198.18.77.')).length, { timeout: 5000, intervals: [20] }).toBe(3);
  await expect.poll(() => observedTimelineEvents(mon.records()).length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
  const seenBy = stamp();
  expect(mon.failure()).toBeUndefined();
  await mon.stop({ timeoutMs: 3000 });
  const mine = observedRouteChanges(mon.records()).filter((c) => c.prefix.includes(':77') || c.prefix.startsWith('198.18.77.'));
  expect(mine.map((c) => `${c.action} ${c.prefix} ${c.nextHop ?? '-'}`)).toEqual([
    `add 198.18.77.0/24 ${gw(s)}`, 'add 2001:2:0:77::/64 eth0', `del 198.18.77.0/24 ${gw(s)}`]);
  for (const c of mine) {
    // Stamped on receipt at the controller: after the change was asked for, before it was seen by the poll.
    expect(c.t.monoNs).toBeGreaterThanOrEqual(before.monoNs);
    expect(c.t.monoNs).toBeLessThanOrEqual(seenBy.monoNs);
    expect(c).toMatchObject({ router: 'leaf1', offsetMs: 0, uncertaintyMs: mon.oneWayDelayMs });
  }
  expect(mine[2]!.t.monoNs).toBeLessThanOrEqual(seenBy.monoNs);
  expect(afterChanges.monoNs).toBeGreaterThan(before.monoNs);
  const l2 = observedTimelineEvents(mon.records()).map((e) => `${e.kind} ${String(e.detail?.address)}`);
  expect(l2).toEqual(expect.arrayContaining(['neigh-add 198.19.255.9', 'mac-move 02:00:c6:13:ff:0b']));
  await expect.poll(() => leftovers(s), { timeout: 5000, intervals: [100] }).toEqual([]);
  await s.inNs(['ip', 'neigh', 'del', '198.19.255.9', 'dev', 'eth0']);
  await s.inNs(['bridge', 'fdb', 'del', '02:00:c6:13:ff:0b', 'dev', 'p1', 'master']);
  await s.inNs(['ip', '-6', 'route', 'del', '2001:2:0:77::/64']);
});

test('SSH exec: a route added the instant start resolves is never missed (8 starts)', async () => {
  const s = sshd!;
  for (let i = 0; i < 8; i++) {
    const conn = await sshConnect(target(s), { timeoutMs: 10_000 });
    const mon = await startSshMonitor({ router: 'leaf1', connection: conn, ownsConnection: true, seed: false,
      maxLifetimeMs: 30_000 }, { timeoutMs: 15_000 });
    const prefix = `198.18.78.${i}/32`;
    try {
      await s.inNs(['ip', 'route', 'add', prefix, 'via', gw(s)]);
      await expect.poll(() => observedRouteChanges(mon.records()).some((c) => c.prefix === prefix && c.action === 'add'),
        { timeout: 3000, intervals: [10] }).toBe(true);
    } finally {
      await mon.stop({ timeoutMs: 3000 });
      await s.inNs(['ip', 'route', 'del', prefix]);
    }
  }
  await expect.poll(() => leftovers(s), { timeout: 5000, intervals: [100] }).toEqual([]);
});

test('createDeviceRouteMonitor: a linux-CLI switch gets the SSH observer; an EOS-CLI one below a strict resolution is refused', async () => {
  const s = sshd!;
  const leaf: Switch = { name: 'leaf1', site: 'a', role: 'tor', kind: 'frr-ssh', address: s.address, port: s.port,
    credentials: { username: 'root', privateKey: key }, hostKey: { kind: 'fingerprint', sha256: s.hostKey.fingerprint },
    cli: { port: s.port, platform: 'linux' } };
  const eosCli: Switch = { ...leaf, name: 'leaf2', kind: 'eos', cli: { port: s.port, platform: 'eos' } };
  const noRead = (): never => { throw new Error('not polled'); };
  const strict = createDeviceRouteMonitor({ switches: [leaf, eosCli], readRoutesOf: noRead, maxLifetimeMs: 30_000,
    maxResolutionMs: 20 });
  const refused = await strict.start(['leaf1', 'leaf2'], { timeoutMs: 10_000 }).then(() => undefined, (e: unknown) => e);
  expect(refused).toMatchObject({ code: 'PRECHECK', device: 'leaf2' });
  expect(String(refused)).toContain('a Linux shell on SSH exec (cli.platform linux or frr-vtysh)');
  const m = createDeviceRouteMonitor({ switches: [leaf], readRoutesOf: noRead, maxLifetimeMs: 30_000, fdb: true });
  await m.start(['leaf1'], { timeoutMs: 15_000 });
  expect(m.observers().get('leaf1')?.kind).toBe('ssh-exec');
  const since = stamp().monoNs;
  await s.inNs(['ip', 'route', 'add', '198.18.79.0/24', 'via', gw(s)]);
  expect(await m.waitForRoutes('leaf1', [{ prefix: '198.18.79.0/24', action: 'add' }], since, 3000)).toBe(true);
  expect(await m.waitForRoutes('leaf1', [{ prefix: '198.18.79.0/24', action: 'del' }], since, 200)).toBe(false);
  await s.inNs(['ip', 'route', 'del', '198.18.79.0/24']);
  expect(await m.waitForRoutes('leaf1', [{ prefix: '198.18.79.0/24', action: 'del' }], since, 3000)).toBe(true);
  const changes = await m.stop({ timeoutMs: 3000 });
  expect(changes.filter((c) => c.prefix === '198.18.79.0/24').map((c) => c.action)).toEqual(['add', 'del']);
  await expect.poll(() => leftovers(s), { timeout: 5000, intervals: [100] }).toEqual([]);
});

test.describe('polling a real netconfd', () => {
  let lab: NetconfLab | undefined;
  test.beforeAll(async () => {
    lab = await startNetconfLab(18406, 'swpoll');
  });
  test.afterAll(async () => {
    await lab?.stop();
  });

  test('host routes committed by another session appear and disappear, stamped when the answer arrived', async () => {
    const reader = await openSwitchDriver(lab!.switchModel, { timeoutMs: 15_000 });
    const writer = await openSwitchDriver(lab!.switchModel, { timeoutMs: 15_000 });
    try {
      if (!hasHostRoutes(writer)) throw new Error('netconf-ietf driver without host routes');
      const poller = await startRoutePoller({ router: 'swpoll', kind: 'netconf-poll', intervalMs: 50,
        // Mapped as the executor's NetworkDevice.readRoutes maps them (prefix and next hop, no `active`):
        // netconfd has no forwarding plane, so every configured route reads inactive in its routing-state.
        readRoutes: async (io) => (await reader.readRoutes(io)).map((r) => ({ prefix: r.prefix,
          nextHops: r.nextHops })),
        maxLifetimeMs: 60_000 }, { timeoutMs: 10_000 });
      expect(poller.resolutionMs).toBeGreaterThanOrEqual(50);
      const before = stamp();
      await writer.addHostRoute({ prefix: '198.18.80.5/32', nextHop: '198.18.0.9' }, { timeoutMs: 15_000 });
      const committed = stamp();
      await expect.poll(() => poller.records().length, { timeout: 10_000, intervals: [20] }).toBe(1);
      await writer.removeHostRoute({ prefix: '198.18.80.5/32' }, { timeoutMs: 15_000 });
      await expect.poll(() => poller.records().length, { timeout: 10_000, intervals: [20] }).toBe(2);
      await poller.stop({ timeoutMs: 5000 });
      const [add, del] = observedRouteChanges(poller.records());
      expect(add).toMatchObject({ action: 'add', prefix: '198.18.80.5/32', nextHop: '198.18.0.9', offsetMs: 0 });
      expect(del).toMatchObject({ action: 'del', prefix: '198.18.80.5/32' });
      expect(add!.t.monoNs).toBeGreaterThan(before.monoNs);
      // The window [t − uncertainty, t] holds the moment the device changed: the commit ended inside it
      // (the previous answer, at the window's start, did not show the route yet). It covers the interval.
      const ms = (x: bigint): number => Number(x) / 1e6;
      const u = add!.uncertaintyMs ?? Number.NaN;
      expect(u).toBeGreaterThanOrEqual(50);
      expect(ms(add!.t.monoNs) - u).toBeLessThanOrEqual(ms(committed.monoNs));
      expect(poller.failure()).toBeUndefined();
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});
