import { expect, test } from '@playwright/test';
import { checkConformance } from './conformance.js';
import { decompose } from './decompose.js';
import { assessHealth } from '../measure/health.js';
import { measuredFlow } from './fixtures/measured-flow.js';
import { assembleMetrics } from './metrics.js';
import { edge } from './strategies/ops.js';
import { flowEvents, formatTimeline, mergeTimeline, routeEvents, toControllerClock } from './timeline.js';
import type { FlowResultLike, FlowSpec, TimelineEvent } from './types.js';

// A cross-subnet BGP move shaped like the lab's measurements (embedded-lab.md §10): blackout 200 ms,
// route at torB 5 ms after RESUMED, coreA +175 ms later, outage ≈ 378 ms.
const T0 = 1_000_000_000n;
const WALL0 = 1_760_000_000_000;
const at = (ms: number): { monoNs: bigint; wallMs: number } => ({
  monoNs: T0 + BigInt(Math.round(ms * 1e6)),
  wallMs: WALL0 + ms,
});
const ev = (ms: number, source: TimelineEvent['source'], host: string, kind: string): TimelineEvent => ({
  t: at(ms),
  source,
  host,
  kind,
});

const hyper = [ev(620, 'hypervisor', 'hv1', 'suspended'), ev(820, 'hypervisor', 'hv3', 'resumed'),
  ev(2000, 'hypervisor', 'hv1', 'stopped')];
const ctrl = [ev(100, 'controller', 'hv1', 'migrate-call'), ev(821, 'controller', 'controller', 'switchover-begin'),
  ev(3300, 'controller', 'hv1', 'migrate-returned')];
const routes = routeEvents([
  { t: at(826), router: 'torB', prefix: '198.18.10.100/32', action: 'add' },
  { t: at(950), router: 'coreB', prefix: '198.18.10.100/32', action: 'add' },
  { t: at(1001), router: 'coreA', prefix: '198.18.10.100/32', action: 'add' },
]);
const flow: FlowResultLike = {
  flow: 'client→vm1 v4', family: 4, ratePps: 1000, achievedPps: 1000, sent: 5000, received: 4623, baselineReplies: 600,
  lossBeforeTrigger: 0, rttBeforeMs: 0.3, rttAfterMs: 60.4,
  episodes: [{ firstSeq: 620, lost: 377, startNs: at(619).monoNs, endNs: at(997).monoNs }],
  firstReplyAfterNs: at(1003).monoNs, stableAfterNs: at(1010).monoNs,
};
// The same flow as measure/ sees it: 1 kpps from 100 ms before the trigger (migrate call at 100 ms),
// packets sent 619 → 996 ms lost (377), RTT 0.3 ms before and 60.4 ms after. Controller ms = 1000 + t.
const spec: FlowSpec = {
  name: 'client→vm1 v4',
  from: 'client',
  target: '198.18.10.100',
  family: 4,
  port: 9,
  ratePps: 1000,
};
const shape = {
  triggerMs: 1100,
  endMs: 6000,
  outage: { fromMs: 1619, toMs: 1996 },
  rttBeforeMs: 0.3,
  rttAfterMs: 60.4,
};
const measured = measuredFlow(spec, shape);
const timeline = mergeTimeline([
  { events: [...hyper, ...ctrl] },
  { events: routes },
  { events: flowEvents([flow], at(0)) },
]);

test('timeline: streams merged in controller-monotonic order; remote clocks mapped with their uncertainty', () => {
  const kinds = timeline.map((e) => e.kind);
  expect(kinds.slice(0, 5)).toEqual(['migrate-call', 'outage-start', 'suspended', 'resumed', 'switchover-begin']);
  // A switch 250 ms behind the controller reports a route change at its 600 ms: controller 850 ms.
  const mapping = { offsetMs: 250, uncertaintyMs: 2, anchor: at(0) };
  expect(toControllerClock(WALL0 + 600, mapping)).toEqual(at(850));
  const merged = mergeTimeline([
    { events: hyper },
    { events: [ev(600, 'control-plane', 'torB', 'route-add')], clock: mapping },
  ]);
  expect(merged.map((e) => `${e.kind}@${e.host}`)).toEqual([
    'suspended@hv1',
    'resumed@hv3',
    'route-add@torB',
    'stopped@hv1',
  ]);
  expect(merged[2]?.uncertaintyMs).toBe(2);
  expect(formatTimeline(merged)).toContain('+   230.000 ms ±2 ms  control-plane torB     route-add');
});

