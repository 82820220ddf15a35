import { test, expect } from '@playwright/test';
import { UsageError } from '../../errors/classes.js';
import type { NetconfClient } from '../../transports/netconf/client.js';
import { render } from '../../transports/netconf/xml-build.js';
import { eosL2StretchCommands, eosL3VpnCommands } from './dci-eos.js';
import { checkL2Stretch, checkL3Vpn, isRouteDistinguisher, isRouteTarget } from './dci-intent.js';
import { junosL2Stretch, junosL3Vpn } from './dci-junos.js';
import { ocL2Stretch } from './dci-openconfig.js';
import { createEosDriver } from './eos.js';
import { junosNetconf } from './junos-netconf.js';
import { createNetconfDriver } from './netconf-driver.js';
import { netconfIetf } from './netconf-ietf.js';
import { openconfigNetconf } from './openconfig-netconf.js';
import { L2, L2_OC, L3 } from './payload-cases.js';
import { hasL2Stretch, hasL3Vpn } from './types.js';

/** Runs `f`, expects a UsageError whose message names `field` and says what is allowed. */
function rejects(f: () => unknown, field: string, allowed: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, field).toBeInstanceOf(UsageError);
  const msg = (err as Error).message;
  expect(msg).toContain(`.${field}: `);
  expect(msg).toMatch(allowed);
}

test('route distinguishers and route targets: the formats every vendor model takes', () => {
  for (const ok of ['65000:100', '65535:4294967295', '4200000000:7', '198.18.255.1:65535', '0:0']) {
    expect(isRouteDistinguisher(ok), ok).toBe(true);
  }
  for (const bad of ['65000', '65536:4294967295', '4294967296:1', '198.18.255.1:65536', '256.1.1.1:1', '065000:1',
    '65000:1:2', 'target:65000:1', '']) {
    expect(isRouteDistinguisher(bad), bad).toBe(false);
  }
  expect(isRouteTarget('target:65000:100')).toBe(true);
  expect(isRouteTarget('target:4200000000:7')).toBe(true);
  for (const bad of ['65000:100', 'route-target:65000:100', 'target:65000', 'target:4200000000:70000']) {
    expect(isRouteTarget(bad), bad).toBe(false);
  }
});

test('a bad L2 stretch names the field and what is allowed', () => {
  rejects(() => checkL2Stretch({ ...L2, vni: 0 }), 'vni', /1\.\.16777215/);
  rejects(() => checkL2Stretch({ ...L2, vni: 16777216 }), 'vni', /1\.\.16777215/);
  rejects(() => checkL2Stretch({ ...L2, vni: 1.5 }), 'vni', /integer/);
  rejects(() => checkL2Stretch({ ...L2, vlan: 4095 }), 'vlan', /1\.\.4094/);
  rejects(() => checkL2Stretch({ ...L2, routeDistinguisher: '65000' }), 'routeDistinguisher', /ASN:nn .* IPv4:nn/);
  rejects(() => checkL2Stretch({ ...L2, importTargets: [] }), 'importTargets', /at least one/);
  rejects(() => checkL2Stretch({ ...L2, exportTargets: ['target:65000:1', '65000:2'] }), 'exportTargets[1]',
    /target:ASN:nn/);
  rejects(() => checkL2Stretch({ ...L2, name: 'a b' }), 'name', /letter/);
  rejects(() => checkL2Stretch({ ...L2, vtepInterface: 'lo0; reboot' }), 'vtepInterface', /interface name/);
  rejects(() => checkL2Stretch({ ...L2, localAs: 0 }), 'localAs', /1\.\.4294967295/);
  expect(() => checkL2Stretch({ ...L2, vni: 16777215, vlan: 1, routeDistinguisher: '4200000000:7' })).not.toThrow();
});

test('a bad L3VPN names the field; the builders reject it before building anything', () => {
  rejects(() => checkL3Vpn({ ...L3, name: '1vrf' }), 'name', /letter/);
  rejects(() => checkL3Vpn({ ...L3, routeDistinguisher: '198.18.0.1:70000' }), 'routeDistinguisher', /IPv4:nn/);
  rejects(() => checkL3Vpn({ ...L3, interfaces: ['xe-0/0/2.0', 'xe 0'] }), 'interfaces[1]', /interface name/);
  rejects(() => junosL3Vpn({ ...L3, importTargets: ['target:1:1x'] }, 'add'), 'importTargets[0]', /target:ASN:nn/);
  rejects(() => eosL3VpnCommands({ ...L3, exportTargets: [] }, 'remove'), 'exportTargets', /at least one/);
});

