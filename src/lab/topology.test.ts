import { test, expect } from '@playwright/test';
import { loadTestbed } from '../inventory/load.js';
import type { Testbed } from '../model/testbed.js';
import { ANYCAST_MAC, planLab, type LabPlan } from './topology.js';
import { v4Peer, v6Host, v4InPrefix } from './addr.js';

const file = new URL('../../testbeds/local.yaml', import.meta.url).pathname;
const load = (): Promise<Testbed> => loadTestbed(file, { labPrefix: 'vmmiu', labDir: '/tmp/vmmiu-lab' });
const addrs = (p: LabPlan, ns: string | undefined, dev: string): string[] =>
  p.addresses.filter((a) => a.ns === ns && a.dev === dev).map((a) => a.cidr);

test('ten prefixed namespaces, one per node (a client at each site) plus the WAN relay', async () => {
  const p = planLab(await load(), { assetsDir: '/assets' });
  expect(p.nodes.map((n) => n.ns).sort()).toEqual(
    ['client', 'clientB', 'coreA', 'coreB', 'hv1', 'hv2', 'hv3', 'torA', 'torB', 'wan'].map((n) => `vmmiu-${n}`).sort(),
  );
  expect(p.clientNs).toBe('vmmiu-client');
  expect(p.dir).toBe('/tmp/vmmiu-lab');
});

test('the WAN link is split by the relay namespace with offloads off on all four ends', async () => {
  const p = planLab(await load(), { assetsDir: '/assets' });
  const wanVeths = p.veths.filter((v) => v.b.ns === 'vmmiu-wan');
  expect(wanVeths.map((v) => [v.a.ns, v.a.dev, v.b.dev])).toEqual([
    ['vmmiu-coreA', 'to-wan', 'wanA'], ['vmmiu-coreB', 'to-wan', 'wanB']]);
  expect(wanVeths.every((v) => v.offloadsOff)).toBe(true);
  expect(p.veths.filter((v) => v.offloadsOff)).toHaveLength(2);
  expect(p.wan?.controlSocket).toBe('/tmp/vmmiu-lab/wan/relay.sock');
  expect(addrs(p, 'vmmiu-coreA', 'to-wan')).toEqual(['198.18.31.0/31', '2001:2:0:31::/127']);
});

test("TOR bridges have their own MAC and address; the anycast gateway macvlan holds both sites' gateways as /32 and /128", async () => {
  const p = planLab(await load(), { assetsDir: '/assets' });
  const torA = p.bridges.find((b) => b.ns === 'vmmiu-torA');
  const torB = p.bridges.find((b) => b.ns === 'vmmiu-torB');
  expect(torA).toEqual({
    ns: 'vmmiu-torA',
    name: 'br100',
    mac: '02:00:c6:13:01:01',
    ports: ['vxlan100', 'hv1', 'hv2'],
    gateway: { name: 'gw100', mac: ANYCAST_MAC },
    subnet: 'siteA-vms',
  });
  expect(torB).toEqual({
    ns: 'vmmiu-torB',
    name: 'br101',
    mac: '02:00:c6:13:02:02',
    ports: ['hv3'],
    gateway: { name: 'gw101', mac: ANYCAST_MAC },
    subnet: 'siteB-vms',
  });
  // The VMs' subnet is an L2VNI at its home TOR (VTEP = router id); site B's subnet holds no VM: no VNI.
  expect(p.vxlans).toEqual([{ ns: 'vmmiu-torA', name: 'vxlan100', vni: 100, local: '198.18.30.1', bridge: 'br100' }]);
  const startA = p.switches.find((s) => s.name === 'torA')?.startupXml ?? '';
  expect(startA).toContain(
    '<name>vxlan100</name><description>vxlan id=100 local=198.18.30.1 dstport=4789 bridge=br100</description>' +
      '<type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:tunnel</type>',
  );
  // The testbed's NETCONF user is not root: a system account, granted by NACM rules in the startup datastore.
  expect(p.switches.map((s) => s.netconfUser)).toEqual(['vmmi-netconf', 'vmmi-netconf', 'vmmi-netconf', 'vmmi-netconf']);
  expect(startA).toContain('<user-name>vmmi-netconf</user-name>');
  expect(startA).toContain('<routing xmlns="urn:ietf:params:xml:ns:yang:ietf-routing"/>');
  expect(p.routers.find((r) => r.node === 'torB')?.files['bgpd.conf']).toContain(
    '  advertise-all-vni\n  autort rfc8365-compatible\n',
  );
  expect(addrs(p, 'vmmiu-torB', 'br101')).toEqual(['198.18.11.254/24', '2001:2:0:11::254/64']);
  expect(addrs(p, 'vmmiu-torB', 'gw101')).toEqual([
    '198.18.11.1/32',
    '2001:2:0:11::1/128',
    '198.18.10.1/32',
    '2001:2:0:10::1/128',
  ]);
  expect(addrs(p, 'vmmiu-hv3', 'br0')).toEqual(['198.18.11.13/24', '2001:2:0:11::13/64']);
  expect(p.routes.filter((r) => r.ns === 'vmmiu-hv3')).toEqual([
    { ns: 'vmmiu-hv3', dst: 'default', via: '198.18.11.1' },
    { ns: 'vmmiu-hv3', dst: '::/0', via: '2001:2:0:11::1' },
  ]);
});

