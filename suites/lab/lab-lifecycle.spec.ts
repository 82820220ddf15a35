/**
 * The emulated lab's life cycle, end to end, as root, through the `vmmi lab` command and vmmi's own
 * drivers: a SIGKILLed `up` cleaned by `doctor`; `up` from nothing with a concurrent second `up`
 * refused (LAB_BUSY); the health gate; vm1 migrated hv1 → hv2 → hv3 → hv1 with its reflector
 * answering from the client after every move (cross-site: the /32 and /128 host routes go to torB
 * through the switch driver over NETCONF, torB's agent installs them, BGP carries them); the WAN cut
 * and restored; `down` leaving no namespace, process, mount or link of the run. And the lab as
 * hardware: hardware.yaml loads without a lab section, every SSH host in it runs commands with its host
 * key pinned, a switch's exec session is a Linux shell and its login vtysh, every hypervisor answers over
 * libvirt TLS from the root namespace, and vm1 migrates through those drivers over the lab network. And
 * least privilege: libvirt TLS refuses clients without a certificate of the lab's CA, and the lab's
 * QEMU runs as libvirt-qemu.
 * Prefix `vmmit` and management addresses 198.19.1.x, so a user's `vmmi` lab is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { test, expect } from '@playwright/test';
import {
  cliEndpoint, el, findLeftovers, hasHostRoutes, netconfEndpoint, NetconfClient, isAlive, isClean, LibvirtRpcDriver,
  loadTestbed, openHypervisorDriver, openSwitchDriver, pidsInNetns,
  planLab, runLocal, setWan, sshConnect, udpEcho, type LabPlan, type Testbed,
} from './lab-imports.js';

const REPO = new URL('../..', import.meta.url).pathname;
const PREFIX = 'vmmit';
const DIR = `/var/lib/vmmi/lab/${PREFIX}`;
const TB_FILE = join(mkdtempSync(join(tmpdir(), 'vmmit-testbed-')), 'local.yaml');
const ASSETS = process.env.VMMI_ASSETS_DIR ?? '/var/lib/vmmi/assets';

test.describe.configure({ mode: 'serial' });
test.skip(process.getuid?.() !== 0, 'the lab needs root');

interface Run { code: number | null; out: string; err: string }
function vmmi(args: readonly string[], timeoutMs = 180_000): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(
    process.execPath,
    [`${REPO}/bin/vmmi.js`, 'lab', ...args, '--testbed', TB_FILE, '--prefix', PREFIX],
    { cwd: REPO, env: { ...process.env, VMMI_LAB_DIR: DIR }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<Run>((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => (clearTimeout(t), resolve({ code, out, err })));
  });
  return { child, done };
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let tb: Testbed;
let plan: LabPlan;

test.beforeAll(async () => {
  const text = await readFile(`${REPO}/testbeds/local.yaml`, 'utf8');
  await writeFile(TB_FILE, text.replaceAll('198.19.0.', '198.19.1.'));
  tb = await loadTestbed(TB_FILE, { labPrefix: PREFIX, labDir: DIR });
  plan = planLab(tb, { assetsDir: ASSETS });
  const r = await vmmi(['doctor']).done; // a clean slate, whatever an earlier run left
  expect(r.code, r.err).toBe(0);
});

test.afterAll(async () => {
  await vmmi(['down']).done;
});

test('a SIGKILLed up leaves debris that doctor finds and removes', async () => {
  const up = vmmi(['up']);
  await until('libvirtd of the killed run started', () => existsSync(`${DIR}/hv1/run/libvirtd.pid`), 120_000);
  up.child.kill('SIGKILL');
  await up.done;
  const before = await findLeftovers(plan);
  expect(before.namespaces.length).toBeGreaterThan(0);
  expect(before.processes.length).toBeGreaterThan(0);
  const r = await vmmi(['doctor']).done;
  expect(r.code, r.err).toBe(0);
  expect(r.out).toContain('nothing left');
  expect(isClean(await findLeftovers(plan))).toBe(true);
});

test('up from nothing passes the health gate; a concurrent up is refused with LAB_BUSY', async () => {
  // Two `up`s started together: whichever takes the lock first builds the lab (~20 s or more), the
  // other must be refused at once instead of sharing a half-built lab.
  const [a, b] = await Promise.all([vmmi(['up', '--verbose']).done, vmmi(['up', '--verbose']).done]);
  const [won, lost] = a.code === 0 ? [a, b] : [b, a];
  expect(won.code, `${a.out}\n${a.err}\n${b.out}\n${b.err}`).toBe(0);
  expect(won.out).toMatch(/ok {2}health gate .* checks passed/);
  // --verbose: every switch agent's bring-up phases, each within its deadline (else the gate had failed).
  for (const sw of tb.switches) {
    expect(won.out).toMatch(new RegExp(`agent ${sw.name} +loaded \\d+\\.\\d\\d, ssh \\+\\d+\\.\\d\\d, hello \\+[\\d.]+, ` +
      'subscribed \\+[\\d.]+, get-config \\+[\\d.]+, reconciled \\+[\\d.]+ s'));
  }
  // Exit 3: the lab is held by another run, an infrastructure condition (docs/cli.md), not a failed check.
  expect(lost.code, lost.out).toBe(3);
  expect(lost.err).toMatch(/lab "vmmit" is busy: `lab up` is running as PID \d+/);
  const status = await vmmi(['status']).done;
  expect(status.code, status.out).toBe(0);
  expect(status.out).toContain('vm1: hv1');
});

async function reflectorAnswers(where: string): Promise<void> {
  const vm = tb.vms[0];
  if (vm?.ipv4 === undefined || vm.ipv6 === undefined || plan.clientNs === undefined)
    throw new Error('testbed has no vm1 or client');
  for (const addr of [vm.ipv4, vm.ipv6].map((a) => a.split('/')[0] as string)) {
    await expect
      .poll(
        async () =>
          (await udpEcho(plan.clientNs as string, addr, vm.reflectorPort, { count: 10, intervalMs: 100 })).detail,
        { message: `reflector ${addr} after move to ${where}`, timeout: 20_000, intervals: [0, 200, 500] },
      )
      .toMatch(/^echo in/);
  }
}

/** The lab as hardware, from `lab status --json` (the path `lab up` wrote). */
async function hardwareTestbed(): Promise<{ file: string; hw: Testbed }> {
  const st = await vmmi(['status', '--json']).done;
  const s = JSON.parse(st.out) as { state: string; hardwareTestbed?: string };
  expect(s.state, st.out).toBe('up');
  expect(s.hardwareTestbed).toBe(`${DIR}/hardware.yaml`);
  const file = s.hardwareTestbed as string;
  return { file, hw: await loadTestbed(file) };
}

