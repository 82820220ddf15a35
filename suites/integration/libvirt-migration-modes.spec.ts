/**
 * Migration modes against two real QEMU libvirtds on loopback, migrating peer-to-peer over TLS as the
 * emulated lab does (the source daemon dials `qemu+tls://` with its own client certificate; the QEMU
 * stream runs over the migration addresses 127.0.0.2/127.0.0.3): postcopy (switched by the recipe,
 * seen as the source's SUSPENDED/POSTCOPY), auto-converge, multifd (channels counted as TCP
 * connections to the destination's QEMU), xbzrle (compression stats), through the RPC driver and the
 * virsh driver; then postcopy and multifd with QEMU's own TLS stream (VIR_MIGRATE_TLS).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import {
  type HypervisorDriver, type HypervisorEvent, type LibvirtdHandle, LibvirtRpcDriver, type MigrationJobOutcome,
  VirshDriver, renderQemuConf, startLibvirtd,
} from './libvirt-imports.js';
import type { MigrationModeSettings } from '../../src/model/testbed.js'; // eslint-disable-line no-restricted-imports

test.describe.configure({ mode: 'serial', timeout: 180_000 });
const run = promisify(execFile);

const GUEST = 'vmmi-modes1';
const GUEST_XML = `<domain type='qemu'>
  <name>${GUEST}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices>
</domain>`;
const HOSTS = [
  { name: 'hv1', tlsPort: 16613, migrationAddress: '127.0.0.2', uuid: '6c61622d-6876-4000-8000-000000000f01' },
  { name: 'hv2', tlsPort: 16614, migrationAddress: '127.0.0.3', uuid: '6c61622d-6876-4000-8000-000000000f02' },
] as const;

let root: string;
const daemons: LibvirtdHandle[] = [];
let hv1: LibvirtRpcDriver;
let hv2: LibvirtRpcDriver;
const tlsUri = (port: number): string => `qemu+tls://127.0.0.1:${port}/system?pkipath=${root}/client`;
const base: MigrationModeSettings = { mode: 'precopy', postcopy: { afterIterations: 0, stallIterations: 2 },
  autoConverge: {}, multifd: { channels: 4 }, xbzrle: {} };

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args);
}
/** A CA and one leaf signed by it (EC P-256), with `ext` as its extensions. */
async function leaf(dir: string, name: string, ext: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, `${name}key.pem`), '-out', join(dir, `${name}.csr`), '-subj', `/CN=vmmi-${name}`]);
  await openssl(['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, 'cacert.pem'), '-CAkey',
    join(dir, 'ca.key'), '-CAcreateserial', '-out', join(dir, `${name}cert.pem`), '-days', '2', '-extfile',
    join(dir, `${name}.ext`)]);
}

