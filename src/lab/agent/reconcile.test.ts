import { test, expect } from '@playwright/test';
import { parseXml } from '../../transports/netconf/xml.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import {
  isRouteCommand, NO_OWNED, parseActual, parseRunningConfig, parseVxlanSpec, reconcile, type ActualState,
} from './reconcile.js';
import { neighSuppressFileIn, neighSuppressText, parseNeighSuppress, readNeighSuppress } from './neigh-suppress.js';

const RUNNING = `<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">
    <interface>
      <name>br101</name>
      <type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:bridge</type>
      <ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">
        <address><ip>198.18.11.1</ip><prefix-length>24</prefix-length></address>
        <address><ip>198.18.10.1</ip><prefix-length>32</prefix-length></address>
      </ipv4>
      <ipv6 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">
        <address><ip>2001:2:0:11::1</ip><prefix-length>64</prefix-length></address>
      </ipv6>
    </interface>
    <interface>
      <name>hv3</name>
      <type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:ethernetCsmacd</type>
      <description>vmmi-segment vni=101 bridge=br101</description>
      <enabled>true</enabled>
    </interface>
    <interface>
      <name>swp9</name>
      <type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:ethernetCsmacd</type>
    </interface>
  </interfaces>
  <routing xmlns="urn:ietf:params:xml:ns:yang:ietf-routing">
    <control-plane-protocols>
      <control-plane-protocol>
        <type xmlns:rt="urn:ietf:params:xml:ns:yang:ietf-routing">rt:static</type>
        <name>vmmi</name>
        <static-routes>
          <ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ipv4-unicast-routing">
            <route><destination-prefix>198.18.10.100/32</destination-prefix>
              <next-hop><outgoing-interface>br101</outgoing-interface></next-hop></route>
          </ipv4>
          <ipv6 xmlns="urn:ietf:params:xml:ns:yang:ietf-ipv6-unicast-routing">
            <route><destination-prefix>2001:2:0:10::100/128</destination-prefix>
              <next-hop><outgoing-interface>br101</outgoing-interface></next-hop></route>
          </ipv6>
        </static-routes>
      </control-plane-protocol>
    </control-plane-protocols>
  </routing>
</data>`;

const desired = parseRunningConfig(parseXml(RUNNING));

const actual: ActualState = {
  links: [
    { name: 'br101', up: true, addresses: ['198.18.11.1/24', '2001:2:0:11::1/64'] },
    { name: 'hv3', up: false, addresses: [] },
    { name: 'up0', up: true, addresses: ['198.18.30.3/31'] },
  ],
  routes: [{ dst: '198.18.99.0/24', via: '198.18.30.2', dev: 'up0' }],
};

test('parses interfaces, addresses, bridge membership and static routes of both families', () => {
  expect(
    desired.interfaces.map((i) => [i.name, i.isBridge, i.bridge ?? '-', i.enabled, i.addresses.join(',')]),
  ).toEqual([
    ['br101', true, '-', true, '198.18.11.1/24,198.18.10.1/32,2001:2:0:11::1/64'],
    ['hv3', false, 'br101', true, ''],
    ['swp9', false, '-', true, ''],
  ]);
  expect(desired.routes).toEqual([
    { dst: '198.18.10.100/32', dev: 'br101' }, { dst: '2001:2:0:10::100/128', dev: 'br101' }]);
});

test('adds what is missing, removes foreign static routes, reports unknown interfaces', () => {
  const plan = reconcile(desired, actual);
  expect(plan.commands).toEqual([
    ['ip', 'addr', 'add', '198.18.10.1/32', 'dev', 'br101'],
    ['ip', 'link', 'set', 'dev', 'hv3', 'master', 'br101'],
    ['ip', 'link', 'set', 'dev', 'hv3', 'up'],
    ['ip', 'route', 'del', '198.18.99.0/24', 'proto', 'static'],
    ['ip', 'route', 'replace', '198.18.10.100/32', 'dev', 'br101', 'proto', 'static'],
    ['ip', '-6', 'route', 'replace', '2001:2:0:10::100/128', 'dev', 'br101', 'proto', 'static'],
  ]);
  expect(plan.problems).toEqual(['interface swp9 does not exist on this switch']);
  expect(plan.owned).toEqual({ addresses: ['br101 198.18.10.1/32'], bridges: [], ports: ['hv3 br101'] });
});

