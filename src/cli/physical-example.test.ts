/**
 * testbeds/examples/physical.yaml as a hardware lab: it loads and matches the JSON Schema, its traffic
 * hosts are SSH hosts with pinned keys, each VM subnet has one attached for the conflict probe, every SSH
 * peer has a known_hosts entry, every router has an observer, and `vmmi plan` prints the vendor payloads of
 * a move (the plan only renders them from the testbed: the example's addresses lead nowhere).
 */
import { expect, test } from '@playwright/test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { vmmiCli } from '../../test/helpers/vmmi-cli.js';
import { createDeviceAccess } from '../harness/device-access.js';
import { maxObserverResolutionMs } from '../harness/device-wiring.js';
import { contains, parseCidr, parseIp } from '../inventory/ip.js';
import { loadTestbed } from '../inventory/load.js';
import { testbedJsonSchema } from '../inventory/schema.js';
import type { Testbed, TrafficHost } from '../model/testbed.js';
import { observerFor, observerGaps } from '../probes/route-monitor/select.js';
import { knownHostKeys } from '../transports/ssh-known-hosts.js';

const repo = join(import.meta.dirname, '../..');
const FILE = 'testbeds/examples/physical.yaml';
const KNOWN_HOSTS = join(repo, 'testbeds/examples/known_hosts');

const load = (): Promise<Testbed> => loadTestbed(join(repo, FILE), { env: {} });

/** True when one of the host's addresses lies in one of the prefixes. */
function inside(addrs: readonly (string | undefined)[], prefixes: readonly (string | undefined)[]): boolean {
  const cidrs = prefixes.flatMap((p) => (p === undefined ? [] : [parseCidr(p)]));
  return addrs.some((a) => {
    const ip = a === undefined ? undefined : parseIp(a.split('/')[0] ?? a);
    return ip !== undefined && cidrs.some((c) => c !== undefined && contains(c, ip.family, ip.addr));
  });
}

test('the physical example loads, validates against the JSON Schema and uses only documentation addresses', async () => {
  const tb = await load();
  expect(tb.name).toBe('dc-pair-nightly');
  expect(tb.lab).toBeUndefined();
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
  const validate = ajv.compile(testbedJsonSchema() as object);
  const doc: unknown = parseYaml(readFileSync(join(repo, FILE), 'utf8'));
  expect(validate(doc) ? [] : validate.errors).toEqual([]);
  // Every address written in the file (with or without a prefix length) is from 198.18.0.0/15 or 2001:2::/48.
  const text = readFileSync(join(repo, FILE), 'utf8');
  const v4 = [...text.matchAll(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g)].map((m) => m[0]);
  const v6 = [...text.matchAll(/"([0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7})(?:\/\d+)?"/gi)].map((m) => m[1] as string)
    .filter((a) => parseIp(a)?.family === 6); // not the MACs
  expect(v4.length).toBeGreaterThan(20);
  expect(v6.length).toBeGreaterThan(10);
  expect(v4.filter((a) => !inside([a], ['198.18.0.0/15']))).toEqual([]);
  expect(v6.filter((a) => !inside([a], ['2001:2::/48']))).toEqual([]);
});

