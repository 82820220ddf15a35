/**
 * The DCI intents never take or destroy configuration they did not create: apply refuses what running
 * already holds (read inside the transaction, nothing edited), removal takes only what apply created,
 * decided from running at removal time. Running-config replies come from test/fixtures/netconf; the
 * payloads sent are compared with the golden files.
 */
import { readFileSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { PrecheckError } from '../../errors/classes.js';
import { isVmmiError } from '../../errors/vmmi-error.js';
import type { CliSession } from '../../transports/cli-session.js';
import type { NetconfClient } from '../../transports/netconf/client.js';
import { CAP } from '../../transports/netconf/hello.js';
import { render, type XChild } from '../../transports/netconf/xml-build.js';
import { child, parseXml } from '../../transports/netconf/xml.js';
import {
  EOS_BGP_CONFIG, EOS_VXLAN_CONFIG, eosL2StretchCommands, eosL2StretchPlan, eosL3VpnPlan, parseEosDci,
} from './dci-eos.js';
import { ocL2Stretch, ocL2StretchPlan } from './dci-openconfig.js';
import { createEosDriver, eosSessionCommands } from './eos.js';
import { junosNetconf } from './junos-netconf.js';
import { createNetconfDriver, type NetconfDialect } from './netconf-driver.js';
import { openconfigNetconf } from './openconfig-netconf.js';
import { compactXml, L2, L2_OC, L3, L3_OC, payloadCases } from './payload-cases.js';
import { hasL2Stretch, hasL3Vpn, type L2Stretch } from './types.js';

const fx = (f: string): string => readFileSync(new URL(`../../../test/fixtures/netconf/${f}`, import.meta.url), 'utf8');
const EMPTY = '<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="3"><data/></rpc-reply>';

interface Fake {
  readonly client: NetconfClient;
  /** RPC names in the order sent. */
  readonly rpcs: string[];
  /** Rendered edit-config contents. */
  readonly edits: string[];
}

/**
 * A candidate-datastore device (confirmed-commit 1.1) whose running is `before` until a confirmed
 * commit, `after` from then on (the read-back sees the change).
 */
function fakeDevice(before: string, after = before, caps: readonly string[] = [CAP.candidate, CAP.confirmedCommit11]):
  Fake {
  const rpcs: string[] = [];
  const edits: string[] = [];
  let running = before;
  const ok = (name: string) => async (): Promise<unknown> => {
    rpcs.push(name);
    return {};
  };
  const client = {
    hasCandidate: caps.includes(CAP.candidate),
    has: (uri: string) => caps.includes(uri),
    session: { closed: false, destroy: () => undefined },
    lock: ok('lock'),
    unlock: ok('unlock'),
    discardChanges: ok('discard-changes'),
    cancelCommit: ok('cancel-commit'),
    async getConfig() {
      rpcs.push('get-config');
      const data = child(parseXml(running), 'data');
      return { data, xml: () => running, reply: {} };
    },
    async editConfig(config: XChild | readonly XChild[]) {
      rpcs.push('edit-config');
      edits.push((Array.isArray(config) ? config : [config]).map((c: XChild) => render(c)).join(''));
      return {};
    },
    async commit(o: { confirmed?: boolean }) {
      rpcs.push(o.confirmed === true ? 'confirmed-commit' : 'commit');
      if (o.confirmed === true) running = after;
      return {};
    },
  };
  return { client: client as unknown as NetconfClient, rpcs, edits };
}

async function refusal(p: Promise<unknown>): Promise<PrecheckError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PrecheckError);
  expect(isVmmiError(err) && err.code).toBe('PRECHECK');
  return err as PrecheckError;
}

function drivers(d: NetconfDialect, f: Fake) {
  const drv = createNetconfDriver(f.client, d, { device: 'sw1' });
  if (!hasL2Stretch(drv) || !hasL3Vpn(drv)) throw new Error(`${d.kind} lost its DCI capabilities`);
  return drv;
}

/** What a refused transaction sends: the read under the lock, then the release; never an edit or commit. */
const REFUSED = ['lock', 'discard-changes', 'get-config', 'discard-changes', 'unlock'];