test('converged state gives no commands (level-triggered, idempotent)', () => {
  const converged: ActualState = {
    links: [
      { name: 'br101', up: true, addresses: ['198.18.11.1/24', '198.18.10.1/32', '2001:2:0:11::1/64'] },
      { name: 'hv3', up: true, master: 'br101', addresses: [] },
      { name: 'swp9', up: true, addresses: [] },
    ],
    routes: [{ dst: '198.18.10.100/32', dev: 'br101' }, { dst: '2001:2:0:10::100/128', dev: 'br101' }],
  };
  expect(reconcile(desired, converged).commands).toEqual([]);
});

test('a rollback to an empty config removes only what the agent added', () => {
  const first = reconcile(desired, actual);
  const after: ActualState = {
    links: [
      { name: 'br101', up: true, addresses: ['198.18.11.1/24', '198.18.10.1/32', '2001:2:0:11::1/64'] },
      { name: 'hv3', up: true, master: 'br101', addresses: [] },
    ],
    routes: [{ dst: '198.18.10.100/32', dev: 'br101' }, { dst: '2001:2:0:10::100/128', dev: 'br101' }],
  };
  const back = reconcile({ interfaces: [], routes: [] }, after, first.owned);
  expect(back.commands).toEqual([
    ['ip', 'addr', 'del', '198.18.10.1/32', 'dev', 'br101'],
    ['ip', 'link', 'set', 'dev', 'hv3', 'nomaster'],
    ['ip', 'route', 'del', '198.18.10.100/32', 'proto', 'static'],
    ['ip', '-6', 'route', 'del', '2001:2:0:10::100/128', 'proto', 'static'],
  ]);
  expect(back.owned).toEqual({ addresses: [], bridges: [], ports: [] });
});

test('creates a configured bridge that does not exist and deletes it when it leaves the config', () => {
  const d = parseRunningConfig(parseXml(`<data><interfaces><interface><name>br7</name>
    <type>ianaift:bridge</type></interface></interfaces></data>`));
  const p = reconcile(d, { links: [], routes: [] });
  expect(p.commands).toEqual([
    ['ip', 'link', 'add', 'name', 'br7', 'type', 'bridge'],
    ['ip', 'link', 'set', 'dev', 'br7', 'up'],
  ]);
  const gone = reconcile(
    { interfaces: [], routes: [] },
    { links: [{ name: 'br7', up: true, addresses: [] }], routes: [] },
    p.owned,
  );
  expect(gone.commands).toEqual([['ip', 'link', 'del', 'dev', 'br7']]);
});

test('a route with a next-hop address is matched by gateway', () => {
  const d = { interfaces: [], routes: [{ dst: '198.18.10.100/32', via: '198.18.30.2' }] };
  expect(
    reconcile(d, { links: [], routes: [{ dst: '198.18.10.100/32', via: '198.18.30.2', dev: 'up0' }] }).commands,
  ).toEqual([]);
  expect(reconcile(d, { links: [], routes: [] }).commands).toEqual([
    ['ip', 'route', 'replace', '198.18.10.100/32', 'via', '198.18.30.2', 'proto', 'static']]);
});

test('reads ip -j output: link flags, master, global addresses, static routes', () => {
  const a = parseActual(
    '[{"ifname":"hv3","flags":["BROADCAST","UP"],"master":"br101"},{"ifname":"br101","flags":["BROADCAST"]}]',
    '[{"ifname":"br101","addr_info":[{"local":"198.18.11.1","prefixlen":24,"scope":"global"},{"local":"fe80::1","prefixlen":64,"scope":"link"}]}]',
    '[{"dst":"198.18.10.100","dev":"br101"}]',
    '[]',
  );
  expect(a).toEqual({
    links: [
      { name: 'hv3', up: true, master: 'br101', addresses: [] },
      { name: 'br101', up: false, addresses: ['198.18.11.1/24'] },
    ],
    routes: [{ dst: '198.18.10.100/32', dev: 'br101' }],
  });
});