test('management veths: controller side .1/.5/.9/.13 in the root namespace', async () => {
  const p = planLab(await load(), { assetsDir: '/assets' });
  expect(p.switches.map((s) => [s.name, s.controller, s.address])).toEqual([
    ['torA', '198.19.0.1', '198.19.0.2'], ['torB', '198.19.0.5', '198.19.0.6'],
    ['coreA', '198.19.0.9', '198.19.0.10'], ['coreB', '198.19.0.13', '198.19.0.14']]);
  expect(addrs(p, undefined, 'vmmiu-coreA')).toEqual(['198.19.0.9/30']);
});

test('traffic hosts and hypervisors get management veths: the next /30s after the switches\'', async () => {
  const p = planLab(await load(), { assetsDir: '/assets' });
  expect(p.mgmtHosts.map((h) => [h.node, h.kind, h.serves.join(','), h.controller, h.address, h.rootDev])).toEqual([
    ['client', 'traffic-host', 'client', '198.19.0.17', '198.19.0.18', 'vmmiu-client'],
    ['clientB', 'traffic-host', 'clientB', '198.19.0.21', '198.19.0.22', 'vmmiu-clientB'],
    ['hv1', 'hypervisor', 'hv1', '198.19.0.25', '198.19.0.26', 'vmmiu-hv1'],
    ['hv2', 'hypervisor', 'hv2', '198.19.0.29', '198.19.0.30', 'vmmiu-hv2'],
    ['hv3', 'hypervisor', 'hv3', '198.19.0.33', '198.19.0.34', 'vmmiu-hv3'],
  ]);
  expect(p.mgmtHosts.every((h) => h.len === 30 && h.sshPort === 22)).toBe(true);
  expect(p.veths).toContainEqual({ a: { ns: undefined, dev: 'vmmiu-hv2' }, b: { ns: 'vmmiu-hv2', dev: 'mgmt0' },
    offloadsOff: false });
  expect(addrs(p, undefined, 'vmmiu-clientB')).toEqual(['198.19.0.21/30']);
  expect(addrs(p, 'vmmiu-clientB', 'mgmt0')).toEqual(['198.19.0.22/30']);
  // The data plane of the namespace is unchanged: its link, default routes and the hypervisor's br0.
  expect(addrs(p, 'vmmiu-client', 'eth0')).toEqual(['198.18.20.2/24', '2001:2:0:20::2/64']);
  expect(addrs(p, 'vmmiu-hv1', 'br0')).toEqual(['198.18.10.11/24', '2001:2:0:10::11/64']);
  expect(p.routes.filter((r) => r.ns === 'vmmiu-hv1').map((r) => r.dst)).toEqual(['default', '::/0']);
  // Every root-namespace management address is distinct, and each /30 holds exactly its two ends.
  const root = p.addresses.filter((a) => a.ns === undefined).map((a) => a.cidr);
  expect(new Set(root).size).toBe(9);
  expect(p.hypervisors.map((h) => h.address)).toEqual(['198.18.10.11', '198.18.10.12', '198.18.11.13']);
});

