import { expect, test } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeWorld } from '../../test/fakes/migration-world.js';
import { repo } from '../../test/helpers/vmmi-cli.js';
import { locateVm, migrateVm } from '../harness/migrate.js';
import { labTestbed } from '../migration/fixtures/lab-testbed.js';
import type { Testbed } from '../model/testbed.js';
import { loadProfile } from './profile-load.js';
import { atScale, type Profile } from './profile-types.js';
import { missingRequirements } from './requirements.js';
import { runProfile, type CertifyPorts } from './run.js';
import { decide, renderVerdictsCsv, verdictRows } from './verdicts.js';

/** The lab fixture with what nvo3-vmmi@1 needs: a lab section with a WAN link, a client at each site. */
const labLike = (more: Partial<Testbed> = {}): Testbed => {
  const base = labTestbed();
  return labTestbed({
    lab: { prefix: 'vmmiu', dir: '/nonexistent', wanLink: 'wan' },
    trafficHosts: [...base.trafficHosts, { name: 'clientB', kind: 'netns', site: 'B', netns: 'clientB',
      ipv4: '198.18.21.2', ipv6: '2001:2:0:21::2', probeByDefault: false }],
    ...more,
  });
};

let profile: Profile;
let state = '';
test.beforeAll(async () => {
  profile = (await loadProfile('nvo3-vmmi@1', join(repo, 'profiles'))).profile;
  state = await mkdtemp(join(tmpdir(), 'vmmi-certify-run-'));
  process.env.VMMI_STATE_DIR = state;
});
test.afterAll(async () => {
  delete process.env.VMMI_STATE_DIR;
  await rm(state, { recursive: true, force: true });
});

test('requirements: the lab offers nvo3-vmmi@1; hardware without a WAN knob, a far client or IPv6 is refused by name', () => {
  expect(missingRequirements(labLike(), profile)).toEqual([]);
  const base = labLike();
  const hw = labLike({ lab: undefined, trafficHosts: base.trafficHosts.filter((h) => h.name !== 'clientB'),
    vms: base.vms.map((v) => ({ ...v, ipv6: undefined as never })) });
  const missing = missingRequirements(hw, profile);
  expect(missing).toEqual([
    'IPv6: vm1 has no IPv6 address',
    expect.stringMatching(/^WAN impairment: .*this testbed has none$/),
    'a traffic host at the destination-site (B)',
    expect.stringMatching(/^address conflict: .*no lab section$/),
  ]);
  const oneSite = labLike({ hypervisors: base.hypervisors.filter((h) => h.site === 'A') });
  expect(missingRequirements(oneSite, profile)).toEqual([expect.stringMatching(/peer at another site/)]);
});

test('the CI variant end to end on fake drivers: every scenario, refusal checked, thresholds judged per family', async () => {
  const tb = labLike();
  const world = fakeWorld(tb);
  world.cluster.place('vm1', 'hv1');
  const opened = { drivers: world.drivers, options: { verify: { timeoutMs: 300, intervalMs: 20 }, holdMs: 0 } };
  const wan: number[] = [];
  const planted: string[] = [];
  const ports: CertifyPorts = {
    migrate: (req) => migrateVm(tb, opened, req),
    locate: (vm) => locateVm(tb, opened, vm),
    setWanDelay: (ms) => {
      wan.push(ms);
      return Promise.resolve();
    },
    plantAddressHolder: (move) => {
      planted.push(move.away);
      world.holders.set('198.18.10.100', { address: '198.18.10.100', mac: '52:54:00:de:ad:c1', name: 'squatter' });
      return Promise.resolve({ address: '198.18.10.100', mac: '52:54:00:de:ad:c1',
        remove: () => Promise.resolve(void world.holders.delete('198.18.10.100')) });
    },
    log: () => undefined,
  };
  const ci = atScale(profile, 'ci');
  const run = await runProfile(tb, ci, ports);
  expect(run.broken).toEqual([]);
  expect(wan).toEqual([0, 30, 10, 0, 0]);
  expect(planted).toEqual(['hv3']);
  expect(run.expectations).toEqual([expect.objectContaining({ scenario: 'address-conflict', ok: true })]);
  // out and return leg of 2 + 2 + 2 repetitions, each with both families; the refused move's records too
  const out = run.records.filter((r) => r.params.variant?.leg === undefined && r.params.variant?.scenario !== 'address-conflict');
  expect(out.filter((r) => r.addressFamily === 'ipv4')).toHaveLength(6);
  expect(await locateVm(tb, opened, 'vm1')).toBe('hv1');
  const rows = verdictRows(ci, run);
  const row = (t: string, s: string, fam = 'ipv4') => rows.find((r) => r.threshold === t && r.profileScenario === s
    && (r.scenario.includes(`/${fam}/`) || r.scenario === s));
  // both families judged for cross-subnet; only IPv4 for the roundabout (its families)
  expect(row('outage-median', 'cross-subnet', 'ipv6')).toMatchObject({ statistic: 'median', n: 2, outcome: 'pass' });
  expect(rows.filter((r) => r.threshold === 'roundabout-detour').map((r) => r.scenario))
    .toEqual([expect.stringMatching(/\/ipv4\/.*scenario=old-site-roundabout/)]);
  // the fake's path gains 60 ms of RTT after every move: the host-route bound fails, the WAN one passes
  expect(row('cross-subnet-rtt-step', 'cross-subnet')?.outcome).toBe('fail');
  expect(row('wan-rtt-step', 'wan-delay')?.outcome).toBe('pass');
  expect(row('expect:refused-address-conflict', 'address-conflict')).toMatchObject({ outcome: 'pass', value: 1, n: 1 });
  expect(rows.find((r) => r.threshold === 'outage-median')?.why).toMatch(/users' perception/);
  expect(decide(rows)).toMatchObject({ result: 'fail' });
  const csv = renderVerdictsCsv(rows).split('\n');
  expect(csv[0]).toBe('scenario,profile_scenario,threshold,expression,statistic,value,n,interval,method,resolution,'
    + 'outcome,why,message');
});

test('a threshold whose scenario has no judgeable attempt is not measured, never passed; decide says inconclusive', () => {
  const ci = atScale(profile, 'ci');
  const rows = verdictRows(ci, { records: [], expectations: [], broken: [{ scenario: 'wan-delay', repetition: 1,
    error: 'lab gone' }] });
  expect(rows.filter((r) => r.outcome !== 'not-measured')).toEqual([]);
  expect(rows.find((r) => r.threshold === 'wan-rtt-step')?.message).toContain('(lab gone)');
  expect(decide(rows)).toMatchObject({ result: 'inconclusive', failed: 0 });
  expect(decide([])).toMatchObject({ result: 'inconclusive' });
});