test('a vxlan tunnel interface becomes a non-learning VXLAN port of its bridge, and goes when the config drops it', () => {
  const cfg = parseRunningConfig(
    parseXml(`<data><interfaces>
    <interface><name>br101</name><type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:bridge</type></interface>
    <interface><name>vxlan100</name><type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:tunnel</type>
      <description>vxlan id=100 local=198.18.30.3 dstport=4789 bridge=br101</description><enabled>true</enabled></interface>
  </interfaces></data>`),
  );
  expect(cfg.interfaces.find((i) => i.name === 'vxlan100')?.vxlan).toEqual({
    id: 100,
    local: '198.18.30.3',
    dstport: 4789,
  });
  const actual: ActualState = { links: [{ name: 'br101', up: true, addresses: [] }], routes: [] };
  const p = reconcile(cfg, actual);
  expect(p.problems).toEqual([]);
  expect(p.commands).toEqual([
    [
      'ip',
      'link',
      'add',
      'name',
      'vxlan100',
      'type',
      'vxlan',
      'id',
      '100',
      'local',
      '198.18.30.3',
      'dstport',
      '4789',
      'nolearning',
    ],
    ['ip', 'link', 'set', 'dev', 'vxlan100', 'master', 'br101'],
    ['ip', 'link', 'set', 'dev', 'vxlan100', 'type', 'bridge_slave', 'learning', 'off'],
    ['bridge', 'fdb', 'flush', 'dev', 'br101', 'dynamic'],
    ['ip', 'link', 'set', 'dev', 'vxlan100', 'up'],
  ]);
  expect(p.owned.tunnels).toEqual(['vxlan100']);
  // Applied: converged, nothing more to do.
  const applied: ActualState = {
    links: [...actual.links, { name: 'vxlan100', up: true, master: 'br101', addresses: [] }],
    routes: [],
  };
  expect(reconcile(cfg, applied, p.owned).commands).toEqual([]);
  // The interface removed from config: the agent takes its own device away; a lab-built one it never created stays.
  const gone = reconcile({ ...cfg, interfaces: cfg.interfaces.filter((i) => i.name !== 'vxlan100') }, applied, p.owned);
  expect(gone.commands).toEqual([
    ['ip', 'link', 'set', 'dev', 'vxlan100', 'nomaster'],
    ['ip', 'link', 'del', 'dev', 'vxlan100'],
  ]);
  expect(gone.owned.tunnels).toBeUndefined();
  expect(reconcile({ ...cfg, interfaces: [] }, applied).commands).toEqual([]);
  // Malformed specs are not VXLAN devices (and a missing non-bridge interface is a problem, not a command).
  expect(parseVxlanSpec('vxlan id=0 local=198.18.30.3')).toBeUndefined();
  expect(parseVxlanSpec('vxlan id=5 local=$(reboot)')).toBeUndefined();
  expect(parseVxlanSpec('uplink to vxlan-free zone')).toBeUndefined();
});

const STRETCHED = parseRunningConfig(parseXml(`<data><interfaces>
    <interface><name>br101</name><type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:bridge</type></interface>
    <interface><name>hv3</name><type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:ethernetCsmacd</type>
      <description>vmmi-segment vni=101 bridge=br101</description></interface>
    <interface><name>vxlan100</name><type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:tunnel</type>
      <description>vxlan id=100 local=198.18.30.3 dstport=4789 bridge=br101</description><enabled>true</enabled></interface>
  </interfaces></data>`));
const SUPPRESS_ON = ['bridge', 'link', 'set', 'dev', 'vxlan100', 'neigh_suppress', 'on'];