test('platform limits are reported like the common rules', () => {
  // junos-qfx: vxlan vni is 0..16777214
  rejects(() => junosL2Stretch({ ...L2, vni: 16777215 }, 'add'), 'vni', /1\.\.16777214 on Junos/);
  rejects(() => junosL3Vpn({ ...L3, importTargets: ['target:65000:1', 'target:65000:2'] }, 'add'), 'importTargets',
    /exactly one/);
  const { localAs: _as, ...noAs } = L2_OC;
  rejects(() => eosL2StretchCommands(noAs, 'add'), 'localAs', /BGP AS/);
  // OpenConfig takes several route targets
  expect(render(ocL2Stretch({ ...L2_OC, importTargets: ['target:65000:1', 'target:65000:2'] }, 'add').config))
    .toContain('<import-route-target>route-target:65000:1</import-route-target>'
      + '<import-route-target>route-target:65000:2</import-route-target>');
});

test('OpenConfig removal scopes: the VTEP, this VNI entry and the instance each only when asked', () => {
  const xml = (vtep: boolean, vni: boolean, instance: boolean): string =>
    render(ocL2Stretch(L2_OC, 'remove', { vtep, vni, instance }).config);
  const cpRemoved = /<connection-point [^>]*nc:operation="remove"><connection-point-id>vmmi-vtep</;
  const vniRemoved = /<local-endpoint-vni [^>]*nc:operation="remove"><vni>10100<\/vni>/;
  const niRemoved = /<network-instance [^>]*nc:operation="remove"><name>vmmi-l2-10100<\/name><\/network-instance>/;
  expect(xml(true, false, true)).toMatch(cpRemoved);
  expect(xml(true, false, true)).not.toMatch(vniRemoved);
  expect(xml(false, true, true)).toMatch(vniRemoved);
  expect(xml(false, true, true)).not.toMatch(cpRemoved);
  expect(xml(true, false, false)).not.toMatch(niRemoved);
  // No scope: the instance and this VNI's entry, never the VTEP another stretch may use.
  const bare = render(ocL2Stretch(L2_OC, 'remove').config);
  expect(bare).toMatch(vniRemoved);
  expect(bare).toMatch(niRemoved);
  expect(bare).not.toMatch(cpRemoved);
});

/** A client that only answers the capability question; any RPC fails the test. */
function offlineClient(): NetconfClient {
  return new Proxy({ hasCandidate: true } as object, {
    get: (t, k) => (k in t ? (t as Record<string | symbol, unknown>)[k] : () => {
      throw new Error(`unexpected RPC ${String(k)}`);
    }),
  }) as NetconfClient;
}

test('capability guards: OpenConfig and Junos have both DCI intents, IETF and CLI-less EOS neither', async () => {
  const opts = { device: 'sw1' };
  const oc = createNetconfDriver(offlineClient(), openconfigNetconf, opts);
  const junos = createNetconfDriver(offlineClient(), junosNetconf, opts);
  for (const d of [oc, junos]) {
    expect(hasL2Stretch(d) && hasL3Vpn(d)).toBe(true);
  }
  for (const d of [createNetconfDriver(offlineClient(), netconfIetf, opts), createEosDriver(offlineClient(), opts)]) {
    expect(hasL2Stretch(d)).toBe(false);
    expect(hasL3Vpn(d)).toBe(false);
  }
  // Bad input fails before any RPC, with the device in the message.
  if (!hasL2Stretch(junos) || !hasL3Vpn(oc)) throw new Error('guards');
  await expect(junos.applyL2Stretch({ ...L2, vlan: 0 })).rejects.toThrow(/^sw1: l2Stretch failed: l2Stretch\.vlan: 0/);
  await expect(oc.removeL3Vpn({ ...L3, routeDistinguisher: 'x' })).rejects.toBeInstanceOf(UsageError);
});