test.beforeAll(async () => {
  test.setTimeout(150_000);
  root = await mkdtemp(join(tmpdir(), 'vmmi-modes-'));
  const pki = join(root, 'pki');
  await mkdir(pki, { recursive: true });
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(pki, 'ca.key'), '-out', join(pki, 'cacert.pem'), '-days', '2', '-subj', '/CN=vmmi modes CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  // One identity for both daemons and both QEMUs: server and client, every loopback address used.
  await leaf(pki, 'server', 'subjectAltName=IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3\n'
    + 'extendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
  const client = join(root, 'client');
  await mkdir(client);
  await run('cp', [join(pki, 'cacert.pem'), join(client, 'cacert.pem')]);
  await run('cp', [join(pki, 'servercert.pem'), join(client, 'clientcert.pem')]);
  await run('cp', [join(pki, 'serverkey.pem'), join(client, 'clientkey.pem')]);
  // QEMU's own TLS (migrate_tls_x509_cert_dir) names the same files its way; QEMU runs as libvirt-qemu.
  const qtls = join(root, 'qemu-tls');
  await mkdir(qtls);
  for (const [from, to] of [['cacert.pem', 'ca-cert.pem'], ['servercert.pem', 'server-cert.pem'],
    ['serverkey.pem', 'server-key.pem'], ['servercert.pem', 'client-cert.pem'], ['serverkey.pem', 'client-key.pem']]) {
    await run('cp', [join(pki, from as string), join(qtls, to as string)]);
    await chmod(join(qtls, to as string), 0o644);
  }
  await chmod(root, 0o755);
  await chmod(qtls, 0o755);
  for (const h of HOSTS) {
    const o = {
      dir: join(root, h.name), hostname: `vmmi-modes-${h.name}`, hostUuid: h.uuid, driver: 'qemu' as const,
      listenAddr: '127.0.0.1', migrationAddress: h.migrationAddress, timeoutMs: 30_000,
      tls: { port: h.tlsPort, caFile: join(pki, 'cacert.pem'), certFile: join(pki, 'servercert.pem'),
        keyFile: join(pki, 'serverkey.pem') },
    };
    // QEMU (libvirt-qemu) gets /dev/userfaultfd in the daemons' mount namespaces, as in the lab: postcopy runs.
    daemons.push(await startLibvirtd({ ...o, userfaultfdForQemu: true,
      qemuConf: `${renderQemuConf(o)}migrate_tls_x509_cert_dir = "${qtls}"\nmigrate_tls_x509_verify = 1\n` }));
  }
  hv1 = await LibvirtRpcDriver.connect(daemons[0]?.unixUri ?? '', { host: 'hv1', callTimeoutMs: 60_000 });
  hv2 = await LibvirtRpcDriver.connect(daemons[1]?.unixUri ?? '', { host: 'hv2', callTimeoutMs: 60_000 });
  await hv1.define(GUEST_XML, { timeoutMs: 60_000 });
  await hv1.start(GUEST, { timeoutMs: 60_000 });
});

test.afterAll(async () => {
  try {
    for (const d of [hv1, hv2]) {
      if (d === undefined) continue;
      await d.destroy(GUEST).catch(() => undefined);
      await d.undefine(GUEST).catch(() => undefined);
      await d.close().catch(() => undefined);
    }
  } finally {
    for (const d of daemons) await d.stop().catch((e: unknown) => console.error(`libvirtd stop: ${String(e)}`));
  }
  if (root !== undefined) await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const life = (events: readonly HypervisorEvent[], host: string): string[] =>
  events.flatMap((e) => (e.kind === 'lifecycle' && e.host === host && !e.event.endsWith('defined')
    ? [`${e.event}/${e.detail}`] : []));

/** Established TCP connections to a QEMU migration port (49152-49215) on `address`, sampled every 50 ms. */
function countStreams(address: string): { stop: () => Promise<number> } {
  let max = 0;
  let on = true;
  const loop = (async () => {
    while (on) {
      const r = await run('ss', ['-Htn', 'state', 'established', 'dst', address]).catch(() => ({ stdout: '' }));
      // Columns without the state: Recv-Q Send-Q Local:Port Peer:Port.
      const n = r.stdout.split('\n').filter((l) => {
        const port = Number(l.trim().split(/\s+/)[3]?.split(':').pop());
        return port >= 49152 && port <= 49215;
      }).length;
      max = Math.max(max, n);
      await new Promise((r2) => setTimeout(r2, 50));
    }
  })();
  return { stop: async () => { on = false; await loop; return max; } };
}

async function move(src: HypervisorDriver, dst: HypervisorDriver, dstPort: number, mode: MigrationModeSettings,
  o: { bandwidthMiBs?: number; tls?: boolean } = {}): Promise<MigrationJobOutcome> {
  const m = src.migrate(GUEST, tlsUri(dstPort), {
    destination: dst, bandwidthMiBs: o.bandwidthMiBs ?? 512, maxDowntimeMs: 300, persistDest: true,
    undefineSource: true, pollIntervalMs: 50, timeoutMs: 120_000, mode, ...(o.tls === true ? { tls: true } : {}),
  });
  for await (const _ of m.progress) { /* drained */ }
  const r = await m.result;
  expect(await dst.state(GUEST)).toMatchObject({ state: 'running' });
  await expect(src.state(GUEST)).rejects.toMatchObject({ libvirtName: 'no-domain' });
  const f = r.destinationStats?.fields ?? {};
  console.log(`${src.host}→${dst.host} ${mode.mode}${o.tls === true ? '+TLS' : ''}: perform ${r.performMs.toFixed(0)} ms, `
    + `downtime ${r.qemuDowntimeMs} ms, gap ${r.eventGapMs?.toFixed(1)} ms, processed ${f['memory_processed']} B, `
    + `iterations ${f['memory_iteration']}, observed ${JSON.stringify(r.observed, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}; `
    + `src ${life(r.events, src.host).join(' ')}; dst ${life(r.events, dst.host).join(' ')}`);
  return r;
}

/** A postcopy move there and a precopy move back. */
async function postcopyMove(src: HypervisorDriver, dst: HypervisorDriver, dstPort: number, o: { tls?: boolean } = {}):
  Promise<void> {
  const mode = { ...base, mode: 'postcopy' as const };
  // 5 MiB/s keeps the first pass running long enough for the switch to land inside it.
  expectPostcopy(await move(src, dst, dstPort, mode, { bandwidthMiBs: 5, ...o }), src.host, dst.host);
  await move(dst, src, dstPort === 16614 ? 16613 : 16614, base);
}

function expectPostcopy(r: MigrationJobOutcome, src: string, dst: string): void {
  expect(r.observed.postcopySwitch?.iteration).toBeGreaterThanOrEqual(1);
  // libvirt 11: the source pauses (SUSPENDED/MIGRATED), then reports SUSPENDED/POSTCOPY when QEMU enters
  // postcopy-active; the destination reports RESUMED/MIGRATED when its vCPUs start (no POSTCOPY detail).
  expect(life(r.events, src)).toContain('suspended/postcopy');
  expect(life(r.events, dst).some((t) => t.startsWith('resumed/'))).toBe(true);
  expect(r.eventGapMs).toBeGreaterThanOrEqual(0);
}

test('RPC driver, p2p over TLS: postcopy switched by the recipe in the first pass', async () => {
  await postcopyMove(hv1, hv2, 16614);
});

test('RPC driver, p2p over TLS: auto-converge with initial/increment params and xbzrle with a cache are accepted', async () => {
  const ac = await move(hv1, hv2, 16614, { ...base, mode: 'auto-converge', autoConverge: { initialPct: 30, incrementPct: 20 } });
  expect(ac.observed.mode).toBe('auto-converge');
  expect(ac.observed.postcopySwitch).toBeUndefined();
  const x = await move(hv2, hv1, 16613, { ...base, mode: 'xbzrle', xbzrle: { cacheMiB: 16 } }, { bandwidthMiBs: 20 });
  // libvirt reports the xbzrle cache size only when compression ran.
  expect(x.sourceStats?.fields['compression_cache'] ?? x.destinationStats?.fields['compression_cache']).toBe(16 * 1048576);
});

test('RPC driver, p2p over TLS: multifd opens its channels to the destination QEMU', async () => {
  const streams = countStreams('127.0.0.3');
  await move(hv1, hv2, 16614, { ...base, mode: 'multifd', multifd: { channels: 3 } }, { bandwidthMiBs: 5 });
  const n = await streams.stop();
  console.log(`multifd 3 channels: at most ${n} migration connections seen`);
  expect(n).toBeGreaterThanOrEqual(3 + 1); // the main channel plus one per multifd channel
  await move(hv2, hv1, 16613, base);
});

test('virsh driver, p2p over TLS: postcopy (migrate-postcopy) and multifd', async () => {
  const v1 = new VirshDriver(daemons[0]?.unixUri ?? '', { host: 'hv1' });
  const v2 = new VirshDriver(daemons[1]?.unixUri ?? '', { host: 'hv2' });
  try {
    await postcopyMove(v1, v2, 16614);
    const streams = countStreams('127.0.0.3');
    await move(v1, v2, 16614, { ...base, mode: 'multifd', multifd: { channels: 2 } }, { bandwidthMiBs: 5 });
    expect(await streams.stop()).toBeGreaterThanOrEqual(2 + 1);
    await move(v2, v1, 16613, base);
  } finally {
    await v1.close();
    await v2.close();
  }
});

test('QEMU TLS stream (VIR_MIGRATE_TLS): postcopy and multifd', async () => {
  await postcopyMove(hv1, hv2, 16614, { tls: true });
  const streams = countStreams('127.0.0.3');
  await move(hv1, hv2, 16614, { ...base, mode: 'multifd', multifd: { channels: 2 } }, { bandwidthMiBs: 5, tls: true });
  expect(await streams.stop()).toBeGreaterThanOrEqual(2 + 1);
  await move(hv2, hv1, 16613, base, { tls: true });
});
