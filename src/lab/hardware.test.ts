import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { parse } from 'yaml';
import { loadTestbed } from '../inventory/load.js';
import type { Testbed } from '../model/testbed.js';
import { hardwareFile, hardwareTestbed, hardwareYaml } from './hardware.js';
import { planLab, type LabPlan } from './topology.js';

const LOCAL = new URL('../../testbeds/local.yaml', import.meta.url).pathname;
const FAKE_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n';

let dir = '';
let lab: Testbed;
let plan: LabPlan;
let hw: Testbed;
let text = '';

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmmi-hw-'));
  lab = await loadTestbed(LOCAL, { labPrefix: 'vmmiu', labDir: dir, env: {} });
  plan = planLab(lab, { assetsDir: '/assets' });
  text = hardwareYaml(lab, plan);
  // What `lab up` leaves in the lab directory before it writes hardware.yaml: the client key.
  await mkdir(join(dir, 'keys'));
  await writeFile(join(dir, 'keys', 'client_ed25519'), FAKE_KEY, { mode: 0o600 });
  await writeFile(hardwareFile(plan), text);
  // An empty environment: no VMMI_LAB_DIR, so nothing of the lab leaks into the load.
  hw = await loadTestbed(hardwareFile(plan), { env: {} });
});

test.afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('hardware.yaml loads as a testbed without a lab section, named after the lab testbed', () => {
  expect(hardwareFile(plan)).toBe(`${dir}/hardware.yaml`);
  expect(hw.lab).toBeUndefined();
  expect(hw.name).toBe('local-hardware');
  expect(text).not.toMatch(/^lab:/m);
  expect(text).not.toContain('netns');
  expect(text).not.toContain('qemu+unix');
  expect(() => planLab(hw, { assetsDir: '/a' })).toThrow(/no lab section/);
});

test('the text is the document: read back with yaml it equals what the generator built', () => {
  expect(parse(text, { strict: true, uniqueKeys: true })).toEqual(hardwareTestbed(lab, plan));
});

test('hypervisors: libvirt over TLS at the management address with the lab CA\'s client identity; migration over the lab network', () => {
  const mig = (a: string) => `qemu+tls://${a}/system?pkipath=/etc/libvirt/pki`;
  const uri = (a: string) => `qemu+tls://${a}/system?pkipath=${dir}/pki/client`;
  expect(hw.hypervisors.map((h) => [h.name, h.site, h.driver, h.uri, h.migrationUri, h.address])).toEqual([
    ['hv1', 'siteA', 'libvirt-rpc', uri('198.19.0.26'), mig('198.18.10.11'), '198.18.10.11'],
    ['hv2', 'siteA', 'libvirt-rpc', uri('198.19.0.30'), mig('198.18.10.12'), '198.18.10.12'],
    ['hv3', 'siteB', 'libvirt-rpc', uri('198.19.0.34'), mig('198.18.11.13'), '198.18.11.13'],
  ]);
  expect(hw.hypervisors.map((h) => h.migrationUri)).toEqual(lab.hypervisors.map((h) => h.migrationUri));
  expect(text).not.toContain('qemu+tcp');
});

test('switches as in the lab: NETCONF and CLI on their management addresses, the lab key, known_hosts pinned', () => {
  const strip = (t: Testbed) => t.switches.map(({ credentials: _c, hostKey: _h, group: _g, ...rest }) => rest);
  expect(strip(hw)).toEqual(strip(lab));
  for (const sw of hw.switches) {
    // NETCONF as the NACM-bound user, the CLI as root: both with the lab's key by reference.
    expect(sw.cli).toMatchObject({ port: 22, platform: 'frr-vtysh', credentials: { username: 'root' } });
    expect(sw.cli?.credentials?.privateKey?.ref).toBe(`\${file:${dir}/keys/client_ed25519}`);
    expect(sw.credentials.username).toBe('vmmi-netconf');
    expect(sw.credentials.privateKey?.ref).toBe(`\${file:${dir}/keys/client_ed25519}`);
    expect(sw.credentials.privateKey?.reveal()).toBe(FAKE_KEY);
    expect(sw.hostKey).toEqual({ kind: 'known-hosts', file: `${dir}/known_hosts` });
  }
});

test('subnets name the interfaces the lab built: bridge br<vni>, anycast gateway gw<vni>', () => {
  expect(hw.subnets.map((s) => [s.name, s.interface, s.gatewayInterface, s.vni])).toEqual([
    ['siteA-vms', 'br100', 'gw100', 100], ['siteB-vms', 'br101', 'gw101', 101]]);
  const plain = (t: Testbed) => t.subnets.map(({ interface: _i, gatewayInterface: _g, ...rest }) => rest);
  expect(plain(hw)).toEqual(plain(lab));
});

test('traffic hosts: the lab clients and one host per hypervisor namespace, all over SSH with pinned host keys', () => {
  const view = hw.trafficHosts.map((t) => [t.name, t.kind, t.site, t.address, t.port, t.ipv4, t.ipv6 ?? '-',
    t.interface ?? '-', t.probeByDefault]);
  expect(view).toEqual([
    ['client', 'ssh', 'siteA', '198.19.0.18', 22, '198.18.20.2/24', '2001:2:0:20::2/64', '-', true],
    ['clientB', 'ssh', 'siteB', '198.19.0.22', 22, '198.18.21.2/24', '2001:2:0:21::2/64', '-', false],
    ['hv1-host', 'ssh', 'siteA', '198.19.0.26', 22, '198.18.10.11/24', '2001:2:0:10::11/64', 'br0', false],
    ['hv2-host', 'ssh', 'siteA', '198.19.0.30', 22, '198.18.10.12/24', '2001:2:0:10::12/64', 'br0', false],
    ['hv3-host', 'ssh', 'siteB', '198.19.0.34', 22, '198.18.11.13/24', '2001:2:0:11::13/64', 'br0', false],
  ]);
  for (const t of hw.trafficHosts) {
    expect(t.netns).toBeUndefined();
    expect(t.credentials?.username).toBe('root');
    expect(t.credentials?.privateKey?.ref).toBe(`\${file:${dir}/keys/client_ed25519}`);
    expect(t.credentials?.password).toBeUndefined();
    expect(t.hostKey).toEqual({ kind: 'known-hosts', file: `${dir}/known_hosts` });
  }
  // The probe hosts of a run are the lab's: the hypervisor hosts are there for conflict probes only.
  expect(hw.trafficHosts.filter((t) => t.probeByDefault).map((t) => t.name))
    .toEqual(lab.trafficHosts.filter((t) => t.probeByDefault).map((t) => t.name));
});

test('sites, links, VMs, defaults and thresholds are the lab testbed\'s', () => {
  expect(hw.sites).toEqual(lab.sites);
  expect(hw.links).toEqual(lab.links);
  expect(hw.vms).toEqual(lab.vms);
  expect(hw.migration).toEqual(lab.migration);
  expect(hw.probe).toEqual(lab.probe);
  expect(hw.thresholds).toEqual(lab.thresholds);
});

test('a testbed name a hypervisor host would take is refused instead of shadowed', () => {
  const clash: Testbed = { ...lab, trafficHosts: [...lab.trafficHosts,
    { name: 'hv2-host', kind: 'local', probeByDefault: false }] };
  expect(() => hardwareTestbed(clash, planLab(clash, { assetsDir: '/a' }))).toThrow(/"hv2-host".*already a testbed name/);
});
