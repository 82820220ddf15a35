/**
 * Every NETCONF payload the switch drivers generate, validated with yanglint (Debian libyang2-tools)
 * against the vendors' published YANG pinned under test/yang (docs/vendor-models.md): edit-config
 * content (`-t edit`, NETCONF `operation` attributes included) per driver, the OpenConfig additions
 * merged onto a minimal device configuration (`-t config`: leafrefs, mandatory nodes, `when`/`must`),
 * and mutated payloads that must be rejected, so a check that stopped biting would show.
 * Payloads of one schema set go to yanglint in one call (loading the schemas dominates).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';
import { render } from '../../transports/netconf/xml-build.js';
import { NS_BASE, parseXml, type XNode } from '../../transports/netconf/xml.js';
import { eosL3VpnOc } from './dci-eos.js';
import { ocL2Stretch } from './dci-openconfig.js';
import { eosDialect } from './eos.js';
import { junosNetconf } from './junos-netconf.js';
import type { ChangeOp, NetconfDialect } from './netconf-driver.js';
import { ietfStaticInstanceRemoval, netconfIetf, NS_RT } from './netconf-ietf.js';
import { openconfigNetconf } from './openconfig-netconf.js';
import { L2, L2_OC, L3, L3_OC, payloadCases, R4, R6, SEG, TUN } from './payload-cases.js';
import { restoreEdit } from './transaction-running.js';
import type { HostRoute } from './types.js';

const YANG = fileURLToPath(new URL('../../../test/yang/', import.meta.url));
const haveYanglint = spawnSync('yanglint', ['--version'], { stdio: 'ignore' }).status === 0;
const NO_YANGLINT = 'yanglint (libyang2-tools) not installed: run scripts/setup';

/** Search directories (searched recursively) and the modules to implement, relative to test/yang. */
interface SchemaSet {
  readonly search: readonly string[];
  readonly modules: readonly string[];
}

const NETCONF = 'ietf/netconf/ietf-netconf@2011-06-01.yang';
/** Interface types (identities) of the devices' own interface configuration. */
const IANA_IF = 'openconfig/third_party/ietf/iana-if-type.yang';
const OC_MODULES = ['network-instance/openconfig-network-instance', 'interfaces/openconfig-interfaces',
  'interfaces/openconfig-if-ethernet', 'vlan/openconfig-vlan', 'policy/openconfig-policy-types',
  'network-instance/openconfig-network-instance-types',
  // implemented for the identities the L2 stretch's EVPN instance uses (service-type VLAN_BASED)
  'network-instance/openconfig-evpn-types'];
const EOS = 'arista/EOS-4.36.1F';
const EOS_DEVIATIONS = ['network-instance/arista-netinst-augments', 'network-instance/arista-netinst-deviations',
  'network-instance/arista-vlan-augments', 'network-instance/arista-vlan-deviations',
  'local-routing/arista-local-routing-deviations', 'interfaces/arista-intf-augments',
  'interfaces/arista-intf-deviations',
  'not-supported/arista-interfaces-notsupported-deviations'];
/**
 * Arista's not-supported deviations of the network instance leave leafrefs into subtrees they remove
 * (PCEP, IS-IS address families), which libyang refuses to compile: their targets are checked by path.
 */
const EOS_NOT_SUPPORTED = ['network-instance', 'interfaces']
  .map((m) => `${EOS}/release/openconfig/models/not-supported/arista-${m}-notsupported-deviations.yang`);
const JUNOS = 'juniper/24.4/24.4R1/native/conf-and-rpcs/junos-qfx/conf/models';

const SETS = {
  ietf: {
    search: ['ietf/rfc8022', 'ietf/netconf'],
    modules: [
      NETCONF,
      ...[
        'ietf-routing@2016-11-04',
        'ietf-ipv4-unicast-routing@2016-11-04',
        'ietf-ipv6-unicast-routing@2016-11-04',
        'ietf-interfaces@2014-05-08',
        'ietf-ip@2014-06-16',
        'iana-if-type@2014-05-08',
      ].map((m) => `ietf/rfc8022/${m}.yang`),
    ],
  },
  openconfig: {
    search: ['openconfig', 'ietf/netconf'],
    modules: [NETCONF, IANA_IF, ...OC_MODULES.map((m) => `openconfig/release/models/${m}.yang`)],
  },
  eos: {
    search: [EOS, 'openconfig/third_party/ietf', 'openconfig-hercules', 'ietf/netconf'],
    modules: [
      NETCONF,
      IANA_IF,
      ...OC_MODULES.map((m) => `${EOS}/openconfig/public/release/models/${m}.yang`),
      ...EOS_DEVIATIONS.map((m) => `${EOS}/release/openconfig/models/${m}.yang`),
    ],
  },
  junos: {
    search: ['juniper', 'ietf/netconf'],
    modules: [
      NETCONF,
      ...['root', 'routing-options', 'interfaces', 'vlans', 'switch-options', 'routing-instances'].map(
        (m) => `${JUNOS}/junos-qfx-conf-${m}@2024-01-01.yang`,
      ),
    ],
  },
} satisfies Record<string, SchemaSet>;
type SetName = keyof typeof SETS;