/** Collects a stream's text until `re` matches it (or fails after `ms`). */
function readUntil(stream: NodeJS.ReadableStream, re: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const t = setTimeout(() => reject(new Error(`no ${String(re)} within ${ms} ms; got ${JSON.stringify(seen)}`)), ms);
    stream.on('data', (d: Buffer) => {
      seen += d.toString();
      if (!re.test(seen)) return;
      clearTimeout(t);
      resolve(seen);
    });
  });
}

test('hardware.yaml describes the lab without a lab section; every SSH host answers with its host key pinned', async () => {
  const { file, hw } = await hardwareTestbed();
  expect(await readFile(file, 'utf8')).not.toMatch(/^lab:|netns|qemu\+unix/m);
  expect(hw.lab).toBeUndefined();
  const hosts = hw.trafficHosts.filter((t) => t.kind === 'ssh');
  expect(hosts.map((t) => t.name)).toEqual(['client', 'clientB', 'hv1-host', 'hv2-host', 'hv3-host']);
  expect(hw.trafficHosts).toHaveLength(hosts.length);
  for (const t of hosts) {
    if (t.address === undefined || t.credentials === undefined || t.hostKey === undefined || t.ipv4 === undefined)
      throw new Error(`${t.name}: incomplete ssh traffic host`);
    expect(t.hostKey).toEqual({ kind: 'known-hosts', file: `${DIR}/known_hosts` });
    const c = await sshConnect({ name: t.name, host: t.address, port: t.port ?? 22, credentials: t.credentials,
      hostKey: t.hostKey }, { timeoutMs: 15_000 });
    try {
      expect((await c.exec(['true'], { timeoutMs: 10_000 })).exitCode, t.name).toBe(0);
      // The session runs in the namespace it stands for (its data-plane address), with node for the probe agent.
      const ip = await c.exec(['ip', '-o', 'addr', 'show'], { timeoutMs: 10_000 });
      expect(ip.stdout, t.name).toContain(` ${t.ipv4} `);
      const node = await c.exec(['node', '-e', 'process.stdout.write(String(6 * 7))'], { timeoutMs: 20_000 });
      expect(node.stdout, `${t.name}: ${node.stderr}`).toBe('42');
    } finally {
      c.close();
    }
  }
  // Pinned, not trusted on first use: a policy that does not hold the host's key is refused.
  const client = hosts[0] as (typeof hosts)[number];
  const wrong = { kind: 'fingerprint', sha256: `SHA256:${'A'.repeat(43)}` } as const;
  const refused = await sshConnect({ name: client.name, host: client.address as string, port: 22,
    credentials: client.credentials as NonNullable<typeof client.credentials>, hostKey: wrong }, { timeoutMs: 15_000 })
    .then((c) => (c.close(), 'connected'), (e: unknown) => (e as Error).message);
  expect(refused).toMatch(/host key/i);
});

