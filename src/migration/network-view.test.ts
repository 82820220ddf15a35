import { expect, test } from '@playwright/test';
import { labTestbed } from './fixtures/lab-testbed.js';
import { floodMetrics, judgeRoundabout, pathTargets, pathView } from './network-view.js';
import type { PathHop, PathTrace } from './types.js';

const withClientB = labTestbed({
  trafficHosts: [...labTestbed().trafficHosts,
    { name: 'clientB', kind: 'netns', site: 'B', netns: 'clientB', ipv4: '198.18.21.2', probeByDefault: false }],
});
const hop = (ttl: number, device: string | undefined, site?: string): PathHop =>
  ({ ttl, rttMs: [0.4], ...(device === undefined ? {} : { device, address: `198.18.99.${ttl}` }),
    ...(site === undefined ? {} : { site }) });
const trace = (from: string, hops: PathHop[], reached = true): PathTrace =>
  ({ from, to: '198.18.10.100', reached, hops });

test('targets: every traffic host toward each address of the move\'s families, without prefix lengths', () => {
  const plan = { testbed: withClientB, vm: withClientB.vms[0]!, families: [4, 6] as const };
  expect(pathTargets({ ...plan, families: [...plan.families] })).toEqual([
    { from: 'client', to: '198.18.10.100' }, { from: 'client', to: '2001:2:0:10::101' },
    { from: 'clientB', to: '198.18.10.100' }, { from: 'clientB', to: '2001:2:0:10::101' },
  ]);
});

test('roundabout: judged from the hosts outside the old site; a hop there is the detour', () => {
  const plan = { testbed: withClientB, source: 'hv1' };
  // Tunnel from the destination site: clientB → coreB → coreA → torA (anchor) → torB → VM.
  const tunnel = [trace('client', [hop(1, 'coreA', 'A'), hop(2, 'coreB', 'B')]),
    trace('clientB', [hop(1, 'coreB', 'B'), hop(2, 'coreA', 'A'), hop(3, 'torA', 'A'), hop(4, 'torB', 'B')])];
  expect(judgeRoundabout(plan, tunnel)).toBe(true);
  // Host route: clientB → coreB → torB → VM; client's own coreA does not count.
  const direct = [trace('client', [hop(1, 'coreA', 'A'), hop(2, 'coreB', 'B'), hop(3, 'torB', 'B')]),
    trace('clientB', [hop(1, 'coreB', 'B'), hop(2, 'torB', 'B')])];
  expect(judgeRoundabout(plan, direct)).toBe(false);
  // A trace that did not reach the VM says nothing.
  expect(judgeRoundabout(plan, [trace('clientB', [hop(1, 'coreB', 'B')], false)])).toBeUndefined();
  // Moving from site B: the old site is B, clientB is inside it, client outside.
  expect(judgeRoundabout({ testbed: withClientB, source: 'hv3' }, direct)).toBe(true);
});

test('roundabout with every traffic host at the old site: only a hop at its TOR counts', () => {
  const plan = { testbed: labTestbed(), source: 'hv1' };
  expect(judgeRoundabout(plan, [trace('client', [hop(1, 'coreA', 'A'), hop(2, 'coreB', 'B')])])).toBe(false);
  expect(judgeRoundabout(plan, [trace('client', [hop(1, 'coreA', 'A'), hop(2, 'torA', 'A')])])).toBe(true);
  expect(judgeRoundabout(plan, [trace('client', [hop(1, undefined), hop(2, 'torA', 'A')])])).toBe(true);
});

test('path view: traces tagged before/after; without a verdict the notes say why', () => {
  const plan = { testbed: withClientB, source: 'hv1' };
  const before = [trace('clientB', [hop(1, 'coreB', 'B'), hop(2, 'coreA', 'A')])];
  const v = pathView(plan, 'm', before, undefined, ['path after the move: timed out']);
  expect(v?.traces.map((t) => t.when)).toEqual(['before']);
  expect(v?.viaOldSite).toBeUndefined();
  expect(v?.detail).toBe('path after the move: timed out');
  expect(v?.oldSite).toBe('A');
  expect(pathView(plan, 'm', undefined, undefined, [])).toBeUndefined();
  const after = pathView(plan, 'm', before, [trace('clientB', [hop(1, 'coreB', 'B')])], []);
  expect(after?.viaOldSite).toBe(false);
  expect(after?.detail).toBeUndefined();
});

test('flooding metrics: each class summed over the segments, method naming segments and suppression', () => {
  const ms = floodMetrics({ suppression: 'off', method: 'AF_PACKET capture', segments: [
    { device: 'torA', bridge: 'brA', arp: 3, nd: 4, unknownUnicast: 1 },
    { device: 'torB', bridge: 'brB', arp: 2, nd: 0, unknownUnicast: 5 }] });
  expect(ms.map((m) => [m.name, m.value, m.unit])).toEqual([
    ['flood_arp_packets', 5, 'packets'], ['flood_nd_packets', 4, 'packets'],
    ['flood_unknown_unicast_packets', 6, 'packets']]);
  expect(ms[0]?.method).toContain('torA/brA, torB/brB');
  expect(ms[0]?.method).toContain('suppression off');
});

test('flooding metrics: no segment counted is not measured (null), never zero; a partial count names the missing', () => {
  const none = floodMetrics({ suppression: 'unknown', method: 'AF_PACKET', segments: [], problems: ['torB/br101: no counts'] });
  expect(none.map((m) => m.value)).toEqual([null, null, null]);
  expect(none[0]?.method).toContain('problems: torB/br101: no counts');
  const part = floodMetrics({ suppression: 'off', method: 'AF_PACKET', problems: ['torB/br101: x'],
    segments: [{ device: 'torA', bridge: 'br100', arp: 2, nd: 1, unknownUnicast: 0 }] });
  expect(part.map((m) => m.value)).toEqual([2, 1, 0]);
  expect(part[2]?.method).toMatch(/segments torA\/br100;.*problems: torB\/br101: x/);
});