interface Lint {
  readonly ok: boolean;
  readonly out: string;
}

/** yanglint over `files` with one schema set: `-t edit` unless `args` says otherwise. */
function yanglint(set: SchemaSet, files: readonly string[], args: readonly string[] = ['-t', 'edit']): Promise<Lint> {
  const argv = ['-D', '-i', '-Q', ...set.search.flatMap((d) => ['-p', join(YANG, d)]), ...args,
    ...set.modules.map((m) => join(YANG, m)), ...files];
  return new Promise((resolve) => {
    execFile('yanglint', argv, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ ok: err === null, out: `${stdout}${stderr}`.trim() });
    });
  });
}

let dir = '';
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmmi-yang-'));
});
test.afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** Writes payloads to files named after their cases; returns the paths in order. */
function write(prefix: string, cases: ReadonlyArray<readonly [string, string]>): string[] {
  return cases.map(([name, xml]) => {
    const f = join(dir, `${prefix}--${name.replace(/[^\w.-]+/g, '_')}.xml`);
    writeFileSync(f, xml);
    return f;
  });
}

/** Validates all cases in one call; on failure lints each alone and returns `case: errors` lines. */
async function failures(set: SetName, cases: ReadonlyArray<readonly [string, string]>): Promise<string[]> {
  const files = write(set, cases);
  if ((await yanglint(SETS[set], files)).ok) return [];
  const each = await Promise.all(files.map((f) => yanglint(SETS[set], [f])));
  return each.flatMap((r, i) => (r.ok ? [] : [`${cases[i]?.[0]}: ${r.out}`]));
}

const V6: HostRoute = { prefix: '2001:2:0:10::64/128', nextHop: '2001:2:0:1::1' };

/** Every payload a dialect builds, for every operation it offers, over a spread of intents. */
function dialectCases(d: NetconfDialect, port: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const add = (name: string, config: unknown): void => {
    out.push([`${d.kind}/${name}`, render(config as Parameters<typeof render>[0])]);
  };
  for (const op of ['add', 'remove'] as const satisfies readonly ChangeOp[]) {
    if (d.hostRoute !== undefined) {
      for (const [n, r] of [['v4', R4], ['v6-device', { ...R6, device: port }], ['v6-next-hop', V6]] as const) {
        add(`host-route-${n}-${op}`, d.hostRoute(r, op).config);
      }
      const last = { configured: [R4.prefix], onlyInstance: false };
      if (op === 'remove') add('host-route-last-remove', d.hostRoute(R4, op, last).config);
    }
    if (d.segment !== undefined) {
      add(`segment-${op}`, d.segment({ ...SEG, port }, op).config);
      add(`segment-no-vni-${op}`, d.segment({ port, vlan: 200 }, op).config);
    }
    if (d.tunnel !== undefined) {
      const remotes = d.kind === 'netconf-ietf' ? [] : TUN.remotes;
      add(`tunnel-${op}`, d.tunnel({ ...TUN, remotes, bridge: 'br100' }, op).config);
    }
    dciCases(d, op, port, add);
    if (d.address !== undefined) {
      add(`address-v4-${op}`, d.address({ iface: 'br100', cidr: '198.18.100.1/24' }, op).config);
      add(`address-v6-${op}`, d.address({ iface: 'br100', cidr: '2001:2:0:100::1/64' }, op).config);
    }
  }
  if (d.kind === 'netconf-ietf') {
    add('instance-remove', ietfStaticInstanceRemoval(R4.prefix, false).config);
    add('protocols-remove', ietfStaticInstanceRemoval(R4.prefix, true).config);
  }
  return out;
}

/**
 * L2 stretches (the whole intent; for OpenConfig also onto an existing VTEP and the removals of the
 * last VNI, of a VNI on a shared VTEP and of an empty VTEP alone; several route targets where the
 * platform takes them) and L3VPNs (with and without interfaces, IPv4-address RDs), built for the
 * dialect's ports.
 */
