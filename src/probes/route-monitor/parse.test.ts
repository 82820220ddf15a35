import { readFileSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import {
  createChangeTracker, createLineParser, normalizePrefix, parseIsoStamp, parseLegacyStamp, parseMonitorText,
} from './parse.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/ip/${name}`, import.meta.url), 'utf8');

test('ip -ts monitor route: v4 and v6 adds/dels with prefixes normalised and fields split', () => {
  const ev = parseMonitorText(fixture('monitor-route.txt'));
  expect(ev).toHaveLength(24);
  const first = ev[0]!;
  expect(first).toMatchObject({ object: 'route', kind: 'add', family: 4, type: 'local', prefix: '198.18.250.1/32',
    table: 'local', proto: 'kernel', dev: 'br0' });
  expect(first.kernelWallMs).toBe(Date.UTC(2026, 10, 25, 13, 49, 16) + 357.256);
  const replaced = ev.filter((e) => e.prefix === '198.18.249.0/24');
  expect(replaced.map((e) => [e.kind, e.via, e.proto])).toEqual([
    ['add', '198.18.250.2', undefined], ['add', '198.18.250.3', 'static'], ['del', '198.18.250.3', 'static']]);
  expect(ev.find((e) => e.prefix === '198.18.248.7/32')).toMatchObject({ dev: 'br0', family: 4 });
  expect(ev.find((e) => e.type === 'blackhole')).toMatchObject({ prefix: '198.18.247.0/24' });
  expect(ev.find((e) => e.prefix === '2001:2:0:248::7/128')).toMatchObject({ family: 6, metric: 5, kind: 'add' });
  expect(ev.find((e) => e.prefix === '0.0.0.0/0')).toMatchObject({ via: '198.18.250.254', family: 4 });
  const times = ev.map((e) => e.kernelWallMs ?? 0);
  expect([...times].sort((a, b) => a - b)).toEqual(times);
});

test('ip -ts -6 monitor route: every event is IPv6', () => {
  const ev = parseMonitorText(fixture('monitor-route6.txt'), { ipv6Only: true });
  expect(ev).toHaveLength(11);
  expect(ev.every((e) => e.family === 6)).toBe(true);
  expect(ev.filter((e) => e.kind === 'del').map((e) => e.prefix)).toEqual([
    '2001:2:0:249::/64', '2001:2:0:248::7/128', '2001:2:0:250::/64', 'fe80::/64']);
});

test('ip -ts monitor neigh: IPv4/IPv6 entries, PF_BRIDGE entries without address, states', () => {
  const ev = parseMonitorText(fixture('monitor-neigh.txt'), { defaultObject: 'neigh' });
  expect(ev.map((e) => [e.object, e.kind, e.family, e.prefix, e.lladdr, e.state])).toEqual([
    ['neigh', 'add', 4, '198.18.250.9', '02:00:00:00:00:09', 'PERMANENT'],
    ['neigh', 'add', 4, '198.18.250.9', '02:00:00:00:00:0a', 'PERMANENT'],
    ['neigh', 'add', 6, '2001:2:0:250::9', '02:00:00:00:00:09', 'PERMANENT'],
    ['fdb', 'add', 'bridge', '02:00:00:00:00:0b', '02:00:00:00:00:0b', 'NOARP'],
    ['fdb', 'del', 'bridge', '02:00:00:00:00:0b', '02:00:00:00:00:0b', 'NOARP'],
    ['neigh', 'add', 4, '198.18.250.9', undefined, 'FAILED'],
    ['neigh', 'del', 4, '198.18.250.9', undefined, 'FAILED'],
    ['neigh', 'del', 4, '224.0.0.22', '01:00:5e:00:00:16', 'NOARP'],
  ]);
});

test('label route neigh: objects from labels; multipath nexthop lines join their route', () => {
  const ev = parseMonitorText(fixture('monitor-label-route-neigh.txt'));
  expect(ev.map((e) => e.object)).toEqual(['route', 'route', 'route', 'neigh', 'route', 'route', 'route', 'route',
    'route', 'route', 'route']);
  const mp = ev.find((e) => e.prefix === '198.18.249.0/24')!;
  expect(mp.nexthops).toEqual([
    { via: '198.18.250.9', dev: 'br0', weight: 1 },
    { via: '198.18.250.8', dev: 'br0', weight: 1 },
  ]);
  expect(ev.find((e) => e.prefix === '198.18.248.0/24')).toMatchObject({ table: '100' });
  expect(ev.find((e) => e.prefix === '198.18.245.0/24')).toMatchObject({ proto: 'bgp', metric: 20 });
  expect(ev.find((e) => e.type === 'unreachable')?.prefix).toBe('198.18.246.0/24');
});

test('multipath route is emitted on flush, single-line routes on the next line', () => {
  const p = createLineParser();
  expect(p.push('[2026-11-25T13:49:50.066022] [ROUTE]198.18.249.0/24 ')).toEqual([]);
  expect(p.push('\tnexthop via 198.18.250.9 dev br0 weight 1 ')).toEqual([]);
  const out = p.flush();
  expect(out).toHaveLength(1);
  expect(out[0]?.nexthops).toHaveLength(1);
  expect(p.flush()).toEqual([]);
});

test('ip -t / bridge -t: timestamp on its own line applies to the next event', () => {
  const ev = parseMonitorText(fixture('monitor-route-t.txt'));
  expect(ev).toHaveLength(8);
  expect(ev[0]?.kernelWallMs).toBeCloseTo(Date.UTC(2026, 10, 25, 13, 49, 41) + 60.744, 3);
  const fdb = parseMonitorText(fixture('bridge-monitor-fdb.txt'), { defaultObject: 'fdb' });
  expect(fdb.map((e) => [e.kind, e.prefix, e.dev, e.master, e.dst])).toEqual([
    ['add', '02:00:00:00:00:0b', 'vA', 'br0', undefined],
    ['del', '02:00:00:00:00:0b', 'vA', 'br0', undefined],
    ['add', '52:54:00:12:0a:64', 'hv1', 'brA', undefined],
    ['add', '52:54:00:12:0a:64', 'vxlan100', 'brA', undefined],
    ['add', '52:54:00:12:0a:64', 'vxlan100', undefined, '198.18.30.3'],
  ]);
  expect(fdb[1]!.kernelWallMs! - fdb[0]!.kernelWallMs!).toBeCloseTo(56.011, 3);
});

test('tracker: re-add of a present key is a replace with the previous next hop / port', () => {
  const tr = createChangeTracker();
  const route = parseMonitorText(fixture('monitor-route.txt')).filter((e) => e.prefix === '198.18.249.0/24');
  const kinds = route.map((e) => tr.classify(e));
  expect(kinds.map((e) => [e.kind, e.previous])).toEqual([
    ['add', undefined],
    ['replace', '198.18.250.2'],
    ['del', undefined],
  ]);
  const fdb = parseMonitorText(fixture('bridge-monitor-fdb.txt'), { defaultObject: 'fdb' })
    .filter((e) => e.prefix === '52:54:00:12:0a:64' && e.master === 'brA');
  const moved = fdb.map((e) => tr.classify(e));
  expect(moved[1]).toMatchObject({ kind: 'replace', previous: 'hv1', dev: 'vxlan100' });
  tr.seed(parseMonitorText('198.18.10.100 dev brB scope link'));
  expect(tr.classify(parseMonitorText('198.18.10.100 dev tun0 scope link')[0]!).kind).toBe('replace');
});

test('timestamps honour the printing zone, prefixes get explicit lengths', () => {
  expect(parseIsoStamp('2026-01-01T01:00:00.5', 60)).toBe(Date.UTC(2026, 0, 1, 0, 0, 0) + 500);
  expect(parseLegacyStamp('Timestamp: Thu Jan  1 01:00:00 2026 1000 usec', 60)).toBe(Date.UTC(2026, 0, 1) + 1);
  expect(parseIsoStamp('garbage', 0)).toBeUndefined();
  expect(normalizePrefix('default', 6)).toBe('::/0');
  expect(normalizePrefix('2001:2::1', 6)).toBe('2001:2::1/128');
  expect(normalizePrefix('198.18.0.0/15', 4)).toBe('198.18.0.0/15');
});

test('foreign labels and junk lines are skipped', () => {
  expect(parseMonitorText('[2026-11-25T13:49:50.1] [LINK]3: br0: <UP>\nnot a route line at all')).toHaveLength(0);
  expect(parseMonitorText('[2026-11-25T13:49:50.1] [LINK]3: br0: <UP>')).toHaveLength(0);
});

test('ip -ts -o monitor label route neigh: one line per record, multipath nexthops rejoined, each line emitted at once', () => {
  const p = createLineParser({ oneline: true });
  const lines = fixture('monitor-oneline-label.txt').split('\n');
  // One push per line yields that line's record immediately (no flush needed): a record never waits for
  // the next chunk of an SSH channel.
  const perLine = lines.map((l) => p.push(l));
  expect(perLine.slice(0, 10).map((evs) => evs.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  const ev = perLine.flat();
  expect(p.flush()).toEqual([]);
  expect(ev.map((e) => `${e.object} ${e.kind} ${e.prefix}`)).toEqual([
    'route add fe80::98db:6aff:fe57:a6d7/128', 'route add 198.18.7.0/24', 'route add 198.18.8.0/24',
    'route add 2001:2:0:9::/64', 'neigh add 198.18.3.9', 'fdb add 02:00:00:00:00:0b', 'route del 198.18.8.0/24',
    'route del 2001:2:0:9::/64', 'neigh add 198.18.3.9', 'neigh del 198.18.3.9',
  ]);
  expect(ev[1]).toMatchObject({ via: '198.18.3.2', proto: 'static', family: 4 });
  expect(ev[2]?.nexthops).toEqual([{ via: '198.18.3.2', dev: 'd0', weight: 1 }, { via: '198.18.3.3', dev: 'd0', weight: 1 }]);
  expect(ev[3]).toMatchObject({ family: 6, via: '2001:2:0:3::2', metric: 1024 });
  expect(ev[4]).toMatchObject({ lladdr: '02:00:00:00:00:09', state: 'PERMANENT', dev: 'd0' });
  expect(ev[4]?.kernelWallMs).toBe(Date.UTC(2026, 11, 7, 5, 48, 0) + 710.583);
});

test('oneline bridge -t monitor fdb: the Timestamp line still stamps the record that follows it', () => {
  const p = createLineParser({ oneline: true, defaultObject: 'fdb' });
  expect(p.push('Timestamp: Mon Dec  7 05:46:19 2026 849622 usec')).toEqual([]);
  const [e] = p.push('02:00:00:00:00:0b dev d1 master br0 static');
  expect(e).toMatchObject({ object: 'fdb', kind: 'add', dev: 'd1', master: 'br0', prefix: '02:00:00:00:00:0b' });
  expect(e?.kernelWallMs).toBe(Date.UTC(2026, 11, 7, 5, 46, 19) + 849.622);
});
