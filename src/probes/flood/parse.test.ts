import { expect, test } from '@playwright/test';
import {
  fdbSeeds, floodArgv, floodResult, parseBridgeLinks, parseBridgePorts, parseFloodLine, parseLinkMac, suppressionState,
  type FloodCountersLine,
} from './parse.js';
import { combineSuppression, createFloodObserver } from './observer.js';
import type { FloodClassCounts, FloodCounterSource, FloodSegmentResult } from './types.js';

// Captured from iproute2 6.1 on a bridge br0 with a veth a0 (neigh_suppress on) and a VXLAN port vx0 (learning off).
const BRIDGE_LINK = '[{"ifindex":4,"link":"a1","ifname":"a0","flags":["BROADCAST","MULTICAST","UP"],"mtu":1500,' +
  '"master":"br0","state":"forwarding","priority":32,"cost":2,"hairpin":false,"learning":true,"flood":true,' +
  '"neigh_suppress":true},{"ifindex":5,"ifname":"vx0","flags":["BROADCAST","MULTICAST"],"mtu":1500,"master":"br0",' +
  '"state":"disabled","priority":32,"cost":100,"learning":false,"flood":true,"neigh_suppress":false},' +
  '{"ifindex":9,"ifname":"other","master":"br9","learning":true,"neigh_suppress":true}]';
const FDB = '[{"mac":"33:33:00:00:00:01","ifname":"br0","flags":["self"],"state":"permanent"},' +
  '{"mac":"b2:63:9d:e7:ce:94","ifname":"a0","flags":[],"master":"br0","state":"permanent"},' +
  '{"mac":"33:33:00:00:00:01","ifname":"a0","flags":["self"],"state":"permanent"},' +
  '{"mac":"02:00:00:00:00:08","ifname":"vx0","flags":["extern_learn"],"master":"br0","state":""},' +
  '{"mac":"02:00:00:00:00:07","ifname":"a0","flags":[],"master":"br0","state":"static"},' +
  '{"mac":"00:00:00:00:00:00","ifname":"vx0","dst":"198.18.0.2","flags":["self"],"state":"permanent"},' +
  '{"mac":"02:00:00:00:00:09","ifname":"vx0","dst":"198.18.0.2","flags":["self"],"state":"permanent"},' +
  '{"mac":"02:aa:00:00:00:01","ifname":"br0","flags":["self"],"state":"permanent"},' +
  '{"mac":"02:00:00:00:00:0a","ifname":"gone","master":"br0","state":""}]';

test('ports, learning and neigh_suppress of one bridge from iproute2 JSON', () => {
  expect(parseBridgePorts('[{"ifindex":4,"ifname":"a0"},{"ifindex":5,"ifname":"vx0"}]')).toEqual(['a0', 'vx0']);
  expect(parseBridgePorts('')).toEqual([]);
  expect(parseLinkMac('[{"ifname":"br0","address":"AA:BB:CC:00:11:22"}]')).toBe('aa:bb:cc:00:11:22');
  expect(parseBridgeLinks(BRIDGE_LINK, 'br0')).toEqual([
    { port: 'a0', learning: true, neighSuppress: true },
    { port: 'vx0', learning: false, neighSuppress: false },
  ]);
  expect(() => parseBridgePorts('Cannot find device "br7"')).toThrow(/not JSON/);
});

test('suppression reads on, off or mixed over the ports considered', () => {
  expect(suppressionState(BRIDGE_LINK, 'br0').arp_nd_suppression).toBe('mixed');
  expect(suppressionState(BRIDGE_LINK, 'br0', ['a0'])).toEqual({ arp_nd_suppression: 'on',
    ports: [{ port: 'a0', neighSuppress: true }] });
  expect(suppressionState(BRIDGE_LINK, 'br0', ['vx0']).arp_nd_suppression).toBe('off');
  expect(suppressionState(BRIDGE_LINK, 'br9').arp_nd_suppression).toBe('on');
  expect(suppressionState('[]', 'br0')).toEqual({ arp_nd_suppression: 'off', ports: [] });
  expect(combineSuppression(['on', 'on'])).toBe('on');
  expect(combineSuppression(['on', 'off'])).toBe('mixed');
  expect(combineSuppression([])).toBe('unknown');
});

test('FDB seed: bridge entries on watched ports, local for own MACs, no multicast or device-own entries', () => {
  expect(fdbSeeds(FDB, 'br0', ['a0', 'vx0'], '02:AA:00:00:00:FF')).toEqual([
    { mac: '02:aa:00:00:00:ff', where: 'local' },
    { mac: 'b2:63:9d:e7:ce:94', where: 'local' },
    { mac: '02:00:00:00:00:08', where: 'vx0' },
    { mac: '02:00:00:00:00:07', where: 'a0' },
    { mac: '02:aa:00:00:00:01', where: 'local' },
  ]);
});

