/* eslint-disable no-restricted-imports -- src/index.ts (the package entry) does not re-export these yet */
/**
 * Route/neighbour/FDB monitor against the real kernel: an own namespace (`vmmirm-<pid>`) with a
 * bridge of two veth ports; routes, neighbours and FDB entries are added, replaced and removed and
 * the monitor must report each change, in order, stamped on the controller clock.
 */
import { test, expect } from '@playwright/test';
import { runChecked, runLocal } from '../../src/exec/local.js';
import { createLabRouteMonitor } from '../../src/probes/route-monitor/adapter.js';
import { NetnsMonitor } from '../../src/probes/route-monitor/run.js';
import { stamp } from '../../src/util/stamp.js';

const NS = `vmmirm-${process.pid}`;
const ip = (...a: string[]): Promise<unknown> =>
  runChecked(['ip', 'netns', 'exec', NS, 'ip', ...a], { timeoutMs: 5000 });
const bridge = (...a: string[]): Promise<unknown> =>
  runChecked(['ip', 'netns', 'exec', NS, 'bridge', ...a], { timeoutMs: 5000 });

test.beforeAll(async () => {
  await runChecked(['ip', 'netns', 'add', NS]);
  await ip('link', 'set', 'dev', 'lo', 'up');
  await ip('link', 'add', 'br0', 'type', 'bridge');
  await ip('link', 'add', 'p1', 'type', 'veth', 'peer', 'name', 'q1');
  await ip('link', 'add', 'p2', 'type', 'veth', 'peer', 'name', 'q2');
  for (const d of ['p1', 'p2']) await ip('link', 'set', 'dev', d, 'master', 'br0');
  for (const d of ['br0', 'p1', 'p2', 'q1', 'q2']) await ip('link', 'set', 'dev', d, 'up');
  await ip('addr', 'add', '198.18.250.1/24', 'dev', 'br0');
  await ip('-6', 'addr', 'add', '2001:2:0:250::1/64', 'dev', 'br0', 'nodad');
  await ip('route', 'add', '198.18.249.7/32', 'via', '198.18.250.2'); // present before the monitor starts
});

test.afterAll(async () => {
  await runLocal(['ip', 'netns', 'del', NS]);
});

test('routes, neighbours and MAC moves are reported in order with receipt and kernel stamps', async () => {
  const mon = await NetnsMonitor.start({ ns: NS, enter: ['ip', 'netns', 'exec', NS], router: 'r1', fdb: true, maxLifetimeMs: 20_000 }, { timeoutMs: 5000 });
  try {
    const t0 = stamp();
    await ip('route', 'add', '198.18.248.0/24', 'via', '198.18.250.3', 'proto', 'static');
    await ip('route', 'replace', '198.18.249.7/32', 'dev', 'br0');
    await ip('-6', 'route', 'add', '2001:2:0:248::7/128', 'via', '2001:2:0:250::3');
    await ip('neigh', 'add', '198.18.250.9', 'lladdr', '02:00:c6:12:fa:09', 'dev', 'br0');
    await ip('neigh', 'replace', '198.18.250.9', 'lladdr', '02:00:c6:12:fa:0a', 'dev', 'br0');
    await ip('-6', 'neigh', 'add', '2001:2:0:250::9', 'lladdr', '02:00:c6:12:fa:09', 'dev', 'br0');
    await bridge('fdb', 'add', '02:00:c6:12:fa:0b', 'dev', 'p1', 'master', 'static');
    await bridge('fdb', 'replace', '02:00:c6:12:fa:0b', 'dev', 'p2', 'master', 'static');
    await ip('route', 'del', '198.18.248.0/24');
    await ip('-6', 'route', 'del', '2001:2:0:248::7/128');
    await ip('neigh', 'del', '198.18.250.9', 'dev', 'br0');
    await mon.waitForRoute('198.18.248.0/24', { present: false, timeoutMs: 3000 });
    await mon.waitForRoute('2001:2:0:248::7', { present: false, timeoutMs: 3000 });
    const recs = await mon.stop();
    const mine = recs.filter((r) => r.prefix.includes('198.18.24') || r.prefix.includes('2001:2:0:248')
      || r.prefix.includes('250::9') || r.prefix === '198.18.250.9' || r.prefix === '02:00:c6:12:fa:0b');
    const seq = mine.map((r) => `${r.object} ${r.kind} ${r.prefix}`);
    expect(seq).toEqual([
      'route add 198.18.248.0/24',
      'route replace 198.18.249.7/32',
      'route add 2001:2:0:248::7/128',
      'neigh add 198.18.250.9',
      'neigh replace 198.18.250.9',
      'neigh add 2001:2:0:250::9',
      'fdb add 02:00:c6:12:fa:0b',
      'fdb replace 02:00:c6:12:fa:0b',
      'route del 198.18.248.0/24',
      'route del 2001:2:0:248::7/128',
      // deleting a PERMANENT entry first reports it FAILED, then deleted
      'neigh replace 198.18.250.9',
      'neigh del 198.18.250.9',
    ]);
    const byKey = (s: string): (typeof mine)[number] => mine[seq.indexOf(s)]!;
    expect(byKey('route add 198.18.248.0/24')).toMatchObject({
      via: '198.18.250.3',
      proto: 'static',
      family: 4,
      router: 'r1',
    });
    expect(byKey('route replace 198.18.249.7/32')).toMatchObject({ previous: '198.18.250.2', dev: 'br0' });
    expect(byKey('route add 2001:2:0:248::7/128')).toMatchObject({ family: 6, via: '2001:2:0:250::3' });
    expect(byKey('neigh replace 198.18.250.9')).toMatchObject({ lladdr: '02:00:c6:12:fa:0a' });
    expect(byKey('fdb replace 02:00:c6:12:fa:0b')).toMatchObject({ dev: 'p2', previous: 'p1', master: 'br0' });
    for (const r of mine) {
      expect(r.t.monoNs > t0.monoNs).toBe(true);
      expect(r.kernelWallMs).toBeDefined();
      // iproute2 stamps with the same host clock: receipt can only follow it, by pipe latency
      expect(r.t.wallMs - r.kernelWallMs!).toBeGreaterThanOrEqual(-1);
      expect(r.t.wallMs - r.kernelWallMs!).toBeLessThan(1000);
    }
    const lat = mine.map((r) => r.t.wallMs - r.kernelWallMs!).sort((a, b) => a - b);
    console.log(
      `route-monitor: ${mine.length} events, receipt − iproute2 stamp median ${lat[lat.length >> 1]?.toFixed(3)} ms, max ${lat[lat.length - 1]?.toFixed(3)} ms`,
    );
  } finally {
    await mon.stop();
  }
});