test('ARP/ND suppression: a VXLAN port the agent creates gets neigh_suppress as it joins; host ports never do', () => {
  const before: ActualState = {
    links: [{ name: 'br101', up: true, addresses: [] }, { name: 'hv3', up: true, master: 'br101', addresses: [],
      neighSuppress: false }],
    routes: [],
  };
  const on = reconcile(STRETCHED, before, NO_OWNED, { neighSuppress: true });
  expect(on.commands).toEqual([
    ['ip', 'link', 'add', 'name', 'vxlan100', 'type', 'vxlan', 'id', '100', 'local', '198.18.30.3', 'dstport', '4789',
      'nolearning'],
    ['ip', 'link', 'set', 'dev', 'vxlan100', 'master', 'br101'],
    ['ip', 'link', 'set', 'dev', 'vxlan100', 'type', 'bridge_slave', 'learning', 'off'],
    SUPPRESS_ON,
    ['bridge', 'fdb', 'flush', 'dev', 'br101', 'dynamic'],
    ['ip', 'link', 'set', 'dev', 'vxlan100', 'up'],
  ]);
  // Off, or no knob: a new port starts with the flag off, nothing to set.
  for (const o of [{ neighSuppress: false }, {}]) {
    const cmds = reconcile(STRETCHED, before, NO_OWNED, o).commands;
    expect(cmds.filter((c) => c.includes('neigh_suppress'))).toEqual([]);
    expect(cmds).toHaveLength(5);
  }
  // A host-facing port that joins the bridge gets no flag (it would turn the bridge's proxy off for its hosts).
  const hostJoins = reconcile(STRETCHED, { ...before, links: [{ name: 'br101', up: true, addresses: [] },
    { name: 'hv3', up: true, addresses: [] }] }, NO_OWNED, { neighSuppress: true });
  expect(hostJoins.commands.filter((c) => c.includes('hv3'))).toEqual([['ip', 'link', 'set', 'dev', 'hv3', 'master', 'br101']]);
});

test('ARP/ND suppression: an existing VXLAN port is set to the knob, level-triggered; unknown flag or no knob: untouched', () => {
  const port = (neighSuppress?: boolean): ActualState => ({
    links: [
      { name: 'br101', up: true, addresses: [] },
      { name: 'hv3', up: true, master: 'br101', addresses: [], neighSuppress: false },
      { name: 'vxlan100', up: true, master: 'br101', addresses: [], ...(neighSuppress === undefined ? {} : { neighSuppress }) },
    ],
    routes: [],
  });
  expect(reconcile(STRETCHED, port(false), NO_OWNED, { neighSuppress: true }).commands).toEqual([SUPPRESS_ON]);
  expect(reconcile(STRETCHED, port(true), NO_OWNED, { neighSuppress: true }).commands).toEqual([]);
  expect(reconcile(STRETCHED, port(true), NO_OWNED, { neighSuppress: false }).commands).toEqual([
    ['bridge', 'link', 'set', 'dev', 'vxlan100', 'neigh_suppress', 'off']]);
  expect(reconcile(STRETCHED, port(true), NO_OWNED).commands).toEqual([]);
  expect(reconcile(STRETCHED, port(undefined), NO_OWNED, { neighSuppress: true }).commands).toEqual([]);
  expect(isRouteCommand(SUPPRESS_ON)).toBe(false);
});

test('reads neigh_suppress of bridge ports from ip -d -j link', () => {
  const a = parseActual(
    '[{"ifname":"vxlan100","flags":["UP"],"master":"br101","linkinfo":{"info_kind":"vxlan","info_slave_kind":"bridge",'
      + '"info_slave_data":{"learning":false,"neigh_suppress":true}}},{"ifname":"hv3","flags":["UP"],"master":"br101",'
      + '"linkinfo":{"info_slave_kind":"bridge","info_slave_data":{"neigh_suppress":false}}},'
      + '{"ifname":"br101","flags":["UP"],"linkinfo":{"info_kind":"bridge"}}]',
    '[]', '[]', '[]');
  expect(a.links.map((l) => [l.name, l.neighSuppress])).toEqual([['vxlan100', true], ['hv3', false], ['br101', undefined]]);
});

test('the suppression file: written and read back; malformed text says nothing', async () => {
  expect(parseNeighSuppress(neighSuppressText(true))).toBe(true);
  expect(parseNeighSuppress(neighSuppressText(false))).toBe(false);
  for (const bad of ['', '{}', 'null', '{"neighSuppress":"on"}', 'on']) expect(parseNeighSuppress(bad)).toBeUndefined();
  const dir = await mkdtemp(`${tmpdir()}/vmmi-ns-`);
  try {
    expect(await readNeighSuppress(dir)).toBeUndefined();
    await writeFile(neighSuppressFileIn(dir), neighSuppressText(true));
    expect(await readNeighSuppress(dir)).toBe(true);
    await writeFile(neighSuppressFileIn(dir), 'garbage');
    await expect(readNeighSuppress(dir)).rejects.toThrow(/neigh-suppress\.json: not/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