test('decomposition: blackout and L3 route attributed inside the outage, residual reported', () => {
  const d = decompose({ timeline, source: 'hv1', destination: 'hv3', routers: ['torB', 'coreB', 'coreA', 'torA'] });
  expect(d.flow).toBe('client→vm1 v4');
  expect(d.outageMs).toBeCloseTo(378, 6);
  const c = Object.fromEntries(d.components.map((x) => [x.name, x]));
  expect(c['blackout']?.ms).toBeCloseTo(200, 6);
  expect(c['l3-route']?.ms).toBeCloseTo(180, 6); // 821 → 1001
  expect(c['l3-route']?.inOutageMs).toBeCloseTo(176, 6); // clipped at the outage end (997)
  // Outage 619 → 997; attributed 620 → 820 and 821 → 997: the 1 ms before SUSPENDED and the 1 ms
  // between RESUMED and the switchover are residual.
  expect(d.attributedMs).toBeCloseTo(376, 6);
  expect(d.overlapMs).toBeCloseTo(0, 6);
  expect(d.residualMs).toBeCloseTo(2, 6);
});

test('decomposition: L2 announce and overlay control from MAC move and EVPN updates; overlaps counted once', () => {
  const evpn = mergeTimeline([
    {
      events: [
        ...hyper,
        ev(835, 'control-plane', 'torB', 'mac-move'),
        ev(900, 'control-plane', 'torA', 'evpn-update'),
        ev(910, 'control-plane', 'coreA', 'evpn-update'),
        ev(830, 'controller', 'controller', 'switchover-begin'),
        ev(840, 'control-plane', 'torB', 'route-add'),
      ],
    },
    {
      events: flowEvents(
        [{ ...flow, episodes: [{ firstSeq: 1, lost: 300, startNs: at(619).monoNs, endNs: at(950).monoNs }] }],
        at(0),
      ),
    },
  ]);
  const d = decompose({ timeline: evpn, source: 'hv1', destination: 'hv3', routers: ['torB'] });
  expect(d.components.map((x) => [x.name, Math.round(x.ms)])).toEqual(
    [['blackout', 200], ['l2-announce', 15], ['overlay-control', 75], ['l3-route', 10]]);
  // Outage 619 → 950 (331 ms); union 620 → 910 (290 ms); the L3 interval lies inside the overlay one.
  expect(d.overlapMs).toBeCloseTo(10, 6);
  expect(d.residualMs).toBeCloseTo(41, 6);
  const none = decompose({
    timeline: mergeTimeline([{ events: hyper }]),
    source: 'hv1',
    destination: 'hv3',
    routers: [],
  });
  expect(none.residualMs).toBeUndefined();
  expect(none.notes[0]).toContain('no data-plane outage');
});

test('decomposition: a RARP seen before the RESUMED event and a reply before it are still attributed', () => {
  // Same-site return: the MAC moves 2 ms and the first reply comes 1 ms before RESUMED is received.
  const tl = mergeTimeline([
    {
      events: [...hyper, ev(818, 'control-plane', 'torA', 'mac-move'), ev(980, 'control-plane', 'torB', 'evpn-update')],
    },
    {
      events: flowEvents(
        [{ ...flow, episodes: [{ firstSeq: 1, lost: 200, startNs: at(615).monoNs, endNs: at(819).monoNs }] }],
        at(0),
      ),
    },
  ]);
  const d = decompose({ timeline: tl, source: 'hv1', destination: 'hv3', routers: [] });
  expect(d.outageMs).toBeCloseTo(204, 6);
  expect(d.components.map((x) => [x.name, Math.round(x.ms)])).toEqual([
    ['blackout', 200],
    ['l2-announce', 0],
    ['overlay-control', 162],
  ]);
  expect(d.residualMs).toBeCloseTo(5, 6);
});