test('a switch runs exec sessions in a Linux shell and gives a login the vtysh prompt', async () => {
  const { hw } = await hardwareTestbed();
  for (const sw of hw.switches) {
    expect(sw.cli, sw.name).toMatchObject({ port: 22, platform: 'frr-vtysh', credentials: { username: 'root' } });
    const c = await sshConnect(cliEndpoint(sw), { timeoutMs: 15_000 });
    try {
      const ip = await c.exec(['ip', '-V'], { timeoutMs: 10_000 });
      expect(ip.exitCode, ip.stderr).toBe(0);
      expect(ip.stdout, sw.name).toMatch(/^ip utility, iproute2/);
      const show = await c.exec(['vtysh', '--vty_socket', `${DIR}/frr/${sw.name}`, '-c', 'show bgp summary json'],
        { timeoutMs: 10_000 });
      expect(show.exitCode, show.stderr).toBe(0);
      expect(JSON.parse(show.stdout), sw.name).toHaveProperty('ipv4Unicast');
      // vtysh's banner, then its prompt (the machine's host name: the namespaces share its UTS).
      const login = await c.shell({ timeoutMs: 10_000 });
      await expect(readUntil(login, /^[\w.-]+# ?$/m, 10_000)).resolves.toContain('FRRouting');
      login.end('exit\n');
    } finally {
      c.close();
    }
  }
});

test('every hypervisor answers over libvirt TLS from the root namespace; vm1 migrates through those drivers', async () => {
  const { hw } = await hardwareTestbed();
  const lab = new Map(tb.hypervisors.map((h) => [h.name, h]));
  // Defence in depth besides the client certificate: from the root namespace only root's sockets reach it.
  const connect = (as: string[], uri: string) => {
    const [, host] = /^qemu\+tls:\/\/([\d.]+)\//.exec(uri) ?? [];
    return runLocal([...as, 'bash', '-c', 'exec 3<>"/dev/tcp/$1/16514"', 'bash', host ?? '?'], { timeoutMs: 10_000 });
  };
  for (const h of hw.hypervisors) {
    expect((await connect([], h.uri)).exitCode, `root → ${h.uri}`).toBe(0);
    const nobody = await connect(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'], h.uri);
    expect(nobody.exitCode, `nobody → ${h.uri}`).not.toBe(0);
    expect(nobody.stderr).toContain('Connection refused');
  }
  const drivers = new Map(await Promise.all(hw.hypervisors.map(async (h) => {
    expect(h.uri, h.name).toBe(`qemu+tls://${/^qemu\+tls:\/\/(198\.19\.1\.\d+)\//.exec(h.uri)?.[1] ?? '?'}/system?pkipath=${DIR}/pki/client`);
    expect(h.migrationUri, h.name).toMatch(/^qemu\+tls:\/\/198\.18\.\d+\.\d+\/system\?pkipath=\/etc\/libvirt\/pki$/);
    expect(h.migrationUri, h.name).toBe(lab.get(h.name)?.migrationUri);
    return [h.name, await openHypervisorDriver(h.driver, h)] as const;
  })));
  try {
    for (const [name, d] of drivers) expect(await d.hostname({ timeoutMs: 10_000 })).toBe(name);
    expect((await drivers.get('hv1')?.state('vm1'))?.state).toBe('running');
    const move = async (from: string, to: string): Promise<void> => {
      const dst = hw.hypervisors.find((h) => h.name === to);
      const src = drivers.get(from);
      if (dst === undefined || src === undefined) throw new Error(`unknown host ${from} or ${to}`);
      const res = await src.migrate('vm1', dst.migrationUri, { bandwidthMiBs: 4096, destination: drivers.get(to),
        timeoutMs: 90_000 }).result;
      expect(res.domain).toBe('vm1');
      expect((await drivers.get(to)?.state('vm1'))?.state).toBe('running');
    };
    await move('hv1', 'hv2');
    await reflectorAnswers('hv2 (hardware drivers)');
    await move('hv2', 'hv1');
    await reflectorAnswers('hv1 (hardware drivers)');
  } finally {
    await Promise.allSettled([...drivers.values()].map((d) => d.close()));
  }
});

/** TLS to `host`:16514 with the lab CA trusted and no client certificate: what the daemon sends, and how it ends. */
function tlsWithoutCertificate(host: string, ca: Buffer): Promise<{ bytes: number[]; ended: string }> {
  return new Promise((resolve) => {
    const bytes: number[] = [];
    const s = tlsConnect({ host, port: 16514, ca, timeout: 10_000 });
    const done = (ended: string) => (s.destroy(), resolve({ bytes, ended }));
    s.on('data', (d: Buffer) => bytes.push(...d));
    s.on('timeout', () => done('timeout'));
    s.on('error', (e: NodeJS.ErrnoException) => done(`error ${e.code ?? e.message}`));
    s.on('close', () => done('closed'));
  });
}

test('libvirt TLS refuses a client without a certificate of the lab CA; the lab CA\'s client certificate is accepted', async () => {
  const { hw } = await hardwareTestbed();
  const ca = await readFile(`${DIR}/pki/client/cacert.pem`);
  const foreign = mkdtempSync(join(tmpdir(), 'vmmit-foreign-pki-'));
  const ssl = async (args: string[]) => expect((await runLocal(['openssl', ...args], { timeoutMs: 15_000 })).exitCode).toBe(0);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    // A client identity from another CA (same names, same layout): the daemons must not take it.
    await ssl(['req', '-x509', ...ec, '-keyout', `${foreign}/cakey.pem`, '-out', `${foreign}/cacert.pem`, '-days', '1',
      '-subj', '/CN=foreign CA', '-addext', 'basicConstraints=critical,CA:TRUE']);
    await ssl(['req', '-x509', ...ec, '-keyout', `${foreign}/clientkey.pem`, '-out', `${foreign}/clientcert.pem`,
      '-days', '1', '-subj', '/CN=vmmi controller', '-CA', `${foreign}/cacert.pem`, '-CAkey', `${foreign}/cakey.pem`,
      '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=clientAuth',
      '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment']);
    await writeFile(`${foreign}/cacert.pem`, ca); // trust the lab's server certificates: only the client identity differs
    for (const h of hw.hypervisors) {
      const host = /^qemu\+tls:\/\/([\d.]+)\//.exec(h.uri)?.[1] ?? '?';
      // libvirt's acceptance byte (1) never comes: the daemon ends the session instead.
      const bare = await tlsWithoutCertificate(host, ca);
      expect(bare.bytes, `${h.name} without a certificate`).not.toContain(1);
      expect(bare.ended, h.name).not.toBe('timeout');
      const refused = await LibvirtRpcDriver.connect(h.uri.replace(`${DIR}/pki/client`, foreign), { timeoutMs: 10_000 })
        .then(async (d) => (await d.close(), 'connected'), (e: unknown) => e);
      expect(refused, `${h.name} with a foreign CA's certificate`).toMatchObject({ code: 'CONNECTION' });
      const ok = await LibvirtRpcDriver.connect(h.uri, { timeoutMs: 10_000 });
      await ok.close();
    }
  } finally {
    rmSync(foreign, { recursive: true, force: true });
  }
});

test('the lab\'s QEMU runs as libvirt-qemu, not root, at autogroup nice -10', async () => {
  const uid = Number((await runLocal(['id', '-u', 'libvirt-qemu'])).stdout.trim());
  expect(uid).toBeGreaterThan(0);
  const pids: number[] = [];
  for (const h of tb.hypervisors) {
    const dir = `${DIR}/${h.name}/run/qemu`;
    // <domain>.pid names a guest's QEMU; driver.pid is libvirtd's own lock, skipped by its comm.
    for (const f of existsSync(dir) ? readdirSync(dir).filter((x) => x.endsWith('.pid')) : []) {
      const pid = Number((await readFile(`${dir}/${f}`, 'utf8')).trim());
      if ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).startsWith('qemu-system')) pids.push(pid);
    }
  }
  expect(pids.length, 'a running lab guest').toBeGreaterThan(0);
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    // Real, effective, saved and file-system uid all libvirt-qemu; no capabilities left.
    expect(/^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/).map(Number)).toEqual([uid, uid, uid, uid]);
    expect(/^CapEff:\s+(\w+)$/m.exec(status)?.[1]).toBe('0000000000000000');
    await expect.poll(async () => readFile(`/proc/${pid}/autogroup`, 'utf8'), { timeout: 5_000 }).toMatch(/nice -10$/m);
  }
});