test('hypervisors over qemu+ssh or qemu+tls; switches of several kinds, a Linux NOS TOR on SSH exec', async () => {
  const tb = await load();
  for (const h of tb.hypervisors) expect(h.uri).toMatch(/^qemu\+(ssh|tls):\/\//);
  expect(new Set(tb.hypervisors.map((h) => h.uri.split(':')[0]))).toEqual(new Set(['qemu+ssh', 'qemu+tls']));
  expect(new Set(tb.switches.map((s) => s.kind)))
    .toEqual(new Set(['junos-netconf', 'eos', 'openconfig-netconf', 'frr-ssh', 'netconf-ietf']));
  const linuxTor = tb.switches.find((s) => s.role === 'tor' && s.cli?.platform === 'frr-vtysh');
  expect(linuxTor).toBeDefined();
  // Every router has an observer at the resolution the run is judged with (polling every 100 ms must be fine
  // enough for the thresholds); the Linux NOS gets the SSH exec one.
  const select = { maxResolutionMs: maxObserverResolutionMs(tb) };
  expect(observerGaps(tb.switches, select)).toEqual([]);
  for (const sw of tb.switches) expect(observerFor(sw, undefined, select).kind, sw.name).not.toBe('none');
  expect(observerFor(linuxTor as NonNullable<typeof linuxTor>, undefined, select).kind).toBe('ssh-exec');
  // Names that differ from the platform defaults (Junos irb.<VNI>, Linux vlan<VNI>) are given.
  expect(tb.subnets.map((s) => [s.name, s.interface, s.gatewayInterface])).toEqual([
    ['tenant-blue-a', 'irb.110', undefined], ['tenant-blue-b', 'vlan210', 'vlan210-v0']]);
});

test('every traffic host is an SSH host with credentials by reference and a pinned host key', async () => {
  const tb = await load();
  const doc = parseYaml(readFileSync(join(repo, FILE), 'utf8')) as {
    trafficHosts: Record<string, { credentials: Record<string, string> }>;
  };
  expect(tb.trafficHosts.length).toBeGreaterThanOrEqual(3);
  for (const h of tb.trafficHosts) {
    expect(h.kind, h.name).toBe('ssh');
    expect(h.address, h.name).toBeDefined();
    expect(h.credentials?.privateKey ?? h.credentials?.password, h.name).toBeDefined();
    expect(h.hostKey?.kind, h.name).toBe('known-hosts');
    for (const [k, v] of Object.entries(doc.trafficHosts[h.name]?.credentials ?? {})) {
      if (k !== 'username') expect(v, `${h.name}.${k}`).toMatch(/^\$\{(file|env):[^}]+\}$/);
    }
  }
  expect(readFileSync(join(repo, FILE), 'utf8')).not.toContain('insecure');
});

test('each VM subnet has an attached SSH traffic host the conflict probe finds, and the precheck misses nothing',
  async () => {
    const tb = await load();
    const vmSubnets = new Set(tb.vms.map((v) => v.subnet));
    const never = (): never => { throw new Error('nothing may connect'); };
    const access = createDeviceAccess(tb, {
      maxLifetimeMs: 1000, openHost: never, runnerOf: () => ({ where: 'nowhere', run: never }),
      observerGaps: () => [], routeResolutionMs: 1,
      routes: {} as never,
    });
    for (const s of tb.subnets.filter((x) => vmSubnets.has(x.name))) {
      const attached = tb.trafficHosts.filter((h) =>
        inside([h.ipv4], [s.ipv4?.prefix]) && inside([h.ipv6], [s.ipv6?.prefix]));
      expect(attached.map((h) => [h.kind, h.interface !== undefined]), s.name).toContainEqual(['ssh', true]);
      expect(access.subnetHost(s)?.name, s.name).toBe(attached[0]?.name);
      expect(await access.missing({ routers: [], trafficHosts: [], subnet: s.name }, {})).toEqual([]);
    }
  });