test('conformance: order, bounds, missing and optional edges', () => {
  const ok = checkConformance(timeline, [
    edge('blackout', { kind: 'suspended', host: 'hv1' }, { kind: 'resumed', host: 'hv3' }, 0, 1200),
    edge('switchover keyed to RESUMED', { kind: 'resumed', host: 'hv3' }, { kind: 'switchover-begin' }, 0, 100),
    edge('not keyed to the return', { kind: 'switchover-begin' }, { kind: 'migrate-returned' }, 0, Infinity, false),
    edge('mac move (optional)', { kind: 'resumed' }, { kind: 'mac-move' }, 0, 100, false),
  ]);
  expect(ok.ok).toBe(true);
  expect(ok.edges.map((e) => e.skipped)).toEqual([false, false, false, true]);
  const bad = mergeTimeline([{ events: [...hyper, ev(3300, 'controller', 'hv1', 'migrate-returned'),
    ev(3310, 'controller', 'controller', 'switchover-begin'),
    ev(3320, 'control-plane', 'torB', 'route-del'), ev(3400, 'control-plane', 'torC', 'route-add')] }]);
  const c = checkConformance(bad, [
    edge('switchover keyed to RESUMED', { kind: 'resumed', host: 'hv3' }, { kind: 'switchover-begin' }, 0, 100),
    edge('not keyed to the return', { kind: 'switchover-begin' }, { kind: 'migrate-returned' }, 0, Infinity, false),
    edge(
      'old withdrawn only after new announced',
      { kind: 'route-add', host: 'torC' },
      { kind: 'route-del', host: 'torB' },
      0,
      1000,
    ),
    edge('route at the gateway', { kind: 'route-add', host: 'torC' }, { kind: 'route-add', host: 'coreA' }, 0, 1000),
  ]);
  expect(c.ok).toBe(false);
  expect(c.violations.map((v) => [v.label, v.violation])).toEqual([
    ['switchover keyed to RESUMED', 'too-late'], ['not keyed to the return', 'order'],
    ['old withdrawn only after new announced', 'order'], ['route at the gateway', 'missing']]);
  expect(c.violations[2]?.message).toBe('route-del@torB came 80.0 ms before route-add@torC');
});

test('metrics: every value names method, resolution and clock; reconvergence ends at the gateway', () => {
  const ms = assembleMetrics({
    timeline,
    flows: [measured],
    source: 'hv1',
    destination: 'hv3',
    gateway: 'coreA',
    routeResolutionMs: 1,
    stats: { downtimeMs: 198, timeElapsedMs: 550, setupTimeMs: 4, memoryProcessedBytes: 92e6, memoryIterations: 2 },
  });
  const get = (n: string): number | null | undefined => ms.find((m) => m.name === n)?.value;
  expect(get('hypervisor_downtime_ms')).toBe(198);
  expect(get('event_gap_ms')).toBeCloseTo(200, 6);
  expect(get('reconvergence_ms')).toBeCloseTo(181, 6);
  // First reply: the packet sent at 996 ms arrives 60.4 ms later, 236.4 ms after RESUMED (820).
  expect(get('first_reply_ms')).toBeCloseTo(236.4, 6);
  expect(Math.abs((get('stable_rate_ms') as number) - 176)).toBeLessThanOrEqual(10);
  // Gap 618 → 996 ms at 1 ms spacing: 377 ms once the edge interval is taken off.
  expect(get('gap_tx_ms')).toBeCloseTo(377, 6);
  expect(get('loss_derived_ms')).toBeCloseTo(377, 6);
  expect(get('packets_lost')).toBe(377);
  expect(get('episodes_count')).toBe(1);
  expect(get('rtt_step_ms')).toBeCloseTo(60.1, 6);
  expect(get('migrate_call_wall_ms')).toBeCloseTo(3200, 6);
  expect(get('iterations')).toBe(2);
  expect(ms.find((m) => m.name === 'gap_tx_ms')).toMatchObject({ resolutionMs: 1, flow: spec.name, unit: 'ms' });
  expect(ms.find((m) => m.name === 'packets_lost')?.unit).toBe('packets');
  // An achieved rate below the configured one coarsens the resolution.
  const slow = assembleMetrics({
    timeline,
    flows: [measuredFlow(spec, { ...shape, ratePps: 500 })],
    source: 'hv1',
    destination: 'hv3',
    routeResolutionMs: 1,
  });
  expect(slow.find((m) => m.name === 'gap_tx_ms')?.resolutionMs).toBe(2);
  for (const m of ms) {
    expect(m.method.length).toBeGreaterThan(5);
    expect(m.clock.length).toBeGreaterThan(5);
  }
});

