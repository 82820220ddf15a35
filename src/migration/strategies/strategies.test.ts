import { expect, test } from '@playwright/test';
import { labTestbed } from '../fixtures/lab-testbed.js';
import { formatPlan, planMigration } from '../plan.js';
import { describeOp, invertOps } from './ops.js';
import { getStrategy, strategies } from './registry.js';
import type { DeviceOp } from './types.js';

const wan = labTestbed();
// Same topology with a zero-delay core link: a cross-subnet move that is not a WAN move.
const lan = labTestbed({
  links: wan.links.map((l) => (l.wan ? { ...l, wan: false, impairment: undefined } : l)) as never,
});
const lines = (ops: readonly Parameters<typeof describeOp>[0][]): string[] => ops.map(describeOp);

test('registry is exhaustive and an unknown strategy lists the supported ones', () => {
  expect(Object.keys(strategies).sort()).toEqual(['evpn-l2', 'host-route-bgp', 'host-route-static', 'l2', 'tunnel']);
  expect(() => getStrategy('lisp')).toThrow(/unknown migration strategy "lisp"; supported: l2, host-route-static/);
});

for (const name of Object.keys(strategies)) {
  test(`${name}: a same-subnet move (hv1 → hv2) configures nothing`, () => {
    const p = planMigration(wan, 'vm1', 'hv2', { strategy: name });
    expect([...p.strategy.prepare, ...p.strategy.switchover, ...p.strategy.cleanup]).toEqual([]);
    expect(p.strategy.expectedOrder.some((e) => e.to.kind === 'resumed')).toBe(true);
  });
}

test('host-route-static v4 cross-subnet: /32 at torB first, then outward, next hops toward torB', () => {
  const p = planMigration(lan, 'vm1', 'hv3', { strategy: 'host-route-static', families: [4] });
  expect(p.strategy.prepare).toEqual([]);
  expect(lines(p.strategy.switchover)).toEqual([
    'torB: add host route 198.18.10.100/32 dev hv3 (subnet netB)',
    'coreB: add host route 198.18.10.100/32 via <torB>',
    'coreA: add host route 198.18.10.100/32 via <coreB>',
    'torA: add host route 198.18.10.100/32 via <coreA>',
  ]);
  expect(p.transactions.switchover.map((t) => t.device)).toEqual(['torB', 'coreB', 'coreA', 'torA']);
  expect(p.strategy.gateway).toBe('coreA');
  const first = p.strategy.expectedOrder.find((e) => e.to.kind === 'route-add' && e.to.host === 'torB');
  expect(first?.from.kind).toBe('switchover-begin');
});

test('host-route-static v6 uses /128 and the reverse move removes nearest-to-home first', () => {
  const out = planMigration(wan, 'vm1', 'hv3', { strategy: 'host-route-static', families: [6] });
  expect(out.strategy.switchover.map((o) => o.op === 'add-host-route' && o.prefix)).toEqual(
    Array(4).fill('2001:2:0:10::101/128'),
  );
  const back = planMigration(wan, 'vm1', 'hv1', { from: 'hv3', strategy: 'host-route-static', families: [4, 6] });
  expect(back.strategy.switchover.map((o) => `${o.op} ${o.device}`).filter((_, i) => i % 2 === 0)).toEqual([
    'remove-host-route torA', 'remove-host-route coreA', 'remove-host-route coreB', 'remove-host-route torB']);
  expect(back.strategy.switchover).toHaveLength(8);
  expect(back.transactions.switchover).toHaveLength(4);
});