test('management /30s follow the switches when their addresses move (a second lab at 198.19.1.x)', async () => {
  const tb = await load();
  const shifted: Testbed = { ...tb, switches: tb.switches.map((s) => ({ ...s, address: s.address.replace('198.19.0.',
    '198.19.1.') })) };
  const p = planLab(shifted, { assetsDir: '/assets' });
  expect(p.mgmtHosts.map((h) => h.address)).toEqual(['198.19.1.18', '198.19.1.22', '198.19.1.26', '198.19.1.30',
    '198.19.1.34']);
  // Switches at the top of their /24 leave no room: refused before anything is built.
  const full: Testbed = { ...tb, switches: tb.switches.map((s, i) => ({ ...s, address: `198.19.0.${242 + 4 * i}` })) };
  expect(() => planLab(full, { assetsDir: '/assets' })).toThrow(/no free management \/30 left in 198\.19\.0\.0\/24/);
  // A /30 already holding a planned address is skipped.
  const [first, ...rest] = tb.links;
  if (first === undefined) throw new Error('no links');
  const [x, y] = first.endpoints;
  const gap: Testbed = { ...tb, links: [{ ...first, endpoints: [{ ...x, ipv4: '198.19.0.18/29' },
    { ...y, ipv4: '198.19.0.17/29' }] }, ...rest] };
  expect(planLab(gap, { assetsDir: '/assets' }).mgmtHosts.map((h) => h.address).slice(0, 2))
    .toEqual(['198.19.0.22', '198.19.0.26']);
});

test('BGP: eBGP v4 and v6 sessions along every router link; TORs redistribute kernel routes', async () => {
  const p = planLab(await load(), { assetsDir: '/assets' });
  const coreA = p.routers.find((r) => r.node === 'coreA');
  expect(coreA?.neighbors.map((n) => `${n.peer}@${n.address}/${n.asn}`)).toEqual([
    'torA@198.18.30.1/65101', 'torA@2001:2:0:30::1/65101', 'coreB@198.18.31.1/65002', 'coreB@2001:2:0:31::1/65002']);
  const torB = p.routers.find((r) => r.node === 'torB');
  const conf = torB?.files['bgpd.conf'] ?? '';
  expect(conf).toContain('frr defaults datacenter');
  expect(conf).toContain('router bgp 65102');
  // Every gateway is anycast (own site's and the other's): never advertised.
  expect(conf).toContain(
    'ip prefix-list ANYCAST4 seq 5 permit 198.18.11.1/32\nip prefix-list ANYCAST4 seq 10 permit 198.18.10.1/32',
  );
  expect(conf).toMatch(
    /address-family ipv4 unicast\n {2}neighbor 198\.18\.30\.2 activate\n {2}redistribute connected route-map NO-ANYCAST4\n {2}redistribute kernel/,
  );
  expect(conf).toMatch(/address-family l2vpn evpn\n {2}neighbor 198\.18\.30\.2 activate\n {2}advertise-all-vni/);
  expect(coreA?.files['bgpd.conf']).not.toContain('redistribute kernel');
});