test('health: no baseline or pre-trigger loss is ERRORED, low send rate degraded, silent guest is infrastructure', () => {
  expect(assessHealth({ flows: [flow], clockSyncKnown: true, expectFlows: true, guestAnswered: true }).health).toBe(
    'ok',
  );
  expect(
    assessHealth({ flows: [{ ...flow, baselineReplies: 0 }], clockSyncKnown: true, expectFlows: true }).health,
  ).toBe('errored');
  expect(
    assessHealth({ flows: [{ ...flow, lossBeforeTrigger: 3 }], clockSyncKnown: true, expectFlows: true }).reasons[0],
  ).toContain('3 packet(s) lost before the trigger');
  expect(assessHealth({ flows: [{ ...flow, achievedPps: 900 }], clockSyncKnown: true, expectFlows: true }).health).toBe(
    'degraded',
  );
  // A span a few microseconds longer than planned (999.9994 pps of 1000) is the same rule as the flow's: ok.
  expect(assessHealth({ flows: [{ ...flow, achievedPps: 999.9994 }], clockSyncKnown: true, expectFlows: true }).health)
    .toBe('ok');
  expect(assessHealth({ flows: [], clockSyncKnown: true, expectFlows: true }).health).toBe('errored');
  const silent = assessHealth({ flows: [flow], clockSyncKnown: false, expectFlows: true, guestAnswered: false });
  expect(silent).toMatchObject({ health: 'errored', infrastructure: true });
});

test('health: a memory check without a verdict degrades the run; ok and unchecked do not; corrupt is not infrastructure', () => {
  const base = { flows: [flow], clockSyncKnown: true, expectFlows: true, guestAnswered: true };
  const unknown = assessHealth({
    ...base,
    memoryIntegrity: { status: 'unknown', detail: 'the guest control port did not answer', method: 'guest memcheck' },
  });
  expect(unknown).toMatchObject({ health: 'degraded', infrastructure: false });
  expect(unknown.reasons).toContain('memory integrity unknown: the guest control port did not answer');
  expect(assessHealth({ ...base, memoryIntegrity: { status: 'ok', detail: '', method: 'm' } }).health).toBe('ok');
  expect(assessHealth({ ...base, memoryIntegrity: { status: 'unchecked', detail: '', method: 'm' } }).health).toBe(
    'ok',
  );
  expect(
    assessHealth({ ...base, memoryIntegrity: { status: 'corrupt', detail: 'page 1', method: 'm' } }).infrastructure,
  ).toBe(false);
});