test('host-route-bgp touches only the TORs: announce at torB, withdraw at torB on the way back', () => {
  const out = planMigration(wan, 'vm1', 'hv3', { strategy: 'host-route-bgp' });
  expect(lines(out.strategy.switchover)).toEqual([
    'torB: BGP announce 198.18.10.100/32 dev hv3 (subnet netB)',
    'torB: BGP announce 2001:2:0:10::101/128 dev hv3 (subnet netB)',
  ]);
  const back = planMigration(wan, 'vm1', 'hv1', { from: 'hv3', strategy: 'host-route-bgp', families: [4] });
  expect(lines(back.strategy.switchover)).toEqual(['torB: BGP withdraw 198.18.10.100/32 dev hv3 (subnet netB)']);
  expect(back.strategy.expectedOrder.some((e) => e.to.kind === 'route-del' && e.to.host === 'coreA')).toBe(true);
  const noAsn = labTestbed({ switches: wan.switches.map((s) => (s.name === 'torB' ? { ...s, asn: undefined } : s)) });
  expect(() => planMigration(noAsn, 'vm1', 'hv3', { strategy: 'host-route-bgp' })).toThrow(/torB.*no asn/);
});

test('host-route-bgp between two foreign sites announces new before withdrawing old', () => {
  const three = labTestbed({
    sites: [...wan.sites, { name: 'C' }],
    hypervisors: [...wan.hypervisors, { ...wan.hypervisors[2]!, name: 'hv4', site: 'C' }],
    switches: [...wan.switches, { ...wan.switches[1]!, name: 'torC', site: 'C', asn: 65103 }],
    links: [
      ...wan.links,
      {
        name: 'c1',
        wan: false,
        endpoints: [
          { device: 'hv4', port: 'up0' },
          { device: 'torC', port: 'hv4' },
        ],
      },
      {
        name: 'c2',
        wan: false,
        endpoints: [
          { device: 'torC', port: 'up0' },
          { device: 'coreB', port: 'to-torC' },
        ],
      },
    ],
    subnets: [...wan.subnets, { name: 'netC', site: 'C', ipv4: { prefix: '198.18.12.0/24', gateway: '198.18.12.1' } }],
  });
  const p = planMigration(three, 'vm1', 'hv4', { from: 'hv3', strategy: 'host-route-bgp', families: [4] });
  expect(lines(p.strategy.switchover)).toEqual([
    'torC: BGP announce 198.18.10.100/32 dev hv4 (subnet netC)', 'torB: BGP withdraw 198.18.10.100/32 dev hv3 (subnet netB)']);
  const order = p.strategy.expectedOrder.find((e) => e.label.startsWith('old route withdrawn'));
  expect(order).toMatchObject({
    from: { kind: 'route-add', host: 'torC' },
    to: { kind: 'route-del', host: 'torB' },
    minMs: 0,
  });
});

test('tunnel: agents prepared (decap first), delivery before capture, extra RTT from link delays', () => {
  const p = planMigration(wan, 'vm1', 'hv3', { strategy: 'tunnel', families: [4] });
  expect(lines(p.strategy.prepare)).toEqual([
    'torB: start tunnel agent vmmi-vm1-B (decap) 198.18.30.3 ⇄ 198.18.30.1',
    'torA: start tunnel agent vmmi-vm1-B (encap) 198.18.30.1 ⇄ 198.18.30.3',
  ]);
  expect(lines(p.strategy.switchover)).toEqual([
    'torB: add host route 198.18.10.100/32 dev hv3 (subnet netB) for traffic from tunnel:vmmi-vm1-B (local)',
    'torA: add host route 198.18.10.100/32 dev tunnel:vmmi-vm1-B',
  ]);
  expect(p.strategy.cleanup).toEqual([]);
  // client at coreA: forward client→torA→(tunnel)→torB is 0 + 30 ms, return 30 ms; direct 2 × 30 ms.
  expect(p.strategy.extraRttMs).toEqual({ client: 0, coreA: 0 });
  expect(formatPlan(p)).toContain('expected extra RTT after the move: client +0 ms');
});

