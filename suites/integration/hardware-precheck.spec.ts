/**
 * What a hardware testbed lacks is refused at precheck, named, before anything is touched: a router
 * with no observer fine enough for the strategy, no host in the destination subnet for the conflict
 * probe, a traffic host without `node`. The capabilities are read by the real device wiring
 * (harness/device-wiring.ts) against real OpenSSH peers on loopback (one with node on its PATH, one
 * without); hypervisors and switch transactions are the executor's fakes, which these refusals must
 * never reach.
 */
/* eslint-disable no-restricted-imports -- the precheck composition is internal; the package entry does not export it */
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { startPrivateSshd, startSshdWithoutNode, type PrivateSshd } from '../../test/helpers/private-sshd.js';
import { worldWith } from '../../test/fakes/migration-world.js';
import { createDeviceWiring } from '../../src/harness/device-wiring.js';
import { labTestbed } from '../../src/migration/fixtures/lab-testbed.js';
import { runMigration, type RunMigrationOptions } from '../../src/migration/run.js';
import { Secret } from '../../src/model/secret.js';
import type { Switch, Testbed, TrafficHost } from '../../src/model/testbed.js';
import { SshPool } from '../../src/transports/ssh.js';

test.describe.configure({ mode: 'serial' });

let withNode: PrivateSshd | undefined;
let nodeless: PrivateSshd | undefined;

test.beforeAll(async () => {
  test.setTimeout(60_000);
  withNode = await startPrivateSshd({ sftp: true });
  nodeless = await startSshdWithoutNode(['mktemp', 'cp', 'chmod', 'rm', 'cat', 'ip']);
});

test.afterAll(async () => {
  await withNode?.stop();
  await nodeless?.stop();
});

async function sshHost(s: PrivateSshd | undefined, name: string, extra: Partial<TrafficHost>): Promise<TrafficHost> {
  if (s === undefined) throw new Error('sshd not started');
  const key = await readFile(s.clientKey.privateFile, 'utf8');
  return { name, kind: 'ssh', address: '127.0.0.1', port: s.port, probeByDefault: true,
    hostKey: { kind: 'fingerprint', sha256: s.hostKey.fingerprint },
    credentials: { username: 'root', privateKey: new Secret('${file:client_ed25519}', key) }, ...extra };
}

/** The fixture lab as hardware: Linux-NOS switches (SSH exec observers), SSH traffic hosts, no lab section. */
async function hardware(o: { tors?: Partial<Switch>; client?: PrivateSshd; subnetHost?: boolean; reconvMs?: number }):
  Promise<Testbed> {
  const base = labTestbed();
  const switches = base.switches.map((s) => ({ ...s, cli: { port: 22, platform: 'frr-vtysh' as const },
    ...(s.role === 'tor' ? o.tors : {}) }));
  const trafficHosts = [await sshHost(o.client ?? withNode, 'client', { site: 'A', ipv4: '198.18.20.2/24' })];
  if (o.subnetHost !== false) {
    trafficHosts.push(await sshHost(withNode, 'hv3-host', { site: 'B', ipv4: '198.18.11.13/24', interface: 'br0',
      probeByDefault: false }));
  }
  return { ...base, switches, trafficHosts,
    thresholds: { ...base.thresholds, maxReconvergenceMs: o.reconvMs ?? base.thresholds.maxReconvergenceMs } };
}

const fast: RunMigrationOptions = { verify: { timeoutMs: 300, intervalMs: 20 }, holdMs: 0 };

/** Runs the precheck of a move vm1 hv1 → hv3 with the wiring's `missing`; returns the refusal reason. */
async function refusal(tb: Testbed): Promise<string> {
  const w = worldWith(tb, 'vm1', 'hv1');
  const pool = new SshPool();
  const access = createDeviceWiring(tb, { pool, maxLifetimeMs: 60_000, subnetInterface: () => undefined,
    readRoutesOf: () => () => Promise.resolve([]) });
  try {
    const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] },
      { ...w.drivers, missing: (needs, io) => access.missing(needs, io) }, fast);
    expect(r.verdict).toBe('refused');
    expect(r.attempts[0]?.failure?.step).toBe('precheck');
    // Refused before anything was touched: no hypervisor call, no route change on any device.
    expect(w.cluster.calls).toEqual([]);
    expect(w.routes).toEqual([]);
    return r.attempts[0]?.failure?.reason ?? '';
  } finally {
    await access.close();
    await pool.closeAll();
  }
}

test('a complete hardware testbed passes the capability check', async () => {
  const tb = await hardware({});
  const pool = new SshPool();
  const access = createDeviceWiring(tb, { pool, maxLifetimeMs: 60_000, subnetInterface: () => undefined,
    readRoutesOf: () => () => Promise.resolve([]) });
  try {
    expect(await access.missing({ routers: ['torA', 'torB'], trafficHosts: ['client'], subnet: 'netB' },
      { timeoutMs: 30_000 })).toEqual([]);
  } finally {
    await access.close();
    await pool.closeAll();
  }
});

test('no observer fine enough for a watched router: refused, naming the device and what it must offer', async () => {
  // NETCONF-only TORs are polled every 100 ms; a 500 ms reconvergence bound needs 50 ms or better.
  const tb = await hardware({ tors: { kind: 'netconf-ietf', cli: undefined }, reconvMs: 500 });
  const reason = await refusal(tb);
  expect(reason).toMatch(/torA: no route observer: it must offer a Linux shell on SSH exec/);
  expect(reason).toMatch(/ietf-yang-push/);
});

test('no traffic host in the destination subnet: refused, naming the subnet and the conflict probe', async () => {
  const reason = await refusal(await hardware({ subnetHost: false }));
  expect(reason).toContain('no traffic host in the destination subnet netB for the conflict probe');
});

test('a traffic host without node: refused, naming the host and what to install', async () => {
  const reason = await refusal(await hardware({ client: nodeless }));
  expect(reason).toMatch(/client/);
  expect(reason).toMatch(/node/i);
});