test('TCP session figures: survived and longest stall per flow; a session probe without a result degrades the run', () => {
  const tcp = {
    ok: true as const,
    survived: true,
    longestStallMs: 412.5,
    intervalMs: 10,
    resets: 0,
    reconnects: 0,
    sent: 900,
    echoed: 900,
  };
  const ms = assembleMetrics({
    timeline: [],
    flows: [measuredFlow(spec, { ...shape, tcp })],
    source: 'hv1',
    destination: 'hv3',
    routeResolutionMs: 1,
  });
  expect(ms.find((m) => m.name === 'tcp_survived')).toMatchObject({ value: 1, flow: flow.flow, resolutionMs: 0 });
  expect(ms.find((m) => m.name === 'tcp_longest_stall_ms')).toMatchObject({ value: 412.5, resolutionMs: 10 });
  const broken = assembleMetrics({
    timeline: [],
    flows: [measuredFlow(spec, { ...shape, tcp: { ...tcp, survived: false, resets: 1 } })],
    source: 'hv1',
    destination: 'hv3',
    routeResolutionMs: 1,
  });
  expect(broken.find((m) => m.name === 'tcp_survived')?.value).toBe(0);
  const none = { ...flow, tcp: { ok: false as const, failure: 'never connected: ECONNREFUSED' } };
  expect(
    assembleMetrics({
      timeline: [],
      flows: [measuredFlow(spec, { ...shape, tcp: none.tcp })],
      source: 'hv1',
      destination: 'hv3',
      routeResolutionMs: 1,
    }).some((m) => m.name.startsWith('tcp_')),
  ).toBe(false);
  const h = assessHealth({ flows: [none], clockSyncKnown: true, expectFlows: true, guestAnswered: true });
  expect(h.health).toBe('degraded');
  expect(h.reasons.join('; ')).toContain('TCP session probe: never connected: ECONNREFUSED');
  const reset = assessHealth({ flows: [flow], clockSyncKnown: true, expectFlows: true, guestRebootedOn: 'hv3' });
  expect(reset).toMatchObject({ health: 'errored', infrastructure: true });
  expect(reset.reasons[0]).toContain('guest was reset on hv3');
});

test('starvation: baseline loss at a sender pause is the host, scattered baseline loss is the path', () => {
  const busy = { load1: 5.7, cores: 2 };
  // Loss right around a 41 ms pause (the sender and the path starved together): re-measured.
  const atPause = { ...flow, lossBeforeTrigger: 6, maxSenderPauseMs: 41.7, lossNearSenderPause: 6 };
  expect(assessHealth({ flows: [atPause], clockSyncKnown: true, expectFlows: true, host: busy }).starved)
    .toBe('controller overloaded: load 5.7 on 2 cores, sender paused 42 ms (infrastructure: re-measured)');
  // 1 % random loss on a WAN, on the same busy host with a pause elsewhere: ERRORED, not re-measured.
  const lossyPath = { ...flow, lossBeforeTrigger: 9, maxSenderPauseMs: 19, lossNearSenderPause: 0 };
  const wan = assessHealth({ flows: [lossyPath], clockSyncKnown: true, expectFlows: true, host: busy });
  expect(wan.health).toBe('errored');
  expect(wan.starved).toBeUndefined();
  // A flow that failed outright on an overloaded host: re-measured even without a pause.
  const failed = { ...flow, failed: 'probe netns:client exited 1' };
  expect(assessHealth({ flows: [failed], clockSyncKnown: true, expectFlows: true, host: busy }).starved)
    .toMatch(/^controller overloaded: load 5\.7 on 2 cores/);
  expect(assessHealth({ flows: [failed], clockSyncKnown: true, expectFlows: true, host: { load1: 0.3, cores: 2 } })
    .starved).toBeUndefined();
});

