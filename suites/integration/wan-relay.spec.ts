/**
 * The lab's C WAN relay (lab-assets/wanrelay.c) on its own: three namespaces a — relay — b joined by
 * veths with offloads off (198.18.251.0/24), the relay changed at run time over its control socket:
 * delay, loss, rate, cut/restore, bounded runtime with counters on exit. Needs root and the built
 * assets (scripts/build-lab-assets).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { promisify } from 'node:util';
import { test, expect } from '@playwright/test';

const run = promisify(execFile);
const RELAY = `${process.env.VMMI_ASSETS_DIR ?? '/var/lib/vmmi/assets'}/wanrelay`;
const P = 'vmmitw';
const SOCK = join(mkdtempSync(join(tmpdir(), `${P}-`)), 'relay.sock');
let relay: ChildProcess | undefined;
let relayErr = '';

test.describe.configure({ mode: 'serial' });
test.skip(process.getuid?.() !== 0 || !existsSync(RELAY), 'needs root and scripts/build-lab-assets');

const sh = async (...argv: string[]): Promise<string> =>
  (await run(argv[0] as string, argv.slice(1), { timeout: 20_000 })).stdout;
const ping = async (args: string[]): Promise<{ loss: number; max: number; avg: number }> => {
  const r = await run('ip', ['netns', 'exec', `${P}-a`, 'ping', '-q', ...args, '198.18.251.2'], { timeout: 30_000 })
    .catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const loss = Number(/([\d.]+)% packet loss/.exec(r.stdout)?.[1] ?? NaN);
  const m = /= [\d.]+\/([\d.]+)\/([\d.]+)\//.exec(r.stdout);
  return { loss, avg: Number(m?.[1] ?? NaN), max: Number(m?.[2] ?? NaN) };
};
const control = (cmd: string): Promise<string> => new Promise((resolve, reject) => {
  const c = createConnection(SOCK);
  let out = '';
  c.on('connect', () => c.write(`${cmd}\n`));
  c.on('data', (d) => (out += d.toString()));
  c.on('end', () => resolve(out));
  c.on('error', reject);
});

test.beforeAll(async () => {
  for (const n of ['a', 'r', 'b']) {
    await run('ip', ['netns', 'del', `${P}-${n}`]).catch(() => undefined);
    await sh('ip', 'netns', 'add', `${P}-${n}`);
  }
  await sh('ip', 'link', 'add', 'eth0', 'netns', `${P}-a`, 'type', 'veth', 'peer', 'name', 'ra', 'netns', `${P}-r`);
  await sh('ip', 'link', 'add', 'eth0', 'netns', `${P}-b`, 'type', 'veth', 'peer', 'name', 'rb', 'netns', `${P}-r`);
  for (const [ns, dev, addr] of [
    ['a', 'eth0', '198.18.251.1/24'],
    ['b', 'eth0', '198.18.251.2/24'],
    ['r', 'ra', ''],
    ['r', 'rb', ''],
  ]) {
    await sh(
      'ip',
      'netns',
      'exec',
      `${P}-${ns}`,
      'ethtool',
      '-K',
      dev as string,
      'tx',
      'off',
      'tso',
      'off',
      'gso',
      'off',
      'gro',
      'off',
    );
    if (addr) await sh('ip', '-n', `${P}-${ns}`, 'addr', 'add', addr, 'dev', dev as string);
    await sh('ip', '-n', `${P}-${ns}`, 'link', 'set', 'dev', dev as string, 'up');
  }
  relay = spawn('ip', ['netns', 'exec', `${P}-r`, RELAY, 'ra', 'rb', '-t', '120', '-q', '256', '-s', SOCK], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  relay.stderr?.on('data', (d: Buffer) => (relayErr += d.toString()));
  await expect.poll(() => existsSync(SOCK), { timeout: 5000 }).toBe(true);
});

test.afterAll(async () => {
  relay?.kill('SIGKILL');
  for (const n of ['a', 'r', 'b']) await run('ip', ['netns', 'del', `${P}-${n}`]).catch(() => undefined);
});

test('forwards both ways and adds the configured one-way delay', async () => {
  expect((await ping(['-c', '3', '-i', '0.2', '-W', '1'])).loss).toBe(0);
  expect(await control('set delay_us=20000')).toMatch(/^ok delay_us=20000 /);
  const r = await ping(['-c', '5', '-i', '0.2', '-W', '2']);
  expect(r.loss).toBe(0);
  expect(r.avg).toBeGreaterThanOrEqual(40);
  expect(r.avg).toBeLessThan(60);
  await control('set delay_us=0');
});

test('drops about the configured share of frames', async () => {
  await control('set loss_ppm=500000');
  const r = await ping(['-c', '60', '-i', '0.02', '-W', '1']);
  await control('set loss_ppm=0');
  // Each ping crosses twice: P(reply) = 0.25; 60 tries keep this well inside 55–95 %.
  expect(r.loss).toBeGreaterThan(55);
  expect(r.loss).toBeLessThan(95);
});

test('limits the rate: a burst queues behind the serialisation time', async () => {
  await control('set rate_kbit=500');
  const r = await ping(['-c', '20', '-l', '20', '-s', '1000', '-W', '3']); // 20 sent back to back
  await control('set rate_kbit=0');
  expect(r.loss).toBe(0);
  // 20 × 1042-byte frames sent at once take ~330 ms to serialise at 500 kbit/s: the last echo waits that long
  // (without the limit every echo returns within a few ms).
  expect(r.max).toBeGreaterThan(150);
});

test('cut drops everything until restored; counters show it', async () => {
  expect(await control('set cut=1')).toMatch(/ cut=1 /);
  expect((await ping(['-c', '3', '-i', '0.2', '-W', '1'])).loss).toBe(100);
  const stats = await control('stats');
  expect(Number(/cutdrop=(\d+)/.exec(stats)?.[1])).toBeGreaterThanOrEqual(3);
  await control('set cut=0');
  expect((await ping(['-c', '3', '-i', '0.2', '-W', '1'])).loss).toBe(0);
  expect(await control('set bogus=1')).toMatch(/^err /);
});

test('a bounded runtime ends the relay and prints its counters', async () => {
  relay?.kill('SIGTERM');
  await new Promise((r) => relay?.once('close', r));
  expect(relayErr).toMatch(/wanrelay: exit .*a2b=\d+ b2a=\d+ .*cutdrop=\d+/);
  const t0 = Date.now();
  const short = await run('ip', ['netns', 'exec', `${P}-r`, RELAY, 'ra', 'rb', '-t', '1'], { timeout: 10_000 });
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(short.stderr).toMatch(/wanrelay: exit /);
});
