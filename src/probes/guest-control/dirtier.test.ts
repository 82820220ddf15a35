import { createSocket } from 'node:dgram';
import { expect, test } from '@playwright/test';
import { runLocal } from '../../exec/local.js';
import { checkDirtierLoad, dirtierStatus, parseDirtierStatus, startDirtier, stopDirtier, triesLeft } from './dirtier.js';

// Lines as lab-assets/udprefl.c answers them (captured from the real reflector with the real dirtier).
const RUNNING = 'dirty state=running uptime_ms=13362882 rate_mibs=50 wss_mib=8 started_ms=13357687 '
  + 'last_tick_ms=13362872 pages_dirtied=66201 passes=32 capped_ticks=1 max_tick_gap_ms=63';

test('status lines parse; the achieved rate comes from pages over ticking time', () => {
  const s = parseDirtierStatus(RUNNING);
  expect(s).toMatchObject({ state: 'running', rateMiBs: 50, wssMiB: 8, pagesDirtied: 66201, passes: 32, cappedTicks: 1 });
  expect(s.achievedMiBs).toBeCloseTo((66201 * 4096) / 1048576 / 5.185, 3);
  expect(parseDirtierStatus('dirty state=absent uptime_ms=5')).toMatchObject({ state: 'absent', achievedMiBs: 0 });
  expect(() => parseDirtierStatus('memcheck state=ok')).toThrow(/starting "dirty"/);
  expect(() => parseDirtierStatus('dirty state=odd uptime_ms=1')).toThrow(/unknown state "odd"/);
  expect(() => parseDirtierStatus(RUNNING.replace(' passes=32', ''))).toThrow(/field passes missing/);
});

test('loads outside the guest\'s bounds are refused naming the field', () => {
  expect(() => checkDirtierLoad({ rateMiBs: 0, wssMiB: 8 })).toThrow('dirtier rateMiBs: 0 is not allowed; allowed: an integer from 1 to 4096');
  expect(() => checkDirtierLoad({ rateMiBs: 10, wssMiB: 2048 })).toThrow(/wssMiB: 2048 .* 1 to 1024/);
});

