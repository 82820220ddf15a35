import { expect, test } from '@playwright/test';
import {
  floodArgv, floodResult, parseBridgeLinks, parseBridgePorts, parseFloodLine, suppressionState,
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
test('ports, learning and neigh_suppress of one bridge from iproute2 JSON', () => {
  expect(parseBridgePorts('[{"ifindex":4,"ifname":"a0"},{"ifindex":5,"ifname":"vx0"}]')).toEqual(['a0', 'vx0']);
  expect(parseBridgePorts('')).toEqual([]);
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

test('counter argv: ports with nolearn, no FDB seed (the helper dumps the FDB), bounds checked', () => {
  const ports = parseBridgeLinks(BRIDGE_LINK, 'br0');
  expect(floodArgv({ binary: '/x/floodcount', bridge: 'br0', ports, maxMs: 1500.2, holdMs: 5 })).toEqual([
    '/x/floodcount', '--bridge', 'br0', '--max-ms', '1501', '--hold-ms', '5', '--port', 'a0', '--port', 'vx0,nolearn']);
  expect(floodArgv({ binary: 'f', bridge: 'br0', ports: ports.slice(0, 1), maxMs: 10, netlinkRcvbufBytes: 4096.5 }))
    .toEqual(['f', '--bridge', 'br0', '--max-ms', '10', '--nl-rcvbuf', '4097', '--port', 'a0']);
  expect(() => floodArgv({ binary: 'f', bridge: 'br0', ports: [], maxMs: 1 })).toThrow(/no ports/);
  expect(() => floodArgv({ binary: 'f', bridge: 'br0', ports, maxMs: 0 })).toThrow(/maxMs/);
});

const zero: FloodClassCounts = { frames: 0, unicast: 0, arpRequest: 0, arpReply: 0, arpGratuitous: 0, rarp: 0, ndRs: 0,
  ndRa: 0, ndNs: 0, ndNa: 0, unknownUnicast: 0 };
const countersLine = (segment: Partial<FloodClassCounts>, drops = 0, final = true,
  nl: { overruns?: number; resyncs?: number; errors?: number } = {}): string => JSON.stringify({
  type: 'counters', reason: final ? 'eof' : 'dump', final, startMonoMs: 1000, endMonoMs: 3500.5,
  segment: { ...zero, ...segment },
  ports: [{ name: 'p1', rx: { ...zero, arpRequest: 3 }, tx: zero, drops },
    { name: 'p2', rx: zero, tx: { ...zero, arpRequest: 3 }, drops: 0 }],
  learned: 2, seeded: 4, tableFull: 0, outsideWindow: 0, holdOverflow: 0, truncated: 0, fdbEvents: 3, fdbDumped: 9,
  fdbResyncs: nl.resyncs ?? 0, netlinkErrors: nl.errors ?? 0, netlinkOverruns: nl.overruns ?? 0 });

test('helper lines: hello and counters parsed; totals count each frame once per segment', () => {
  const hello = parseFloodLine('{"type":"hello","version":1,"bridge":"br0","startMonoMs":1000.5,"dedupMs":50.000,' +
    '"holdMs":5.000,"maxMs":600000,"seeded":4,"fdbDumped":6,"ports":[{"name":"p1","ifindex":3,"learning":true},' +
    '{"name":"vx0","ifindex":4,"learning":false}]}');
  expect(hello).toEqual({ type: 'hello', bridge: 'br0', startMonoMs: 1000.5, dedupMs: 50, holdMs: 5, seeded: 4, fdbDumped: 6,
    ports: [{ name: 'p1', learning: true }, { name: 'vx0', learning: false }] });
  const c = parseFloodLine(countersLine({ arpRequest: 3, arpReply: 1, arpGratuitous: 2, rarp: 5, ndNs: 4, ndNa: 1,
    ndRs: 1, ndRa: 2, unknownUnicast: 7 })) as FloodCountersLine;
  expect(c.type).toBe('counters');
  expect([c.fdbEvents, c.fdbDumped, c.fdbResyncs, c.netlinkErrors, c.netlinkOverruns]).toEqual([3, 9, 0, 0, 0]);
  const r = floodResult('torA', 'br100', c, { holdMs: 5 });
  expect([r.flood_arp_packets, r.flood_nd_packets, r.flood_unknown_unicast_packets]).toEqual([4, 8, 7]);
  expect(r.ports.map((p) => [p.port, p.rx.arpRequest, p.tx.arpRequest])).toEqual([['p1', 3, 0], ['p2', 0, 3]]);
  expect(r.window).toEqual({ startMonoMs: 1000, endMonoMs: 3500.5, durationMs: 2500.5 });
  expect(r.health).toBe('ok');
  expect(r.resolution).toContain('5 ms');
  expect(parseFloodLine('floodcount: bind to p9 failed')).toBeUndefined();
  expect(() => parseFloodLine('{"type":"counters","segment":{}}')).toThrow(/missing/);
  // A counters line without the FDB-follow counters comes from a helper built before them: refused, named.
  const old = JSON.parse(countersLine({})) as Record<string, unknown>;
  delete old.fdbEvents;
  expect(() => parseFloodLine(JSON.stringify(old))).toThrow(/fdbEvents missing/);
});

test('kernel drops make the counts lower bounds: health degraded with the reason', () => {
  const r = floodResult('torA', 'br100', parseFloodLine(countersLine({ arpRequest: 1 }, 12)) as FloodCountersLine);
  expect(r.health).toBe('degraded');
  expect(r.reasons.join()).toMatch(/12 frames dropped/);
});

test('netlink overruns and errors while following the FDB degrade the result with the reason', () => {
  const over = floodResult('torA', 'br100', parseFloodLine(countersLine({}, 0, true, { overruns: 2, resyncs: 2 })) as
    FloodCountersLine);
  expect(over.health).toBe('degraded');
  expect(over.reasons).toEqual([expect.stringMatching(/FDB events lost 2 times .* re-read by 2 dumps/)]);
  const err = floodResult('torA', 'br100', parseFloodLine(countersLine({}, 0, true, { errors: 1 })) as FloodCountersLine);
  expect(err.health).toBe('degraded');
  expect(err.reasons.join()).toMatch(/1 netlink errors/);
  expect(floodResult('torA', 'br100', parseFloodLine(countersLine({})) as FloodCountersLine).health).toBe('ok');
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
