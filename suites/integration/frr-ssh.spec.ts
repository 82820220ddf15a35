/**
 * frr-ssh driver against a real FRR (zebra + staticd in a temporary namespace, own vty socket dir)
 * reached through a real OpenSSH login shell: vtysh CLI session in config mode, host routes added,
 * verified, read back and removed, leaving no residue.
 */
import { test, expect } from '@playwright/test';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startNetconfLab, type NetconfLab } from './netconf-lab.js';
import { createFrrSshDriver, runLocal, sshConnect } from './netconf-imports.js';

const NS = `vmmi-frrt-${process.pid}`;
let lab: NetconfLab;
let frrDir: string;

async function run(argv: string[]): Promise<string> {
  const r = await runLocal(argv, { timeoutMs: 20_000 });
  if (r.failed) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test.beforeAll(async () => {
  lab = await startNetconfLab(18405);
  frrDir = join(lab.dir, 'frr');
  await mkdir(frrDir, { recursive: true });
  await run(['chmod', '0711', lab.dir]); // the frr user must reach its directory
  await run(['ip', 'netns', 'add', NS]);
  await run(['ip', '-n', NS, 'link', 'set', 'lo', 'up']);
  await run(['ip', '-n', NS, 'addr', 'add', '198.18.31.2/24', 'dev', 'lo']);
  for (const d of ['zebra', 'staticd'])
    await writeFile(join(frrDir, `${d}.conf`), `hostname frrt\nlog file ${frrDir}/${d}.log\n!\n`);
  await run(['chown', '-R', 'frr:frr', frrDir]);
  for (const d of ['zebra', 'staticd']) {
    await run([
      'ip',
      'netns',
      'exec',
      NS,
      `/usr/lib/frr/${d}`,
      '-d',
      '-f',
      join(frrDir, `${d}.conf`),
      '-i',
      join(frrDir, `${d}.pid`),
      '-z',
      join(frrDir, 'zserv.api'),
      '--vty_socket',
      frrDir,
      '-P',
      '0',
    ]);
  }
});

test.afterAll(async () => {
  for (const d of ['staticd', 'zebra']) {
    const pid = Number((await readFile(join(frrDir ?? '/nonexistent', `${d}.pid`), 'utf8').catch(() => '')).trim());
    if (pid > 1) process.kill(pid, 'SIGTERM');
  }
  await runLocal(['ip', 'netns', 'del', NS], { timeoutMs: 10_000 });
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