test('tunnel: the testbed\'s encapsulation rides every agent start and stop (default ipip)', () => {
  const there = planMigration(wan, 'vm1', 'hv3', { strategy: 'tunnel', families: [4] });
  expect(there.strategy.prepare.map((o) => (o.op === 'tunnel-start' ? o.encapsulation : o.op))).toEqual(['ipip', 'ipip']);
  expect(there.strategy.notes.join(' ')).toContain('tunnels (ipip) to torB');
  for (const encapsulation of ['gre', 'udp'] as const) {
    const tb = labTestbed({ tunnel: { encapsulation } });
    const p = planMigration(tb, 'vm1', 'hv3', { strategy: 'tunnel', families: [4] });
    const back = planMigration(tb, 'vm1', 'hv1', { from: 'hv3', strategy: 'tunnel', families: [4] });
    const ops = [...p.strategy.prepare, ...back.strategy.cleanup];
    expect(ops.map((o) => o.op)).toEqual(['tunnel-start', 'tunnel-start', 'tunnel-stop', 'tunnel-stop']);
    for (const o of ops) expect(o, o.op).toMatchObject({ encapsulation });
    // a rollback's inverse keeps it too
    expect(invertOps(p.strategy.prepare).map((o) => (o.op === 'tunnel-stop' ? o.encapsulation : o.op)))
      .toEqual([encapsulation, encapsulation]);
  }
});

test('tunnel: a peer at the destination site sees the detour through the home site', () => {
  const withPeerB = labTestbed({
    trafficHosts: [...wan.trafficHosts, { name: 'peerB', kind: 'netns', site: 'B', probeByDefault: true }],
    links: [
      ...wan.links,
      {
        name: 'pb',
        wan: false,
        endpoints: [
          { device: 'peerB', port: 'eth0' },
          { device: 'coreB', port: 'to-peerB' },
        ],
      },
    ],
  });
  const p = planMigration(withPeerB, 'vm1', 'hv3', { strategy: 'tunnel', families: [4] });
  expect(p.strategy.extraRttMs?.['peerB']).toBe(60);
});

test('tunnel reverse move: capture removed, old delivery removed, agents stopped in cleanup', () => {
  const p = planMigration(wan, 'vm1', 'hv1', { from: 'hv3', strategy: 'tunnel', families: [6] });
  expect(p.strategy.prepare).toEqual([]);
  expect(lines(p.strategy.switchover)).toEqual([
    'torA: remove host route 2001:2:0:10::101/128 dev tunnel:vmmi-vm1-B',
    'torB: remove host route 2001:2:0:10::101/128 dev hv3 (subnet netB) for traffic from tunnel:vmmi-vm1-B (local)',
  ]);
  // Its roll-back puts the old delivery back: the inverse knows where to deliver.
  expect(lines(invertOps(p.strategy.switchover))).toContain(
    'torB: add host route 2001:2:0:10::101/128 dev hv3 (subnet netB) for traffic from tunnel:vmmi-vm1-B (local)');
  expect(lines(p.strategy.cleanup)).toEqual([
    'torA: stop tunnel agent vmmi-vm1-B (encap) 198.18.30.1 ⇄ 198.18.30.3',
    'torB: stop tunnel agent vmmi-vm1-B (decap) 198.18.30.3 ⇄ 198.18.30.1',
  ]);
});