test('counter argv: ports with nolearn, seeds only for watched ports, bounds checked', () => {
  const ports = parseBridgeLinks(BRIDGE_LINK, 'br0');
  expect(floodArgv({ binary: '/x/floodcount', bridge: 'br0', ports, maxMs: 1500.2, holdMs: 5,
    seeds: [{ mac: '02:00:00:00:00:08', where: 'vx0' }, { mac: '02:00:00:00:00:01', where: 'gone' },
      { mac: '02:aa:00:00:00:01', where: 'local' }] })).toEqual([
    '/x/floodcount', '--bridge', 'br0', '--max-ms', '1501', '--hold-ms', '5', '--port', 'a0', '--port', 'vx0,nolearn',
    '--fdb', '02:00:00:00:00:08=vx0', '--fdb', '02:aa:00:00:00:01=local']);
  expect(() => floodArgv({ binary: 'f', bridge: 'br0', ports: [], seeds: [], maxMs: 1 })).toThrow(/no ports/);
  expect(() => floodArgv({ binary: 'f', bridge: 'br0', ports, seeds: [], maxMs: 0 })).toThrow(/maxMs/);
});

const zero: FloodClassCounts = { frames: 0, unicast: 0, arpRequest: 0, arpReply: 0, arpGratuitous: 0, rarp: 0, ndRs: 0,
  ndRa: 0, ndNs: 0, ndNa: 0, unknownUnicast: 0 };
const countersLine = (segment: Partial<FloodClassCounts>, drops = 0, final = true): string => JSON.stringify({
  type: 'counters', reason: final ? 'eof' : 'dump', final, startMonoMs: 1000, endMonoMs: 3500.5,
  segment: { ...zero, ...segment },
  ports: [{ name: 'p1', rx: { ...zero, arpRequest: 3 }, tx: zero, drops },
    { name: 'p2', rx: zero, tx: { ...zero, arpRequest: 3 }, drops: 0 }],
  learned: 2, seeded: 4, tableFull: 0, outsideWindow: 0, holdOverflow: 0, truncated: 0 });

test('helper lines: hello and counters parsed; totals count each frame once per segment', () => {
  const hello = parseFloodLine('{"type":"hello","version":1,"bridge":"br0","startMonoMs":1000.5,"dedupMs":50.000,' +
    '"holdMs":5.000,"maxMs":600000,"seeded":4,"ports":[{"name":"p1","ifindex":3,"learning":true},' +
    '{"name":"vx0","ifindex":4,"learning":false}]}');
  expect(hello).toEqual({ type: 'hello', bridge: 'br0', startMonoMs: 1000.5, dedupMs: 50, holdMs: 5, seeded: 4,
    ports: [{ name: 'p1', learning: true }, { name: 'vx0', learning: false }] });
  const c = parseFloodLine(countersLine({ arpRequest: 3, arpReply: 1, arpGratuitous: 2, rarp: 5, ndNs: 4, ndNa: 1,
    ndRs: 1, ndRa: 2, unknownUnicast: 7 })) as FloodCountersLine;
  expect(c.type).toBe('counters');
  const r = floodResult('torA', 'br100', c, { holdMs: 5 });
  expect([r.flood_arp_packets, r.flood_nd_packets, r.flood_unknown_unicast_packets]).toEqual([4, 8, 7]);
  expect(r.ports.map((p) => [p.port, p.rx.arpRequest, p.tx.arpRequest])).toEqual([['p1', 3, 0], ['p2', 0, 3]]);
  expect(r.window).toEqual({ startMonoMs: 1000, endMonoMs: 3500.5, durationMs: 2500.5 });
  expect(r.health).toBe('ok');
  expect(r.resolution).toContain('5 ms');
  expect(parseFloodLine('floodcount: bind to p9 failed')).toBeUndefined();
  expect(() => parseFloodLine('{"type":"counters","segment":{}}')).toThrow(/missing/);
});

test('kernel drops make the counts lower bounds: health degraded with the reason', () => {
  const r = floodResult('torA', 'br100', parseFloodLine(countersLine({ arpRequest: 1 }, 12)) as FloodCountersLine);
  expect(r.health).toBe('degraded');
  expect(r.reasons.join()).toMatch(/12 frames dropped/);
});

test('observer: per-segment totals, errored segments left out and named, suppression combined', async () => {
  const result = (device: string, arp: number | undefined): FloodSegmentResult => ({
    ...floodResult(device, 'br100', parseFloodLine(countersLine({ arpRequest: arp ?? 0, ndNs: 2 })) as FloodCountersLine),
    ...(arp === undefined ? { flood_arp_packets: undefined, health: 'errored' as const, reasons: ['helper died'] } : {}),
  });
  const source: FloodCounterSource = {
    kind: 'fake',
    start: async (segment) => ({ segment, read: async () => result(segment.device, 1),
      stop: async () => result(segment.device, segment.device === 'torB' ? undefined : 3) }),
    suppression: async (s) => ({ arp_nd_suppression: s.device === 'torA' ? 'on' : 'off', ports: [] }),
  };
  const obs = createFloodObserver(source, (d) => [{ device: d, bridge: 'br100' }]);
  await obs.start(['torA', 'torB'], { timeoutMs: 1000 });
  const w = await obs.stop({ timeoutMs: 1000 });
  expect(w.segments).toEqual([{ device: 'torA', bridge: 'br100', arp: 3, nd: 2, unknownUnicast: 0 }]);
  expect(w.problems).toEqual(['torB/br100: no counts (helper died)']);
  expect(w.suppression).toBe('mixed');
  expect(w.method).toMatch(/^fake: AF_PACKET/);
});