function dciCases(d: NetconfDialect, op: ChangeOp, port: string, add: (n: string, c: unknown) => void): void {
  const oc = d.kind !== 'junos-netconf';
  const l2 = oc ? L2_OC : L2;
  const l3 = oc ? { ...L3_OC, interfaces: [port, `${port}.10`] } : L3;
  if (d.l2Stretch !== undefined) {
    const build = d.l2Stretch.build;
    add(`l2-stretch-${op}`, build(l2, op).config);
    add(`l2-stretch-as-rd-${op}`, build({ ...l2, vni: 16000000, vlan: 4094, name: 'DCI_blue',
      routeDistinguisher: '4200000000:7' }, op).config);
    if (oc) {
      const rts = ['target:65000:1', 'target:4200000000:2'];
      add(`l2-stretch-multi-rt-${op}`, build({ ...l2, importTargets: rts, exportTargets: rts }, op).config);
      const scopes = op === 'add' ? { 'shared-vtep': { vtep: false, vni: true, instance: true } } : {
        last: { vtep: true, vni: false, instance: true },
        'shared-vtep': { vtep: false, vni: true, instance: true },
        'vtep-only': { vtep: true, vni: false, instance: false },
        'vni-only': { vtep: false, vni: true, instance: false },
      };
      for (const [n, sc] of Object.entries(scopes)) add(`l2-stretch-${n}-${op}`, ocL2Stretch(l2, op, sc).config);
    }
  }
  if (d.l3Vpn !== undefined) {
    add(`l3vpn-${op}`, d.l3Vpn.build(l3, op).config);
    const bare = { ...l3, interfaces: [], routeDistinguisher: '198.18.255.1:3' };
    add(`l3vpn-no-interfaces-${op}`, d.l3Vpn.build(bare, op).config);
  }
}

/** Golden payloads (test/fixtures/netconf) of one schema set. */
function goldenCases(folder: string): Array<[string, string]> {
  return Object.entries(payloadCases()).filter(([f]) => f.startsWith(`${folder}/`) && f.endsWith('.xml'))
    .map(([f, x]) => [`golden/${f}`, x]);
}

const ALL: Record<SetName, () => Array<[string, string]>> = {
  ietf: () => [...goldenCases('ietf'), ...dialectCases(netconfIetf, 'swp1'), ['restore/ietf-routing', ietfRestore()]],
  openconfig: () => [...goldenCases('openconfig'), ...dialectCases(openconfigNetconf, 'Ethernet1')],
  eos: () => [...goldenCases('eos'), ...dialectCases(eosDialect, 'Ethernet1'),
    ...(['add', 'remove'] as const).map((op): [string, string] =>
      [`eos/l3vpn-oc-${op}`, render(eosL3VpnOc({ ...L3_OC, interfaces: ['Ethernet1'] }, op).config)])],
  junos: () => [...goldenCases('junos'), ...dialectCases(junosNetconf, 'xe-0/0/1')],
};

/**
 * The checkpoint restore of a writable-running device, built from a get-config reply whose server
 * declared the identity prefix on `<rpc-reply>` (outside the restored subtree), as netconfd may.
 */
function ietfRestore(): string {
  const reply = parseXml(`<rpc-reply xmlns="${NS_BASE}" xmlns:rt="${NS_RT}" message-id="1"><data>` +
    `<routing xmlns="${NS_RT}"><control-plane-protocols><control-plane-protocol><type>rt:static</type>` +
    '<name>vmmi</name></control-plane-protocol></control-plane-protocols></routing></data></rpc-reply>');
  const data = reply.children[0];
  const root = { kind: 'el', name: 'routing', attrs: { xmlns: NS_RT }, children: [] } as const;
  const edit = restoreEdit(data?.children ?? [], [root]);
  return edit.map((x) => render(x)).join('');
}

for (const set of Object.keys(SETS) as SetName[]) {
  test(`${set}: every driver payload is valid edit-config content for the pinned models`, async () => {
    test.skip(!haveYanglint, NO_YANGLINT);
    const cases = ALL[set]();
    expect(cases.length).toBeGreaterThanOrEqual(5);
    expect(await failures(set, cases)).toEqual([]);
  });
}

