import { expect, test } from '@playwright/test';
import { createMetric } from '../measure/metric-catalogue.js';
import { labTestbed } from './fixtures/lab-testbed.js';
import { rttExpectations } from './rtt-expectation.js';
import { planMigration } from './plan.js';
import type { FlowSpec } from './types.js';

const flow: FlowSpec = { name: 'client→vm1 v4', from: 'client', target: '198.18.10.100', family: 4, port: 7, ratePps: 1000 };
const step = (v: number) => ({ ...createMetric('rtt_step_ms', v, 'rtt-step', 1, 'c'), flow: flow.name });

test('a WAN move expects twice the new one-way distance; the excess is what the distance does not explain', () => {
  const tb = labTestbed(); // coreA–coreB 30 ms one way
  const ms = rttExpectations({ testbed: tb, source: 'hv1', destination: 'hv3', strategy: { strategy: 'host-route-static' },
    flows: [flow], measured: [step(61.5)] });
  expect(ms.map((m) => [m.name, m.value, m.flow])).toEqual([
    ['expected_rtt_step_ms', 60, flow.name], ['rtt_step_excess_ms', 1.5, flow.name]]);
  expect(ms[1]?.resolutionMs).toBe(1);
  // Home again: the step is negative and expected so.
  const back = rttExpectations({ testbed: tb, source: 'hv3', destination: 'hv1', strategy: { strategy: 'host-route-static' },
    flows: [flow], measured: [step(-59)] });
  expect(back.map((m) => m.value)).toEqual([-60, 1]);
});

test('the tunnel\'s planned detour is expected; leaving a foreign site removes the detour it had', () => {
  const base = labTestbed();
  const tb = labTestbed({
    trafficHosts: [...base.trafficHosts,
      { name: 'clientB', kind: 'netns', site: 'B', netns: 'clientB', ipv4: '198.18.21.2', probeByDefault: false }],
    links: [...base.links, { name: 'clientB-coreB', wan: false,
      endpoints: [{ device: 'clientB', port: 'eth0' }, { device: 'coreB', port: 'to-client' }] }],
  });
  const fromB: FlowSpec = { ...flow, name: 'clientB→vm1 v4', from: 'clientB' };
  const out = planMigration(tb, 'vm1', 'hv3', { strategy: 'tunnel' });
  // clientB sits at the destination: forward via the anchor torA (30 + 30 ms), return direct: RTT 60 → 60.
  expect(out.strategy.extraRttMs?.['clientB']).toBe(60);
  const ms = rttExpectations({ testbed: tb, source: 'hv1', destination: 'hv3', strategy: out.strategy,
    flows: [flow, fromB], measured: [step(60.2), { ...step(0.4), flow: fromB.name }] });
  expect(ms.map((m) => [m.name, m.flow, m.value])).toEqual([
    ['expected_rtt_step_ms', flow.name, 60], ['rtt_step_excess_ms', flow.name, 60.2 - 60],
    ['expected_rtt_step_ms', fromB.name, 0], ['rtt_step_excess_ms', fromB.name, 0.4]]);
  expect(ms[2]?.method).toContain('tunnel detour 60 − 0 ms');
  // Home again from B: the detour it had is gone.
  const home = planMigration(tb, 'vm1', 'hv1', { strategy: 'tunnel', from: 'hv3' });
  expect(home.strategy.extraRttBeforeMs?.['clientB']).toBe(60);
  const back = rttExpectations({ testbed: tb, source: 'hv3', destination: 'hv1', strategy: home.strategy,
    flows: [fromB], measured: [] });
  expect(back.map((m) => [m.name, m.value])).toEqual([['expected_rtt_step_ms', 0]]);
});

test('an unmeasured step gives the expectation only; a host the topology cannot reach gives nothing', () => {
  const tb = labTestbed();
  const none = rttExpectations({ testbed: tb, source: 'hv1', destination: 'hv2', strategy: { strategy: 'l2' },
    flows: [flow, { ...flow, name: 'x', from: 'nowhere' }], measured: [{ ...step(0), value: null }] });
  expect(none.map((m) => [m.name, m.value, m.flow])).toEqual([['expected_rtt_step_ms', 0, flow.name]]);
});