test('a stall before the move: one burst of baseline loss per flow is re-measured, scattered loss is not', () => {
  const idle = { load1: 0.2, cores: 2 };
  // What the lab showed once on a busy host: 55 packets in a row lost on both families, 400 ms before the move.
  const burst = (name: string) => ({ ...flow, flow: name, lossBeforeTrigger: 55, maxSenderPauseMs: 1.1,
    lossNearSenderPause: 0, lossBurstBeforeTrigger: { lost: 55, endedBeforeTriggerMs: 402.4 },
    failed: `${name}: 55 packet(s) lost before the trigger` });
  const h = assessHealth({ flows: [burst('client→vm1 v4'), burst('client→vm1 v6')], clockSyncKnown: true,
    expectFlows: true, host: idle });
  expect(h.health).toBe('errored');
  expect(h.starved).toBe('testbed stalled before the move: client→vm1 v4 55 in a row, ending 402 ms before the trigger; '
    + 'client→vm1 v6 55 in a row, ending 402 ms before the trigger (infrastructure: re-measured)');
  // The same count scattered (a lossy path): ERRORED and not re-measured.
  const scattered = { ...burst('a'), lossBurstBeforeTrigger: { lost: 2, endedBeforeTriggerMs: 10 } };
  expect(assessHealth({ flows: [scattered], clockSyncKnown: true, expectFlows: true, host: idle }).starved)
    .toBeUndefined();
  // A burst on one flow but scattered loss on the other: the path is lossy, not stalled.
  expect(assessHealth({ flows: [burst('a'), scattered], clockSyncKnown: true, expectFlows: true, host: idle }).starved)
    .toBeUndefined();
  // A flow that never answered before the trigger (its link is down) did not stall: ERRORED, not re-measured.
  const dead = { ...burst('a'), baselineReplies: 0, lossBeforeTrigger: 1000,
    lossBurstBeforeTrigger: { lost: 1000, endedBeforeTriggerMs: 1 } };
  expect(assessHealth({ flows: [dead], clockSyncKnown: true, expectFlows: true, host: idle }).starved).toBeUndefined();
  // Below five in a row is not told apart from a lossy path.
  const short = { ...burst('a'), lossBeforeTrigger: 4, lossBurstBeforeTrigger: { lost: 4, endedBeforeTriggerMs: 10 } };
  expect(assessHealth({ flows: [short], clockSyncKnown: true, expectFlows: true, host: idle }).starved).toBeUndefined();
});

test('a stall seen by every flow at once: short runs of baseline loss in one shared window are re-measured', () => {
  const idle = { load1: 0.2, cores: 2 };
  // Counts as in the lab's mobility storm in CI (IPv4 23 and IPv6 25 packets lost before the move; where they
  // sat was not kept), placed as a descheduled guest drops them: short runs, the same ~150 ms of a 1.3 s baseline.
  const stalled = (name: string, lost: number, first: number, last: number) => ({ ...flow, flow: name,
    lossBeforeTrigger: lost, maxSenderPauseMs: 1.1, lossNearSenderPause: 0,
    lossBurstBeforeTrigger: { lost: 4, endedBeforeTriggerMs: last },
    lossSpanBeforeTrigger: { firstBeforeTriggerMs: first, lastBeforeTriggerMs: last, baselineMs: 1300 },
    failed: `${name}: ${lost} packet(s) lost before the trigger` });
  const v4 = stalled('client→vm1 v4', 23, 610, 462);
  const v6 = stalled('client→vm1 v6', 25, 612, 455);
  const h = assessHealth({ flows: [v4, v6], clockSyncKnown: true, expectFlows: true, host: idle });
  expect(h.health).toBe('errored');
  expect(h.starved).toBe('testbed stalled before the move: every flow lost its baseline packets in the same 157 ms, '
    + '612–455 ms before the trigger (client→vm1 v4 23, client→vm1 v6 25) (infrastructure: re-measured)');
  // One flow alone: runs that are not one burst are not told apart from a lossy path.
  expect(assessHealth({ flows: [v4], clockSyncKnown: true, expectFlows: true, host: idle }).starved).toBeUndefined();
  // The flows lost packets at different times: independent loss, not one stall.
  const later = stalled('client→vm1 v6', 25, 300, 160);
  expect(assessHealth({ flows: [v4, later], clockSyncKnown: true, expectFlows: true, host: idle }).starved)
    .toBeUndefined();
  // Loss spread over more than a quarter of the baseline (a lossy path): not a stall.
  const spread = [stalled('a', 23, 1200, 100), stalled('b', 25, 1250, 90)];
  expect(assessHealth({ flows: spread, clockSyncKnown: true, expectFlows: true, host: idle }).starved).toBeUndefined();
  // Fewer than five lost on a flow: not told apart.
  const few = [stalled('a', 4, 610, 462), stalled('b', 25, 612, 455)];
  expect(assessHealth({ flows: few, clockSyncKnown: true, expectFlows: true, host: idle }).starved).toBeUndefined();
});