/** `[case, payload, what the error must mention]`: mutated payloads every schema set must reject. */
function negatives(): Record<SetName, Array<[string, string, RegExp]>> {
  const g = payloadCases();
  const mutate = (file: string, from: string | RegExp, to: string): string => {
    const x = g[file] ?? '';
    const y = x.replace(from, to);
    if (y === x) throw new Error(`mutation of ${file} changed nothing`);
    return y;
  };
  return {
    ietf: [
      [
        'misspelt leaf',
        mutate('ietf/host-route-v4-add.xml', /destination-prefix/g, 'destination-prefx'),
        /destination-prefx/,
      ],
      ['unknown identity', mutate('ietf/host-route-v4-add.xml', 'rt:static', 'rt:statik'), /statik/],
      ['prefix out of range', mutate('ietf/host-route-v4-add.xml', /198\.18\.10\.100\/32/g, '198.18.10.300/32'), /300/],
    ],
    openconfig: [
      [
        'misspelt leaf',
        mutate('openconfig/host-route-v4-add.xml', /<next-hop>198/, '<next-hopp>198').replace(
          '</next-hop></config>',
          '</next-hopp></config>',
        ),
        /next-hopp/,
      ],
      [
        'wrong namespace',
        mutate(
          'openconfig/segment-attach.xml',
          'http://openconfig.net/yang/vlan"',
          'http://openconfig.net/yang/vlans"',
        ),
        /vlans|switched-vlan/,
      ],
      [
        'VLAN id out of range',
        mutate('openconfig/segment-attach.xml', '<access-vlan>100<', '<access-vlan>4095<'),
        /4095/,
      ],
      ['L2 stretch: VNI out of range',
        mutate('openconfig/l2-stretch-add.xml', '<config><vni>10100</vni><overlay',
          '<config><vni>16777216</vni><overlay'),
        /16777216/],
      ['L2 stretch: route target without its type tag',
        mutate('openconfig/l2-stretch-add.xml', '>route-target:65000:10100</import', '>target:65000:10100</import'),
        /target:65000:10100/],
      ['L2 stretch: unknown service type', mutate('openconfig/l2-stretch-add.xml', ':VLAN_BASED<', ':VLAN_BASD<'),
        /VLAN_BASD/],
      ['L3VPN: RD with a 3-part value',
        mutate('openconfig/l3vpn-add.xml', '>65000:200</route-distinguisher>', '>65000:200:1</route-distinguisher>'),
        /65000:200:1/],
      ['L3VPN: unknown instance type', mutate('openconfig/l3vpn-add.xml', 'oc-ni-types:L3VRF', 'oc-ni-types:L3VRFF'),
        /L3VRFF/],
    ],
    eos: [
      ['misspelt identity', mutate('eos/host-route-v4-add.xml', /oc-pol-types:STATIC/g, 'oc-pol-types:STATC'), /STATC/],
      ['L3VPN: RD AS out of range',
        mutate('eos/l3vpn-add.xml', '>65000:200</route-distinguisher>', '>4294967296:200</route-distinguisher>'),
        /4294967296:200/],
      ['L3VPN: subinterface not a number',
        mutate('eos/l3vpn-add.xml', '<subinterface>10</subinterface>', '<subinterface>x10</subinterface>'), /x10/],
    ],
    junos: [
      ['no namespaces', mutate('junos/host-route-v4-add.xml', / xmlns="[^"]*"/g, ''), /configuration|namespace/i],
      [
        'un-namespaced operation',
        mutate('junos/tunnel-remove.xml', /xmlns:nc="[^"]*" nc:operation/g, 'operation'),
        /operation/,
      ],
      ['VNI out of range', mutate('junos/tunnel-add.xml', '<vni>10100</vni>', '<vni>16777215</vni>'), /16777215/],
      ['L2 stretch: VNI out of range (mac-vrf VLAN)',
        mutate('junos/l2-stretch-add.xml', '<vxlan><vni>10100</vni>', '<vxlan><vni>16777215</vni>'), /16777215/],
      ['L2 stretch: unknown EVPN encapsulation',
        mutate('junos/l2-stretch-add.xml', '<encapsulation>vxlan<', '<encapsulation>vxlam<'), /vxlam/],
      ['L2 stretch: unknown instance type', mutate('junos/l2-stretch-add.xml', '>mac-vrf<', '>macvrf<'), /macvrf/],
      ['L3VPN: unknown instance type', mutate('junos/l3vpn-add.xml', '<instance-type>vrf<', '<instance-type>vfr<'),
        /vfr/],
      ['L3VPN: instance outside routing-instances namespace',
        mutate('junos/l3vpn-add.xml', '/conf/routing-instances"', '/conf/routing-instance"'),
        /routing-instance|namespace/i],
    ],
  };
}

for (const set of Object.keys(SETS) as SetName[]) {
  test(`${set}: mutated payloads are rejected (the check bites)`, async () => {
    test.skip(!haveYanglint, NO_YANGLINT);
    const cases = negatives()[set];
    const files = write(`neg-${set}`, cases.map(([n, x]) => [n, x] as const));
    const res = await Promise.all(files.map((f) => yanglint(SETS[set], [f])));
    res.forEach((r, i) => {
      const [name, , why] = cases[i] as [string, string, RegExp];
      expect(r.ok, `${set} ${name} must fail`).toBe(false);
      expect(r.out, `${set} ${name}`).toMatch(why);
    });
  });
}

/** What a device holds before vmmi adds anything: the port and the default network instance. */
const OC_BASE = [
  '<interfaces xmlns="http://openconfig.net/yang/interfaces"><interface><name>Ethernet1</name>' +
  '<config><name>Ethernet1</name><type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">' +
  'ianaift:ethernetCsmacd</type></config></interface></interfaces>',
  '<network-instances xmlns="http://openconfig.net/yang/network-instance"><network-instance><name>default</name>' +
  '<config>' +
  '<name>default</name><type xmlns:oc-ni-types="http://openconfig.net/yang/network-instance-types">' +
  'oc-ni-types:DEFAULT_INSTANCE</type></config></network-instance></network-instances>',
];

/**
 * The additions merged onto a device configuration (`-t getconfig -m`: types, keys and identities of
 * the merged tree). Full `-t config` validation is not used: libyang 2.1.30 then demands the state
 * leaf `interfaces/interface/state/type` and rejects openconfig-if-ethernet's `when` on a port whose
 * type is ethernetCsmacd (docs/vendor-models.md).
 */
for (const set of ['openconfig', 'eos'] as const) {
  test(`${set}: the additions merged onto a device configuration parse as one configuration`, async () => {
    test.skip(!haveYanglint, NO_YANGLINT);
    const adds = ALL[set]().filter(([n, x]) => !n.startsWith('golden/') && !x.includes('nc:operation'));
    expect(adds.length).toBeGreaterThanOrEqual(4);
    const base = write(`base-${set}`, OC_BASE.map((x, i) => [`base${i}`, x] as const));
    const files = write(`merge-${set}`, adds);
    const merged = await yanglint(SETS[set], [...base, ...files], ['-t', 'getconfig', '-m']);
    expect(merged.out).toBe('');
    expect(merged.ok).toBe(true);
    const badType = (OC_BASE[0] as string).replace('ethernetCsmacd', 'ethernetCsmacdd');
    const bad = write(`merge-bad-${set}`, [['bad-type', badType]]);
    const rejected = await yanglint(SETS[set], [...bad, base[1] as string, ...files], ['-t', 'getconfig', '-m']);
    expect(rejected.ok).toBe(false);
    expect(rejected.out).toMatch(/ethernetCsmacdd/);
  });
}

test('eos: no payload touches a node Arista marks not-supported', () => {
  const unsupported = EOS_NOT_SUPPORTED.flatMap((f) => [...readFileSync(join(YANG, f), 'utf8')
    .matchAll(/deviation\s+"([^"]+)"\s*\{(?:\s*description\s+"[^"]*";)?\s*deviate\s+not-supported;/g)]
    .map((m) => (m[1] as string).replace(/[\w.-]+:/g, '')));
  expect(unsupported).toContain(
    '/network-instances/network-instance/protocols/protocol/static-routes/static/config/description');
  const paths = (xml: string): string[] => {
    const out: string[] = [];
    const walk = (n: XNode, at: string): void => {
      out.push(`${at}/${n.name}`);
      for (const c of n.children) walk(c, `${at}/${n.name}`);
    };
    walk(parseXml(xml), '');
    return out;
  };
  const hits = (cases: Array<[string, string]>): string[] => cases.flatMap(([n, x]) =>
    paths(x).filter((p) => unsupported.some((u) => p === u || p.startsWith(`${u}/`))).map((p) => `${n}: ${p}`));
  expect(hits(ALL.eos())).toEqual([]);
  // The plain OpenConfig host route carries the description EOS rejects: the check bites.
  expect(hits([['openconfig', payloadCases()['openconfig/host-route-v4-add.xml'] ?? '']]).length).toBe(1);
  // The OpenConfig DCI payloads use what EOS 4.36.1F does not support: why EOS takes them on the CLI.
  const ocDci = hits([['l2', payloadCases()['openconfig/l2-stretch-add.xml'] ?? ''],
    ['l3', payloadCases()['openconfig/l3vpn-add.xml'] ?? '']]).join('\n');
  for (const p of ['l2: /network-instances/network-instance/evpn',
    'l2: /network-instances/network-instance/encapsulation',
    '/connection-points/connection-point/endpoints/endpoint/vxlan/config',
    'l3: /network-instances/network-instance/inter-instance-policies/import-export-policy']) {
    expect(ocDci).toContain(p);
  }
});
