/**
 * Switch drivers' `readVersion` against real servers: the loopback netconfd (yuma123, the NETCONF
 * server of the emulated lab) through the netconf-ietf and openconfig-netconf drivers, and a real
 * FRR (zebra in a temporary namespace) through the frr-ssh driver over a real OpenSSH login. The
 * expectations are what these servers really answer, read back independently where possible.
 */
import { test, expect } from '@playwright/test';
import { startNetconfLab, type NetconfLab } from './netconf-lab.js';
import { run, startFrrNetns, type FrrNetns } from './frr-netns.js';
import {
  createFrrSshDriver, createNetconfDriver, netconfIetf, openSwitchDriver, sshConnect,
} from './netconf-imports.js';
import { FRR_SHOW_VERSION, junosNetconf, openconfigNetconf, parseShowVersion } from './versions-imports.js';

let lab: NetconfLab;
let frr: FrrNetns | undefined;
let frrDir: string;

test.beforeAll(async () => {
  lab = await startNetconfLab(18407);
  frr = await startFrrNetns({ lab, ns: `vmmi-frrv-${process.pid}`, hostname: 'frrv', address: '198.18.32.2/24',
    daemons: ['zebra'] });
  frrDir = frr.dir;
});

test.afterAll(async () => {
  await frr?.stop();
  await lab?.stop();
});

/** The server's hello, read independently of the driver (a second session). */
async function hello(): Promise<readonly string[]> {
  const c = await lab.connect();
  try {
    return c.capabilities;
  } finally {
    await c.close();
  }
}

test('netconf-ietf on netconfd: no platform data, so the hello and the yuma123 state it names', async () => {
  const caps = await hello();
  const kernel = (await run(['uname', '-r'])).trim();
  const d = await openSwitchDriver(lab.switchModel, { timeoutMs: 10_000 });
  try {
    const v = await d.readVersion?.({ timeoutMs: 10_000 });
    console.log('netconfd via netconf-ietf:', JSON.stringify(v, null, 2));
    // netconfd runs without its SIL libraries (lab/netconfd.ts), so ietf-system's platform is empty.
    expect(v).toEqual({
      source: 'netconf hello + http://yuma123.org/ns/yuma123-system system-state/yuma',
      capabilities: String(caps.length),
      'module-set-id': /module-set-id=([0-9a-f]+)/.exec(caps.join(' '))?.[1],
      'server-software': 'yuma123 netconfd',
      'server-capability': caps.find((c) => c.startsWith('http://yuma123.org/ns/yuma123-system?')),
      server: expect.stringMatching(/^netconfd \d+\.\d+/),
      hostname: expect.any(String),
      'os-name': 'Linux',
      'os-release': kernel,
      'os-version': expect.any(String),
      machine: (await run(['uname', '-m'])).trim(),
      unanswered: 'ietf-system system-state/platform: empty answer',
    });
    // The server id is the installed netconfd package's version.
    const pkg = (await run(['dpkg-query', '-W', '-f', '${Version}', 'netconfd'])).trim();
    expect(v?.server).toBe(`netconfd ${pkg}`);
  } finally {
    await d.close();
  }
});

test('openconfig-netconf on netconfd: OpenConfig unknown there, answered empty, same fallback', async () => {
  const c = await lab.connect();
  const d = createNetconfDriver(c, openconfigNetconf, { device: 'sw' });
  try {
    const v = await d.readVersion?.({ timeoutMs: 10_000 });
    expect(v?.unanswered).toBe('openconfig-system system/state: empty answer; ' +
      'ietf-system system-state/platform: empty answer');
    expect(v?.['server-software']).toBe('yuma123 netconfd');
  } finally {
    await d.close();
  }
});

test('junos-netconf on netconfd: the unknown RPC is an rpc-error, and the hello answers instead', async () => {
  const c = await lab.connect();
  const d = createNetconfDriver(c, junosNetconf, { device: 'sw' });
  try {
    const v = await d.readVersion?.({ timeoutMs: 10_000 });
    console.log('netconfd via junos-netconf:', JSON.stringify(v?.unanswered));
    // netconfd 2.13: `unknown-element (rpc): definition not found at /nc:rpc/get-software-information`.
    expect(v?.unanswered).toMatch(/^junos get-software-information: rpc-error .*unknown-element \(rpc\)/);
    expect(v?.junos).toBeUndefined();
    expect(v?.source).toMatch(/^netconf hello/);
  } finally {
    await d.close();
  }
});

test('a transport failure is thrown, not turned into a hello answer', async () => {
  const c = await lab.connect();
  const d = createNetconfDriver(c, netconfIetf, { device: 'sw' });
  try {
    await expect(d.readVersion?.({ timeoutMs: 10_000, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    });
  } finally {
    await d.close();
  }
});

test('frr-ssh on real FRR: show version in vtysh and uname -r on the Linux shell', async () => {
  const conn = await sshConnect({ name: 'frrv', host: '127.0.0.1', port: lab.port,
    credentials: lab.switchModel.credentials, hostKey: lab.switchModel.hostKey });
  const d = createFrrSshDriver(conn, { device: 'frrv', vtysh: `vtysh --vty_socket ${frrDir}` });
  const vtyOnly = createFrrSshDriver(conn, { device: 'frrv', vtysh: `vtysh --vty_socket ${frrDir}`, linux: null });
  try {
    const v = await d.readVersion?.({ timeoutMs: 10_000 });
    console.log('FRR via frr-ssh:', JSON.stringify(v, null, 2));
    // Read back independently: vtysh run locally, the package version, the kernel.
    const raw = await run(['vtysh', '--vty_socket', frrDir, '-c', 'show version']);
    const kernel = (await run(['uname', '-r'])).trim();
    const pkg = (await run(['dpkg-query', '-W', '-f', '${Version}', 'frr'])).trim();
    expect(v).toEqual({ ...parseShowVersion(raw, FRR_SHOW_VERSION), source: 'vtysh show version', kernel });
    expect(pkg.startsWith(`${v?.frr}-`)).toBe(true);
    expect(v?.['frr-kernel']).toBe(kernel);
    // Sessions forced into vtysh: FRR's part stays, the kernel is missing and says why.
    const w = await vtyOnly.readVersion?.({ timeoutMs: 10_000 });
    expect(w?.frr).toBe(v?.frr);
    expect(w?.kernel).toBeUndefined();
    expect(w?.unanswered).toMatch(/^uname -r: frrv: uname needs a Linux shell/);
  } finally {
    await d.close();
    await vtyOnly.close();
    conn.close();
  }
});