test('known_hosts has a real ed25519 key for every SSH peer of the example', async () => {
  const tb = await load();
  const text = readFileSync(KNOWN_HOSTS, 'utf8');
  const peers: Array<{ name: string; host: string; port: number }> = [];
  for (const sw of tb.switches) {
    if (sw.hostKey.kind !== 'known-hosts') continue;
    peers.push({ name: sw.name, host: sw.address, port: sw.port });
    if (sw.cli !== undefined) peers.push({ name: `${sw.name} cli`, host: sw.address, port: sw.cli.port });
  }
  for (const h of tb.hypervisors.filter((x) => x.uri.startsWith('qemu+ssh:'))) {
    peers.push({ name: h.name, host: h.address, port: 22 });
  }
  const ssh = (h: TrafficHost): boolean => h.hostKey?.kind === 'known-hosts' && h.address !== undefined;
  for (const h of tb.trafficHosts.filter(ssh)) peers.push({ name: h.name, host: h.address ?? '', port: h.port ?? 22 });
  expect(peers.length).toBeGreaterThanOrEqual(12);
  for (const p of peers) {
    const keys = knownHostKeys(text, p.host, p.port, 'known_hosts');
    expect(keys.map((k) => k.keyType), `${p.name} ${p.host}:${p.port}`).toEqual(['ssh-ed25519']);
    // An OpenSSH ed25519 public key blob: string "ssh-ed25519" then the 32-byte key.
    const blob = keys[0]?.blob ?? Buffer.alloc(0);
    expect(blob.length, p.name).toBe(4 + 11 + 4 + 32);
    expect(blob.subarray(4, 15).toString(), p.name).toBe('ssh-ed25519');
  }
});

test('vmmi plan on the physical example prints the vendor payloads of every device the move touches', async () => {
  const t0 = Date.now();
  const r = await vmmiCli(['plan', 'web1', '--to', 'kvm-b1', '--testbed', FILE]);
  expect(r.code, r.stderr).toBe(0);
  // No device is reached: the example's addresses lead nowhere, and a connection attempt would fail or hang.
  expect(Date.now() - t0).toBeLessThan(60_000);
  const out = r.stdout;
  const section = out.slice(out.indexOf('device payloads'));
  expect(section).toContain('nothing is sent');
  for (const d of ['leaf-b1', 'gw-b', 'wan-a', 'gw-a', 'leaf-a1']) expect(section).toContain(`\n  ${d} (`);
  // Junos configuration XML, OpenConfig network-instance, IETF routing, FRR vtysh.
  expect(section).toMatch(/leaf-a1 \(junos-netconf\):[\s\S]*<configuration xmlns="http:\/\/yang\.juniper\.net\/junos-qfx\/conf\/root">[\s\S]*<name>198\.18\.110\.10\/32<\/name>\s*<next-hop>198\.18\.130\.1<\/next-hop>/);
  expect(section).toMatch(/wan-a \(openconfig-netconf\):[\s\S]*<network-instances xmlns="http:\/\/openconfig\.net\/yang\/network-instance">[\s\S]*<next-hop>198\.18\.131\.1<\/next-hop>/);
  expect(section).toMatch(/gw-b \(netconf-ietf\):[\s\S]*<routing xmlns="urn:ietf:params:xml:ns:yang:ietf-routing">[\s\S]*<next-hop-address>198\.18\.230\.0<\/next-hop-address>/);
  // The Linux NOS TOR: the subnet's interface as the testbed names it (vlan210, not the default vlan10210).
  expect(section).toMatch(/leaf-b1 \(frr-ssh\):[\s\S]*vtysh:\s*configure terminal\s*ip route 198\.18\.110\.10\/32 vlan210/);
  expect(section).toContain('ipv6 route 2001:2:0:110::10/128 vlan210');
  expect(section).not.toContain('nothing to send');
});

test('vmmi plan --json carries one payload per op, NETCONF XML for the NETCONF kinds', async () => {
  const r = await vmmiCli(['plan', 'web1', '--to', 'kvm-b1', '--testbed', FILE, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const p = JSON.parse(r.stdout) as {
    transactions: Record<string, Array<{ ops: unknown[] }>>;
    payloads: Array<{ device: string; kind: string; format: string; text: string }>;
  };
  const ops = Object.values(p.transactions).flat().flatMap((tx) => tx.ops);
  expect(p.payloads).toHaveLength(ops.length);
  for (const x of p.payloads) {
    expect(x.format, x.device).toBe(x.kind === 'frr-ssh' ? 'vtysh' : 'netconf');
    if (x.format === 'netconf') expect(x.text, x.device).toMatch(/^<[a-z-]+ xmlns="[^"]+">/);
  }
});