test('hypervisors get distinct host UUIDs and migration addresses; the domain is TCG and diskless', async () => {
  const p = planLab(await load(), { assetsDir: '/assets' });
  expect(new Set(p.hypervisors.map((h) => h.hostUuid)).size).toBe(3);
  const hv3 = p.hypervisors.find((h) => h.name === 'hv3');
  // libvirtd listens on the lab address (peers migrate to it) and the management address (controller).
  expect(hv3?.files['libvirtd.conf']).toContain('listen_addr = "0.0.0.0"');
  // TLS only: no plain TCP listener, no auth_tcp; the certificate files are the host's etc/pki.
  expect(hv3?.files['libvirtd.conf']).toContain('listen_tls = 1\nlisten_tcp = 0\n');
  expect(hv3?.files['libvirtd.conf']).not.toContain('auth_tcp');
  expect(hv3?.files['libvirtd.conf']).toContain('ca_file = "/etc/libvirt/pki/cacert.pem"');
  expect(hv3?.files['libvirtd.conf']).toContain('tls_no_verify_certificate = 0');
  expect(hv3?.files['qemu.conf']).toContain('migration_address = "198.18.11.13"');
  expect(hv3?.files['qemu.conf']).toContain('migration_host = "198.18.11.13"');
  // QEMU runs as the unprivileged libvirt-qemu user, not root.
  expect(hv3?.files['qemu.conf']).toMatch(/^user = "libvirt-qemu"\ngroup = "kvm"$/m);
  expect(hv3?.files['qemu.conf']).not.toContain('"root"');
  expect(hv3?.dir).toBe('/tmp/vmmiu-lab/hv3');
  const xml = p.vms[0]?.xml ?? '';
  expect(xml).toContain("<domain type='qemu'>");
  expect(xml).toContain('<kernel>/assets/guest-vmlinuz</kernel>');
  expect(xml).toContain('labip=198.18.10.100/24 labgw=198.18.10.1 labip6=2001:2:0:10::100/64 labgw6=2001:2:0:10::1');
  expect(xml).not.toContain('<disk');
});

test('a testbed without a lab section is refused with a clear error', async () => {
  const tb = await load();
  const { lab: _lab, ...rest } = tb;
  expect(() => planLab(rest as Testbed, { assetsDir: '/a' })).toThrow(/no lab section/);
});

test('too long prefixes are refused before anything is built', async () => {
  const tb = await loadTestbed(file, { labPrefix: 'averyverylongprefix', labDir: '/tmp/x' });
  expect(() => planLab(tb, { assetsDir: '/a' })).toThrow(/interface name too long|collide/);
});

test('address helpers', () => {
  expect(v4Peer('198.19.0.2', 30)).toBe('198.19.0.1');
  expect(v4Peer('198.19.0.1', 30)).toBe('198.19.0.2');
  expect(v4Peer('198.18.31.1', 31)).toBe('198.18.31.0');
  expect(v6Host('2001:2:0:10::/64', 11)).toBe('2001:2:0:10::11');
  expect(v4InPrefix('198.18.11.13', '198.18.10.0/24')).toBe(false);
  expect(v4InPrefix('198.18.10.13', '198.18.10.0/24')).toBe(true);
});

test('a switch starts with its built interfaces in the startup datastore, as the agent reads them back', async () => {
  const { parseXml } = await import('../transports/netconf/xml.js');
  const { parseRunningConfig } = await import('./agent/reconcile.js');
  const p = planLab(await load(), { assetsDir: '/assets' });
  const torB = p.switches.find((s) => s.name === 'torB');
  const cfg = parseRunningConfig(parseXml(torB?.startupXml ?? ''));
  expect(cfg.interfaces.map((i) => [i.name, i.isBridge, i.bridge ?? '-', i.addresses.join(',')])).toEqual([
    ['br101', true, '-', '198.18.11.254/24,2001:2:0:11::254/64'],
    ['up0', false, '-', '198.18.30.3/31,2001:2:0:32::1/127'],
    ['hv3', false, 'br101', ''],
    ['mgmt0', false, '-', '198.19.0.6/30'],
    ['gw101', false, '-', '198.18.11.1/32,198.18.10.1/32,2001:2:0:11::1/128,2001:2:0:10::1/128'],
  ]);
  expect(cfg.routes).toEqual([]);
});