test('waitForRoute checks first, then waits; times out with a typed error', async () => {
  const mon = await NetnsMonitor.start({ ns: NS, enter: ['ip', 'netns', 'exec', NS], maxLifetimeMs: 10_000 }, { timeoutMs: 5000 });
  try {
    expect(await mon.waitForRoute('198.18.249.7/32', { present: true, timeoutMs: 100 })).toBeUndefined();
    const pending = mon.waitForRoute('198.18.247.0/24', { present: true, timeoutMs: 3000 });
    await ip('route', 'add', '198.18.247.0/24', 'dev', 'br0');
    expect((await pending)?.kind).toBe('add');
    await expect(mon.waitForRoute('198.18.246.0/24', { present: true, timeoutMs: 150 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    const ac = new AbortController();
    const aborted = mon.waitForRoute('198.18.246.0/24', { present: true, timeoutMs: 3000, signal: ac.signal });
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
  } finally {
    await mon.stop();
  }
});

test('RouteMonitor adapter: only forwarding routes, controller-stamped, bounded lifetime', async () => {
  const rm = createLabRouteMonitor({ nsOf: () => NS, enterOf: () => ['ip', 'netns', 'exec', NS], maxLifetimeMs: 1500 });
  await rm.start(['torX'], { timeoutMs: 5000 });
  await ip('route', 'add', '198.18.245.0/24', 'via', '198.18.250.4');
  await ip('addr', 'add', '198.18.244.1/24', 'dev', 'br0'); // local/broadcast routes: filtered out of RouteChange
  await ip('route', 'del', '198.18.245.0/24');
  await rm.monitors.get('torX')!.waitForRoute('198.18.245.0/24', { present: false, timeoutMs: 3000 });
  const changes = await rm.stop({ timeoutMs: 3000 });
  expect(changes.map((c) => `${c.router} ${c.action} ${c.prefix} ${c.nextHop ?? ''}`)).toEqual([
    'torX add 198.18.245.0/24 198.18.250.4', 'torX add 198.18.244.0/24 br0', 'torX del 198.18.245.0/24 198.18.250.4']);
  expect(changes.every((c) => c.offsetMs === 0 && c.uncertaintyMs !== undefined)).toBe(true);
  // a second monitor is stopped by its lifetime bound without stop()
  const m = await NetnsMonitor.start({ ns: NS, enter: ['ip', 'netns', 'exec', NS], maxLifetimeMs: 400, seed: false }, { timeoutMs: 5000 });
  await new Promise((r) => setTimeout(r, 900));
  const out = await runLocal(['pgrep', '-f', `ip netns exec ${NS} ip -ts monitor`]);
  expect(out.stdout.trim()).toBe('');
  await m.stop();
});
