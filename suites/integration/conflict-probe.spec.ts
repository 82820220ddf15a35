/* eslint-disable no-restricted-imports -- src/index.ts (the package entry) does not re-export these yet */
/**
 * IP conflict check against real neighbours, in own namespaces (`vmmicf-<pid>-*`,
 * 198.18.251.0/24 and 2001:2:0:251::/64): `dst` plays the destination hypervisor (bridge br0, no
 * address of its own in the subnet), `squat` holds a planted conflicting address, `self` is the
 * moving VM on the same segment (its own replies are no conflict).
 */
import { test, expect } from '@playwright/test';
import { runChecked, runLocal } from '../../src/exec/local.js';
import { netnsRunner } from '../../src/exec/netns.js';
import type { Testbed } from '../../src/model/testbed.js';
import { createConflictProbe } from '../../src/probes/conflict/probe.js';

const P = `vmmicf-${process.pid}-`;
const SQUAT_MAC = '02:00:c6:12:fb:07';
const SELF_MAC = '02:00:c6:12:fb:64';
const ns = (n: string, ...argv: string[]): Promise<unknown> =>
  runChecked(['ip', 'netns', 'exec', P + n, ...argv], { timeoutMs: 10_000 });

/** Only what the probe reads of a testbed: VM records (vm9 owns the squatter's MAC, vm3 only a record). */
const testbed = {
  vms: [
    { name: 'vm1', ipv4: '198.18.251.100/24', ipv6: '2001:2:0:251::100/64', mac: SELF_MAC },
    { name: 'vm9', ipv4: '198.18.251.9/24', mac: SQUAT_MAC },
    { name: 'vm3', ipv4: '198.18.251.30/24', ipv6: '2001:2:0:251::30/64', mac: '02:00:c6:12:fb:1e' },
  ],
  hypervisors: [], links: [], subnets: [], trafficHosts: [],
} as unknown as Testbed;

test.beforeAll(async () => {
  for (const n of ['dst', 'squat', 'self']) {
    await runChecked(['ip', 'netns', 'add', P + n]);
    await ns(n, 'ip', 'link', 'set', 'dev', 'lo', 'up');
  }
  await ns('dst', 'ip', 'link', 'add', 'br0', 'type', 'bridge');
  await ns('dst', 'ip', 'link', 'set', 'dev', 'br0', 'up');
  for (const [n, mac, v4, v6] of [['squat', SQUAT_MAC, '198.18.251.7/24', '2001:2:0:251::7/64'],
    ['self', SELF_MAC, '198.18.251.100/24', '2001:2:0:251::100/64']] as const) {
    await runChecked([
      'ip',
      'link',
      'add',
      `to-${n}`,
      'netns',
      P + 'dst',
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      P + n,
    ]);
    await ns('dst', 'ip', 'link', 'set', 'dev', `to-${n}`, 'master', 'br0');
    await ns('dst', 'ip', 'link', 'set', 'dev', `to-${n}`, 'up');
    await ns(n, 'ip', 'link', 'set', 'dev', 'eth0', 'address', mac);
    await ns(n, 'ip', 'addr', 'add', v4, 'dev', 'eth0');
    await ns(n, 'ip', '-6', 'addr', 'add', v6, 'dev', 'eth0', 'nodad');
    await ns(n, 'ip', 'link', 'set', 'dev', 'eth0', 'up');
  }
});

test.afterAll(async () => {
  for (const n of ['dst', 'squat', 'self']) await runLocal(['ip', 'netns', 'del', P + n]);
});

const probe = createConflictProbe({ runner: netnsRunner(`${P}dst`), dev: 'br0', testbed, excludeVm: 'vm1' });
const io = { timeoutMs: 15_000 };

test('IPv4: a planted address is found with its MAC (ARP probe from 0.0.0.0); a free one is free', async () => {
  const hit = await probe.check('198.18.251.7', 'vmmicf-subnet', io);
  expect(hit.holder).toEqual({ address: '198.18.251.7', mac: SQUAT_MAC, name: 'vm9', via: 'arp' });
  expect(await probe.whoHolds('198.18.251.8/24', 'vmmicf-subnet', io)).toBeUndefined(); // record form accepted
  // the probe used sender IP 0.0.0.0: the squatter learned no neighbour entry for the prober
  const neigh = await runChecked(['ip', 'netns', 'exec', `${P}squat`, 'ip', 'neigh', 'show', 'dev', 'eth0']);
  expect(neigh.stdout).not.toContain('198.18.251.8');
  console.log(`conflict-probe: IPv4 conflict answered in ${hit.durationMs} ms`);
});

test('IPv6: DAD on a throw-away bridge port finds the defender and its MAC; a free one is free', async () => {
  const hit = await probe.check('2001:2:0:251::7', 'vmmicf-subnet', io);
  expect(hit.holder).toEqual({ address: '2001:2:0:251::7', mac: SQUAT_MAC, name: 'vm9', via: 'dad' });
  const free = await probe.check('2001:2:0:251::8', 'vmmicf-subnet', io);
  expect(free.holder).toBeUndefined();
  expect(free.macs).toEqual([]);
  // nothing left behind: no probe interface, no port on the bridge
  const links = await runChecked(['ip', 'netns', 'exec', `${P}dst`, 'ip', '-o', 'link', 'show']);
  expect(links.stdout).not.toContain('vmmicf0');
  console.log(`conflict-probe: IPv6 DAD conflict ${hit.durationMs} ms, free ${free.durationMs} ms`);
});

test('the moving VM answering for its own address is no conflict; a testbed record alone is', async () => {
  expect(await probe.whoHolds('198.18.251.100', 's', io)).toBeUndefined();
  expect(await probe.whoHolds('2001:2:0:251::100', 's', io)).toBeUndefined();
  const rec = await probe.whoHolds('2001:2:0:251::30', 'siteX-vms', io);
  expect(rec).toEqual({
    address: '2001:2:0:251::30',
    via: 'testbed',
    name: 'vm3 (testbed record, siteX-vms)',
    mac: '02:00:c6:12:fb:1e',
  });
});

test('a probe on a missing interface fails with a typed error naming what to do', async () => {
  const bad = createConflictProbe({ runner: netnsRunner(`${P}dst`), dev: 'br9', arpProbes: 1 });
  await expect(bad.whoHolds('198.18.251.7', 's', io)).rejects.toMatchObject({ code: 'PRECHECK' });
  await expect(bad.whoHolds('2001:2:0:251::7', 's', io)).rejects.toMatchObject({ code: 'PRECHECK' });
});