/** A control port that behaves as the reflector does for the `dirty` commands, ticking on a fake clock. */
async function fakeGuest(o: { absent?: boolean; dropFirstStart?: boolean; old?: boolean; mute?: () => boolean } = {}) {
  const s = createSocket('udp4');
  const seen: string[] = [];
  let load: { rate: number; wss: number } | undefined;
  let startedMs = 0;
  let dropped = false;
  const now = (): number => Math.round(performance.now());
  s.on('message', (b, rinfo) => {
    const cmd = b.toString().trim();
    seen.push(cmd);
    if (o.mute?.() === true) return; // a guest too busy to answer (postcopy faulting its pages in)
    const m = /^dirty start (\d+) (\d+)$/.exec(cmd);
    let reply: string;
    if (o.old === true) reply = 'error unknown-request';
    else if (m !== null) {
      if (o.dropFirstStart === true && !dropped) {
        dropped = true;
        load = { rate: Number(m[1]), wss: Number(m[2]) };
        startedMs = now();
        return; // the reply is lost; the guest did start
      }
      if (o.absent === true) reply = 'dirty error=absent';
      else if (load !== undefined) reply = 'dirty error=running pid=7';
      else {
        load = { rate: Number(m[1]), wss: Number(m[2]) };
        startedMs = now();
        reply = `dirty started pid=7 rate_mibs=${m[1]} wss_mib=${m[2]}`;
      }
    } else if (cmd === 'dirty status') {
      const t = now();
      reply = load === undefined ? `dirty state=stopped uptime_ms=${t} rate_mibs=0 wss_mib=0 started_ms=0 last_tick_ms=0 `
        + 'pages_dirtied=0 passes=0 capped_ticks=0 max_tick_gap_ms=0'
        : `dirty state=running uptime_ms=${t} rate_mibs=${load.rate} wss_mib=${load.wss} started_ms=${startedMs} `
          + `last_tick_ms=${t} pages_dirtied=${Math.round(((t - startedMs) / 1000) * load.rate * 256)} passes=0 `
          + 'capped_ticks=0 max_tick_gap_ms=10';
    } else if (cmd === 'dirty stop') {
      reply = load === undefined ? 'dirty stopped none' : 'dirty stopped pages_dirtied=1234';
      load = undefined;
    } else reply = 'error unknown-request';
    s.send(`${reply}\n`, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const target = { runner: { where: 'local', run: runLocal }, address: '127.0.0.1', port: s.address().port };
  return { target, seen, close: () => s.close() };
}

test('start waits for the first tick; status and stop go through the control port', async () => {
  const g = await fakeGuest();
  try {
    const s = await startDirtier(g.target, { rateMiBs: 40, wssMiB: 16 }, { timeoutMs: 10_000 });
    expect(s).toMatchObject({ state: 'running', rateMiBs: 40, wssMiB: 16 });
    expect(s.lastTickMs).toBeGreaterThan(s.startedMs);
    await new Promise((r) => setTimeout(r, 200));
    expect((await dirtierStatus(g.target)).achievedMiBs).toBeGreaterThan(30);
    expect(await stopDirtier(g.target)).toBe(1234);
    expect(await stopDirtier(g.target)).toBe(0);
    expect(g.seen[0]).toBe('dirty start 40 16');
  } finally {
    g.close();
  }
});

test('a lost start reply is retried and the running dirtier accepted; another load or no dirtier is an error', async () => {
  const lost = await fakeGuest({ dropFirstStart: true });
  try {
    await expect(startDirtier(lost.target, { rateMiBs: 8, wssMiB: 4 })).resolves.toMatchObject({ state: 'running' });
    expect(lost.seen.filter((c) => c.startsWith('dirty start'))).toHaveLength(2);
    await expect(startDirtier(lost.target, { rateMiBs: 9, wssMiB: 4 })).rejects.toThrow(/already runs at 8 MiB\/s/);
  } finally {
    lost.close();
  }
  const old = await fakeGuest({ old: true });
  try {
    await expect(startDirtier(old.target, { rateMiBs: 8, wssMiB: 4 })).rejects.toThrow(/without the dirty commands/);
  } finally {
    old.close();
  }
  const absent = await fakeGuest({ absent: true });
  try {
    await expect(startDirtier(absent.target, { rateMiBs: 8, wssMiB: 4 })).rejects.toMatchObject({ code: 'USAGE' });
  } finally {
    absent.close();
  }
});

test('a request runs its three tries, then more while its budget lasts', () => {
  expect(triesLeft(0, 0, 0)).toBe(true);
  expect(triesLeft(0, 5000, 2)).toBe(true);
  expect(triesLeft(0, 1800, 3)).toBe(false);
  expect(triesLeft(15_000, 2000, 3)).toBe(true);
  expect(triesLeft(15_000, 14_600, 20)).toBe(false);
  expect(triesLeft(15_000, 14_500, 20)).toBe(true);
});

test('a guest silent for a while is waited for within the budget; a silent guest is a timeout that says how long', async () => {
  const t0 = Date.now();
  const slow = await fakeGuest({ mute: () => Date.now() - t0 < 2500 });
  try {
    await expect(startDirtier(slow.target, { rateMiBs: 8, wssMiB: 4 }, { timeoutMs: 10_000 }))
      .resolves.toMatchObject({ state: 'running' });
  } finally {
    slow.close();
  }
  const dead = await fakeGuest({ mute: () => true });
  try {
    const t1 = Date.now();
    const e = await dirtierStatus(dead.target, { timeoutMs: 2500 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'TIMEOUT' });
    const { timeoutMs, message } = e as { timeoutMs: number; message: string };
    expect(timeoutMs).toBeGreaterThanOrEqual(2000);
    expect(timeoutMs).toBeLessThanOrEqual(Date.now() - t1);
    expect(message).toMatch(/did not answer "dirty status" \(\d+ tries\) \(after \d+ ms\)/);
  } finally {
    dead.close();
  }
});
