/**
 * frr-ssh driver against a real FRR (zebra + staticd in a temporary namespace, own vty socket dir)
 * reached through a real OpenSSH login shell: vtysh CLI session in config mode, host routes added,
 * verified, read back and removed, leaving no residue.
 */
import { test, expect } from '@playwright/test';
import { startNetconfLab, type NetconfLab } from './netconf-lab.js';
import { startFrrNetns, type FrrNetns } from './frr-netns.js';
import { createFrrSshDriver, sshConnect } from './netconf-imports.js';

let lab: NetconfLab;
let frr: FrrNetns | undefined;
let frrDir: string;

test.beforeAll(async () => {
  lab = await startNetconfLab(18405);
  frr = await startFrrNetns({ lab, ns: `vmmi-frrt-${process.pid}`, hostname: 'frrt', address: '198.18.31.2/24',
    daemons: ['zebra', 'staticd'] });
  frrDir = frr.dir;
});

test.afterAll(async () => {
  await frr?.stop();
  await lab?.stop();
});

test('host routes through vtysh: add (non-canonical IPv6 input), verify, read back, remove without residue', async () => {
  const conn = await sshConnect({
    name: 'frrt',
    host: '127.0.0.1',
    port: lab.port,
    credentials: lab.switchModel.credentials,
    hostKey: lab.switchModel.hostKey,
  });
  const changes: { description: string; same: boolean; rolledBack: boolean }[] = [];
  const d = createFrrSshDriver(conn, {
    device: 'frrt',
    vtysh: `vtysh --vty_socket ${frrDir}`,
    linux: null,
    onChange: (c) => changes.push({ description: c.description, same: c.diff.same, rolledBack: c.rolledBack }),
  });
  try {
    const before = await d.readRunningConfig();
    await d.addHostRoute({ prefix: '198.18.30.5/32', nextHop: '198.18.31.1' });
    await d.addHostRoute({ prefix: '2001:2:0:30:0:0:0:5/128', device: 'lo' });
    expect(await d.readRunningConfig()).toContain('ip route 198.18.30.5/32 198.18.31.1');
    // The driver verifies its change in the running config; staticd hands the routes to zebra's RIB
    // asynchronously, so the RIB read waits (bounded) until both are there.
    let routes = await d.readRoutes();
    await expect.poll(async () => {
      routes = await d.readRoutes();
      return ['198.18.30.5/32', '2001:2:0:30::5/128'].filter((p) => routes.some((r) => r.prefix === p));
    }, { timeout: 5_000, message: 'both routes in the RIB' }).toHaveLength(2);
    expect(routes.find((r) => r.prefix === '198.18.30.5/32')).toMatchObject({
      protocol: 'static',
      nextHops: ['198.18.31.1'],
    });
    expect(changes.map((c) => [c.same, c.rolledBack])).toEqual([
      [false, false],
      [false, false],
    ]);
    await d.removeHostRoute({ prefix: '198.18.30.5/32', nextHop: '198.18.31.1' });
    await d.removeHostRoute({ prefix: '2001:2:0:30::5/128', device: 'lo' });
    expect(await d.readRunningConfig()).toBe(before);
    expect(
      await d.readNeighbors().then(
        () => undefined,
        (x: unknown) => x,
      ),
    ).toMatchObject({ code: 'UNSUPPORTED' });
  } finally {
    await d.close();
    conn.close();
  }
});