test('OpenConfig apply refuses an instance, VNI, VLAN or VTEP that running already has; nothing is edited', async () => {
  const cases: Array<[L2Stretch, RegExp]> = [
    [{ ...L2_OC, name: 'BLUE' }, /BLUE: network instance BLUE exists \(type L2VSI, description "tenant blue \(operator\)"\)/],
    [{ ...L2_OC, vni: 10300, vlan: 150 }, /VNI 10300 is mapped on connection point vtep1 of instance default \(bridge domain 300\)/],
    [{ ...L2_OC, vni: 10150, vlan: 300 }, /VLAN 300 is mapped to VNI 10300 on connection point vtep1/],
    [{ ...L2_OC, vni: 10400, vlan: 150 }, /VNI 10400 is the VNI of EVPN instance 10400 of BLUE/],
  ];
  for (const [s, why] of cases) {
    const f = fakeDevice(fx('openconfig/reply-dci-operator.xml'));
    const err = await refusal(drivers(openconfigNetconf, f).applyL2Stretch(s));
    expect(err.message).toMatch(/^sw1: apply l2Stretch failed: /);
    expect(err.message).toMatch(why);
    expect(err.message).toContain('choose another name');
    expect(f.rpcs).toEqual(REFUSED);
    expect(f.edits).toEqual([]);
  }
  const f = fakeDevice(fx('openconfig/reply-dci-one-stretch.xml'));
  const err = await refusal(drivers(openconfigNetconf, f).applyL2Stretch({ ...L2_OC, vtepInterface: 'Loopback7' }));
  expect(err.message).toContain('connection point vmmi-vtep has source interface Loopback0, not Loopback7');
  expect(f.rpcs).toEqual(REFUSED);
  const l3 = fakeDevice(fx('openconfig/reply-dci-operator.xml'));
  const e3 = await refusal(drivers(openconfigNetconf, l3).applyL3Vpn({ ...L3_OC, name: 'RED' }));
  expect(e3.message).toMatch(/apply l3Vpn failed: RED: network instance RED exists \(type L3VRF/);
  expect(l3.rpcs).toEqual(REFUSED);
});

test('OpenConfig apply onto vmmi\'s VTEP adds only this VNI; on an empty device it creates the VTEP', async () => {
  const shared = fakeDevice(fx('openconfig/reply-dci-one-stretch.xml'), fx('openconfig/reply-dci-shared-vtep.xml'));
  await drivers(openconfigNetconf, shared).applyL2Stretch(L2_OC);
  expect(shared.edits.map(compactXml)).toEqual([compactXml(payloadCases()['openconfig/l2-stretch-add-shared-vtep.xml']
    ?? '')]);
  expect(shared.edits[0]).not.toContain('<source-interface>');
  expect(shared.rpcs).toEqual(['lock', 'discard-changes', 'get-config', 'edit-config', 'confirmed-commit',
    'get-config', 'commit', 'unlock']);
  const fresh = fakeDevice(EMPTY, fx('openconfig/reply-dci-shared-vtep.xml'));
  await drivers(openconfigNetconf, fresh).applyL2Stretch(L2_OC);
  expect(fresh.edits.map(compactXml)).toEqual([compactXml(payloadCases()['openconfig/l2-stretch-add.xml'] ?? '')]);
});

test('OpenConfig removal on a VTEP that also serves another VNI takes only this VNI\'s entry and instance', async () => {
  const f = fakeDevice(fx('openconfig/reply-dci-shared-vtep.xml'), fx('openconfig/reply-dci-one-stretch.xml'));
  await drivers(openconfigNetconf, f).removeL2Stretch(L2_OC);
  expect(f.edits.map(compactXml)).toEqual([compactXml(payloadCases()['openconfig/l2-stretch-remove-shared-vtep.xml']
    ?? '')]);
  expect(f.edits[0]).not.toMatch(/connection-point [^>]*operation/);
  expect(f.edits[0]).not.toContain('10200');
  // The last VNI takes the VTEP with it (decided from running, no memory of the apply).
  const last = fakeDevice(fx('openconfig/reply-dci-one-stretch.xml'), EMPTY);
  await drivers(openconfigNetconf, last).removeL2Stretch({ ...L2_OC, vni: 10200, vlan: 200 });
  expect(last.edits.map(compactXml)).toEqual([compactXml(render(ocL2Stretch({ ...L2_OC, vni: 10200, vlan: 200 },
    'remove', { vtep: true, vni: false, instance: true }).config))]);
  expect(last.edits[0]).toMatch(/<connection-point [^>]*operation="remove"><connection-point-id>vmmi-vtep</);
});

test('OpenConfig removal refuses an instance vmmi did not create; with nothing of vmmi\'s it edits nothing', async () => {
  const f = fakeDevice(fx('openconfig/reply-dci-operator.xml'));
  const err = await refusal(drivers(openconfigNetconf, f).removeL2Stretch({ ...L2_OC, name: 'BLUE' }));
  expect(err.message).toMatch(/^sw1: remove l2Stretch failed: BLUE: .*without vmmi's description; nothing changed/);
  expect(err.message).toContain('vmmi removes only what it created');
  expect(f.rpcs).toEqual(REFUSED);
  const l3 = fakeDevice(fx('openconfig/reply-dci-operator.xml'));
  await refusal(drivers(openconfigNetconf, l3).removeL3Vpn({ ...L3_OC, name: 'RED' }));
  expect(l3.edits).toEqual([]);
  // Not there at all: no edit, no commit, the lock released.
  const none = fakeDevice(EMPTY);
  await drivers(openconfigNetconf, none).removeL2Stretch(L2_OC);
  expect(none.rpcs).toEqual(['lock', 'discard-changes', 'get-config', 'unlock']);
  // A VTEP holding another VNI is not touched when this stretch's instance is absent.
  expect(ocL2StretchPlan(L2_OC, 'remove', child(parseXml(fx('openconfig/reply-dci-operator.xml')), 'data'), 'sw1'))
    .toEqual([]);
});

test('Junos: apply refuses an existing instance or a mapped VNI/VLAN, removal deletes only vmmi\'s instance', async () => {
  const reply = fx('junos/reply-dci.xml');
  const cases: Array<[Promise<unknown>, RegExp, Fake]> = [];
  const run = (f: (d: ReturnType<typeof drivers>) => Promise<unknown>, why: RegExp): void => {
    const dev = fakeDevice(reply);
    cases.push([f(drivers(junosNetconf, dev)), why, dev]);
  };
  run((d) => d.applyL2Stretch({ ...L2, name: 'BLUE' }), /routing instance BLUE exists \(instance-type mac-vrf, description "tenant blue/);
  run((d) => d.applyL2Stretch({ ...L2, vni: 10400, vlan: 150 }),
    /VNI 10400 is mapped by VLAN vmmi-400-10400 \(vlan-id 400\) under vlans/);
  run((d) => d.applyL2Stretch({ ...L2, vni: 10150, vlan: 300 }), /VLAN 300 is mapped to VNI 10300 .* of routing instance BLUE/);
  run((d) => d.applyL3Vpn({ ...L3, name: 'RED' }), /apply l3Vpn failed: RED: routing instance RED exists/);
  run((d) => d.removeL2Stretch({ ...L2, name: 'BLUE' }), /remove l2Stretch failed: BLUE: .*without vmmi's description/);
  run((d) => d.removeL3Vpn({ ...L3, name: 'RED' }), /remove l3Vpn failed: RED: .*without vmmi's description/);
  for (const [p, why, dev] of cases) {
    expect((await refusal(p)).message).toMatch(why);
    expect(dev.rpcs).toEqual(REFUSED);
  }
  // VLAN 100 exists under vlans without a VNI (an access segment): not a mapping, the stretch may use it.
  const add = fakeDevice(reply, reply.replace('<name>RED</name>', `<name>vmmi-l2-${L2.vni}</name>`));
  await drivers(junosNetconf, add).applyL2Stretch(L2);
  expect(add.edits.map(compactXml)).toEqual([compactXml(payloadCases()['junos/l2-stretch-add.xml'] ?? '')]);
  const rm = fakeDevice(reply, reply.replace('<name>vmmi-l3</name>', '<name>gone</name>'));
  await drivers(junosNetconf, rm).removeL3Vpn(L3);
  expect(rm.edits.map(compactXml)).toEqual([compactXml(payloadCases()['junos/l3vpn-remove.xml'] ?? '')]);
});

test('a device without candidate: the plan reads under the running lock and a refusal restores nothing', async () => {
  const f = fakeDevice(fx('openconfig/reply-dci-operator.xml'), undefined, [CAP.writableRunning]);
  await refusal(drivers(openconfigNetconf, f).applyL2Stretch({ ...L2_OC, name: 'BLUE' }));
  expect(f.rpcs).toEqual(['get-config', 'lock', 'get-config', 'unlock']);
  expect(f.edits).toEqual([]);
});

const EOS_VX = fx('eos/show-running-vxlan1.txt');
const EOS_BGP = fx('eos/show-running-router-bgp.txt');

test('EOS L2 stretch plan: refusals name what Vxlan1 or router bgp holds', () => {
  const view = parseEosDci(EOS_VX, EOS_BGP);
  const refused = (s: L2Stretch, why: RegExp): void => {
    let err: unknown;
    try {
      eosL2StretchPlan(s, 'add', view, 'sw1');
    } catch (e) {
      err = e;
    }
    expect(err, String(why)).toBeInstanceOf(PrecheckError);
    expect((err as Error).message).toMatch(why);
  };
  refused(L2_OC, /router bgp 65000 vlan 100: router bgp has vlan 100 \(rd 198\.18\.255\.1:10100; /);
  refused({ ...L2_OC, vlan: 150, vni: 10301 }, /VNI 10301 is mapped to VLAN 301 on Vxlan1 \("vxlan vlan 300-301 vni/);
  refused({ ...L2_OC, vlan: 300, vni: 10999 }, /VLAN 300 is mapped to VNI 10300/);
  refused({ ...L2_OC, vlan: 501, vni: 10998 }, /VLAN 501 is in router bgp vlan-aware-bundle tenant/);
  refused({ ...L2_OC, vlan: 150, vni: 50001 }, /VNI 50001 is mapped to VRF red/);
  refused({ ...L2_OC, vlan: 150, vni: 10150, vtepInterface: 'Loopback1' },
    /Vxlan1 has vxlan source-interface Loopback0, not Loopback1/);
  const own = parseEosDci('interface Vxlan1\n   description uplink overlay\n', '');
  let err: unknown;
  try {
    eosL2StretchPlan(L2_OC, 'add', own, 'sw1');
  } catch (e) {
    err = e;
  }
  expect((err as Error).message).toContain('no vxlan source-interface and its own description "uplink overlay"');
  // Free VLAN and VNI on vmmi's Vxlan1 with the same source interface: the VNI line only.
  expect(eosL2StretchPlan({ ...L2_OC, vlan: 150, vni: 10150 }, 'add', view, 'sw1')).toEqual(
    eosL2StretchCommands({ ...L2_OC, vlan: 150, vni: 10150 }, 'add', { vxlan: 'shared', map: true }));
  expect(eosL2StretchPlan(L2_OC, 'add', parseEosDci('', ''), 'sw1')).toEqual(eosL2StretchCommands(L2_OC, 'add'));
  expect(eosL2StretchPlan(L2_OC, 'add', parseEosDci('interface Vxlan1\n', ''), 'sw1')).toEqual(
    eosL2StretchCommands(L2_OC, 'add', { vxlan: 'source', map: true }));
});

test('EOS L2 stretch removal: only its VNI line on a shared Vxlan1; Vxlan1 or its source only as vmmi marked', () => {
  const plan = (vx: string, bgp = EOS_BGP): string[] => eosL2StretchPlan(L2_OC, 'remove', parseEosDci(vx, bgp), 'sw1');
  const shared = plan(EOS_VX);
  expect(eosSessionCommands('vmmi-l2-10100-x', shared, 120).join('\n'))
    .toBe((payloadCases()['eos/l2-stretch-remove.txt'] ?? '').trimEnd());
  expect(shared).not.toContain('no vxlan source-interface');
  const only = (mark: string, extra = ''): string => `interface Vxlan1\n   description ${mark}\n`
    + `   vxlan source-interface Loopback0\n   vxlan vlan 100 vni 10100\n${extra}`;
  expect(plan(only('vmmi-vtep'))).toEqual(eosL2StretchCommands(L2_OC, 'remove', { vxlan: 'delete', map: true }));
  expect(plan(only('vmmi-vtep'))[0]).toBe('no interface Vxlan1');
  expect(plan(only('vmmi-vtep-source'))).toEqual(
    eosL2StretchCommands(L2_OC, 'remove', { vxlan: 'source', map: true }));
  expect(plan(only('vmmi-vtep-source'))).toContain('no vxlan source-interface');
  // Anything else on Vxlan1 (a static flood list, the operator's description) keeps it and its source.
  expect(plan(only('vmmi-vtep', '   vxlan vlan 100 flood vtep 198.18.255.2\n'))).toEqual(
    eosL2StretchCommands(L2_OC, 'remove', { vxlan: 'keep', map: true }));
  expect(plan(only('uplink'))).toEqual(eosL2StretchCommands(L2_OC, 'remove', { vxlan: 'keep', map: true }));
  // No router bgp VLAN: nothing of vmmi's, no session; another RD: not vmmi's, refused.
  expect(plan(EOS_VX, 'router bgp 65000\n')).toEqual([]);
  let err: unknown;
  try {
    eosL2StretchPlan({ ...L2_OC, vlan: 200, vni: 10200 }, 'remove', parseEosDci(EOS_VX, EOS_BGP), 'sw1');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PrecheckError);
  expect((err as Error).message).toMatch(/remove l2Stretch failed: router bgp 65000 vlan 200: .*without this stretch's rd/);
});

/** A CLI session answering the two reads with `before` until `commit timer`, `after` from then on. */
function fakeCli(before: [string, string], after: [string, string] = before): { cli: CliSession; sent: string[] } {
  const sent: string[] = [];
  let state = before;
  const send = async (command: string) => {
    sent.push(command);
    if (command.startsWith('commit timer')) state = after;
    const output = command === EOS_VXLAN_CONFIG ? state[0] : command === EOS_BGP_CONFIG ? state[1] : '';
    return { command, output, failed: false, durationMs: 0 };
  };
  const cli = { send, sendAll: async (cs: readonly string[]) => Promise.all(cs.map((c) => send(c))) };
  return { cli: cli as unknown as CliSession, sent };
}

test('EOS driver: a refused apply sends the two reads only; a removal after a restart is decided from running', async () => {
  const refused = fakeCli([EOS_VX, EOS_BGP]);
  const d = createEosDriver(fakeDevice(EMPTY).client, { device: 'sw1', cli: refused.cli });
  if (!hasL2Stretch(d) || !hasL3Vpn(d)) throw new Error('EOS with CLI lost its DCI capabilities');
  await refusal(d.applyL2Stretch(L2_OC));
  expect(refused.sent).toEqual([EOS_VXLAN_CONFIG, EOS_BGP_CONFIG]);
  // A new driver (no memory of the apply) removes only VNI 10100's line and its router bgp VLAN.
  const rm = fakeCli([EOS_VX, EOS_BGP], [EOS_VX.replace(/.*vlan 100 vni 10100\n/, ''),
    EOS_BGP.replace(/ {3}vlan 100\n/, '')]);
  const d2 = createEosDriver(fakeDevice(EMPTY).client, { device: 'sw1', cli: rm.cli });
  if (!hasL2Stretch(d2)) throw new Error('EOS with CLI lost its L2 stretch');
  await d2.removeL2Stretch(L2_OC);
  const session = rm.sent.filter((c) => c !== EOS_VXLAN_CONFIG && c !== EOS_BGP_CONFIG && !c.startsWith('show '));
  expect(session.slice(1, -3)).toEqual(eosL2StretchCommands(L2_OC, 'remove', { vxlan: 'keep', map: true }));
  expect(session.at(-1)).toMatch(/^configure session vmmi-l2-10100-\w+ commit$/);
  // L3VPN: router bgp already has the VRF → refused before the OpenConfig part is touched.
  const l3 = fakeCli([EOS_VX, EOS_BGP]);
  const dev = fakeDevice(EMPTY);
  const d3 = createEosDriver(dev.client, { device: 'sw1', cli: l3.cli });
  if (!hasL3Vpn(d3)) throw new Error('EOS with CLI lost its L3VPN');
  expect((await refusal(d3.applyL3Vpn({ ...L3_OC, name: 'red' }))).message).toContain('router bgp has vrf red');
  expect(dev.rpcs).toEqual([]);
  expect(eosL3VpnPlan({ ...L3_OC, name: 'red' }, 'remove', parseEosDci(EOS_VX, EOS_BGP), false, 'sw1')).toEqual([]);
});