test('the switches\' NETCONF user is not the superuser: NACM refuses it the access rules and other sessions', async () => {
  for (const sw of tb.switches) {
    expect(sw.credentials.username, sw.name).toBe('vmmi-netconf');
    const user = await NetconfClient.connect(netconfEndpoint(sw), { timeoutMs: 15_000 });
    try {
      // What vmmi needs (the drivers' reads and edits run through the migrations of this file) …
      expect((await user.getConfig('running', undefined, { timeoutMs: 10_000 })).xml(), sw.name)
        .toContain('<interfaces');
      // … and nothing more: the access rules are neither readable nor writable, other sessions not killable.
      expect((await user.getConfig('running', undefined, { timeoutMs: 10_000 })).xml()).not.toContain('<nacm');
      const denied = (call: Promise<unknown>): Promise<string | undefined> =>
        call.then(() => 'ok', (e: { tag?: string }) => e.tag);
      await expect(denied(user.editConfig(el('nacm', { xmlns: 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm' },
        el('write-default', {}, 'permit'))))).resolves.toBe('access-denied');
      await expect(denied(user.killSession(user.sessionId + 1000))).resolves.toBe('access-denied');
      await expect(denied(user.deleteConfig('startup'))).resolves.toBe('access-denied');
    } finally {
      await user.discardChanges().catch(() => undefined);
      await user.close();
    }
  }
});

test('vm1 migrates hv1 → hv2 → hv3 → hv1 and answers after every move', async () => {
  const drivers = new Map(
    await Promise.all(tb.hypervisors.map(async (h) => [h.name, await openHypervisorDriver(h.driver, h)] as const)),
  );
  const torBSpec = tb.switches.find((s) => s.name === 'torB');
  if (torBSpec === undefined) throw new Error('no torB');
  const torB = await openSwitchDriver(torBSpec);
  const routes = [{ prefix: '198.18.10.100/32', device: 'br101' }, { prefix: '2001:2:0:10::100/128', device: 'br101' }];
  try {
    if (!hasHostRoutes(torB)) throw new Error('torB driver cannot install host routes');
    const move = async (from: string, to: string): Promise<void> => {
      const dst = tb.hypervisors.find((h) => h.name === to);
      const src = drivers.get(from);
      if (dst === undefined || src === undefined) throw new Error(`unknown host ${from} or ${to}`);
      const m = src.migrate('vm1', dst.migrationUri, {
        bandwidthMiBs: 4096,
        destination: drivers.get(to),
        timeoutMs: 90_000,
      });
      const res = await m.result;
      expect(res.domain).toBe('vm1');
      expect((await drivers.get(to)?.state('vm1'))?.state).toBe('running');
    };
    await move('hv1', 'hv2');
    await reflectorAnswers('hv2');
    await move('hv2', 'hv3');
    for (const r of routes) await torB.addHostRoute(r, { timeoutMs: 30_000 });
    await expect
      .poll(async () => (await runLocal(['ip', '-n', `${PREFIX}-coreA`, 'route', 'show', '198.18.10.100/32'])).stdout, {
        message: 'coreA learns the /32 from torB over BGP',
        timeout: 15_000,
      })
      .toContain('proto bgp');
    await reflectorAnswers('hv3');
    await move('hv3', 'hv1');
    for (const r of routes) await torB.removeHostRoute(r, { timeoutMs: 30_000 });
    await expect
      .poll(async () => (await runLocal(['ip', '-n', `${PREFIX}-torB`, 'route', 'show', 'proto', 'static'])).stdout, {
        message: 'torB agent removed the host route',
        timeout: 15_000,
      })
      .toBe('');
    await reflectorAnswers('hv1');
  } finally {
    await torB.close();
    await Promise.allSettled([...drivers.values()].map((d) => d.close()));
  }
});

test('the WAN can be delayed, cut and restored at run time', async () => {
  const ping = async (): Promise<string> =>
    (
      await runLocal(
        ['ip', 'netns', 'exec', `${PREFIX}-client`, 'ping', '-c', '3', '-i', '0.2', '-W', '1', '198.18.11.13'],
        { timeoutMs: 10_000 },
      )
    ).stdout;
  await setWan(plan, { delayMs: 30 });
  const rtt = Number(/= [\d.]+\/([\d.]+)\//.exec(await ping())?.[1]);
  expect(rtt).toBeGreaterThanOrEqual(60);
  const cut = await setWan(plan, { cut: true });
  expect(cut.fields.cut ?? 'netem').toMatch(/1|netem/);
  expect(await ping()).toContain(' 100% packet loss');
  await setWan(plan, { cut: false, delayMs: 0 });
  await expect.poll(async () => ping(), { timeout: 10_000 }).toContain(' 0% packet loss');
});

test('up boots a VM that runs nowhere where --place says; a bad --place is refused before anything changes', async () => {
  const bad = await vmmi(['up', '--place', 'vm1=hv9']).done;
  expect(bad.code, bad.out).not.toBe(0);
  expect(bad.err).toMatch(/"hv9" is not a lab hypervisor/);
  const hv1 = tb.hypervisors.find((h) => h.name === 'hv1');
  if (hv1 === undefined) throw new Error('no hv1');
  const d = await openHypervisorDriver(hv1.driver, hv1);
  try {
    await d.destroy('vm1', { timeoutMs: 30_000 });
    await d.undefine('vm1', { timeoutMs: 30_000 });
  } finally {
    await d.close();
  }
  const r = await vmmi(['up', '--place', 'vm1=hv2']).done;
  expect(r.code, `${r.out}\n${r.err}`).toBe(0);
  // The guest-priority keeper raises every lab guest, wherever it boots or moves.
  expect(r.out).toMatch(/vm1 booted on hv2 \([\d.]+ s guest uptime, nice -10; defined [\d.]+ s, started [\d.]+ s, ready [\d.]+ s\)/);
  expect((await vmmi(['status']).done).out).toContain('vm1: hv2');
  await reflectorAnswers('hv2 (placed)');
});

test('down leaves no namespace, process, mount, link or tap of the run', async () => {
  const members = [...(await pidsInNetns(plan.nodes.map((n) => n.ns))).keys()];
  expect(members.length).toBeGreaterThan(20);
  // vm1's tap, on whichever hypervisor the previous tests left it.
  const taps = await Promise.all(
    tb.hypervisors.map(
      async (h) => (await runLocal(['ip', '-n', `${PREFIX}-${h.name}`, '-o', 'link', 'show', 'type', 'tun'])).stdout,
    ),
  );
  expect(taps.join('')).toMatch(/vnet\d+/);
  const r = await vmmi(['down']).done;
  expect(r.code, r.err).toBe(0);
  expect(r.out).toContain('nothing left');
  const left = await findLeftovers(plan);
  expect(left).toEqual({ namespaces: [], processes: [], mounts: [], links: [], firewall: [] });
  expect((await Promise.all(members.map(isAlive))).filter(Boolean)).toEqual([]);
  expect((await runLocal(['ip', 'netns', 'list'])).stdout).not.toContain(`${PREFIX}-`);
  expect((await readFile('/proc/self/mountinfo', 'utf8'))).not.toContain(DIR);
});