test('evpn-l2 attaches the VNI and anycast gateway at the destination TOR only', () => {
  const p = planMigration(wan, 'vm1', 'hv3', { strategy: 'evpn-l2' });
  expect(lines(p.strategy.prepare)).toEqual([
    'torB: EVPN attach VNI 100 (subnet netA, VTEP 198.18.30.3, access netB)',
    'torB: add anycast gateway 198.18.10.1 (subnet netA, on netB)',
    'torB: add anycast gateway 2001:2:0:10::1 (subnet netA, on netB)',
  ]);
  expect(p.strategy.switchover).toEqual([]);
  expect(p.strategy.expectedOrder.filter((e) => e.to.kind === 'mac-move' || e.to.kind === 'evpn-update')
    .map((e) => [e.label, e.from.kind, e.from.host, e.to.host, e.required])).toEqual([
    ['MAC learned at torB after the source stopped', 'suspended', 'hv1', 'torB', true],
    ['EVPN moves the MAC at torA', 'mac-move', 'torB', 'torA', true]]);
  expect(lines(p.rollback)[0]).toBe('torB: remove anycast gateway 2001:2:0:10::1 (subnet netA, on netB)');
  const back = planMigration(wan, 'vm1', 'hv1', { from: 'hv3', strategy: 'evpn-l2', families: [4] });
  expect(back.strategy.prepare).toEqual([]);
  expect(lines(back.strategy.cleanup)).toEqual([
    'torB: EVPN detach VNI 100 (subnet netA, VTEP 198.18.30.3, access netB)',
  ]);
  const noVni = labTestbed({ subnets: wan.subnets.map((s) => ({ ...s, vni: undefined })) });
  expect(() => planMigration(noVni, 'vm1', 'hv3', { strategy: 'evpn-l2' })).toThrow(
    /evpn-l2 needs a VNI on subnet "netA"/,
  );
});

test('l2 refuses a cross-subnet move without a stretched segment and accepts a stretched one', () => {
  const noVni = labTestbed({ subnets: wan.subnets.map((s) => ({ ...s, vni: undefined })) });
  expect(() => planMigration(noVni, 'vm1', 'hv3', { strategy: 'l2' })).toThrow(/l2 needs one L2 segment.*hv1.*hv3/);
  const p = planMigration(wan, 'vm1', 'hv3', { strategy: 'l2' });
  expect(p.diffs).toEqual({});
  expect(formatPlan(p)).toContain('(no device changes)');
});

test('plan input errors name what is known', () => {
  expect(() => planMigration(wan, 'vm9', 'hv3')).toThrow(/unknown VM "vm9".*vm1/);
  expect(() => planMigration(wan, 'vm1', 'hv9')).toThrow(/unknown destination hypervisor "hv9"; known: hv1, hv2, hv3/);
  expect(() => planMigration(wan, 'vm1', 'hv1')).toThrow(/already runs on "hv1"/);
});

test('diffs and rollback of host-route-static are inverse of each other', () => {
  const p = planMigration(wan, 'vm1', 'hv3', { strategy: 'host-route-static', families: [4] });
  expect(p.diffs['torA']).toEqual(['+ [switchover] add host route 198.18.10.100/32 via <coreA>']);
  expect(invertOps(p.rollback)).toEqual(p.strategy.switchover);
});

test('host-route-static: the return home removes exactly the routes the move out added (its inverse is a complete add)', () => {
  const out = planMigration(wan, 'vm1', 'hv3', { strategy: 'host-route-static', families: [4, 6] });
  const back = planMigration(wan, 'vm1', 'hv1', { from: 'hv3', strategy: 'host-route-static', families: [4, 6] });
  const key = (o: DeviceOp): string => JSON.stringify({ ...o, op: 'x' });
  expect(back.strategy.switchover.every((o) => o.op === 'remove-host-route')).toBe(true);
  expect(new Set(invertOps(back.strategy.switchover).map(key))).toEqual(new Set(out.strategy.switchover.map(key)));
});

test('host-route-bgp: a withdrawal names its on-link route, so its inverse (rollback, recovery) is a complete announce', () => {
  // Away from home and back: the source TOR (torB) withdraws what it announced on the way out.
  const back = planMigration(labTestbed(), 'vm1', 'hv1', { from: 'hv3', strategy: 'host-route-bgp', families: [4, 6] });
  const withdrawals = back.strategy.switchover.filter((o) => o.op === 'bgp-withdraw');
  expect(withdrawals.length).toBe(2);
  for (const w of invertOps(withdrawals)) {
    expect(w.op).toBe('bgp-announce');
    expect(w.op === 'bgp-announce' ? w.dev?.subnet : undefined).toBe('netB');
  }
});
