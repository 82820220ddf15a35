import { expect, test } from '@playwright/test';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dirname } from 'node:path';
import { buildInjector, createOutageInjector, runChecked, runLocal, spawnLocal } from './probe-support.js';

/**
 * The calibration suites' outage injector (lab-assets/nftinject.c) on its own, in one temporary
 * namespace with no traffic: it is bounded (stdin closing, its time limit, SIGTERM each end it and
 * remove its table), it refuses what it cannot do safely, it empties a table a killed run left
 * behind, and its edge stamps are on the controller's CLOCK_MONOTONIC and ordered.
 */
const NS = `vmmiprb-inj${process.pid % 100000}`;
const TABLE = 'vmmiprb_injtest';
let bin = '';

test.skip(process.getuid?.() !== 0, 'needs root (network namespaces, nftables)');
test.beforeAll(async () => {
  bin = await buildInjector();
  await runLocal(['ip', 'netns', 'del', NS], { timeoutMs: 10_000 });
  await runChecked(['ip', 'netns', 'add', NS], { timeoutMs: 10_000 });
});
test.afterAll(async () => {
  await runLocal(['ip', 'netns', 'del', NS], { timeoutMs: 10_000 });
  if (bin !== '') await rm(dirname(bin), { recursive: true, force: true });
});

const nft = async (...args: string[]): Promise<string> =>
  (await runChecked(['ip', 'netns', 'exec', NS, 'nft', ...args], { timeoutMs: 10_000 })).stdout;
const tableExists = async (): Promise<boolean> => (await nft('list', 'tables')).includes(`table inet ${TABLE}`);

interface Started {
  readonly lines: string[];
  readonly child: ChildProcessWithoutNullStreams;
  /** Exit code once the process has exited. */
  readonly exit: Promise<number | null>;
  next(prefix: string): Promise<string>;
}

/** Starts the binary directly (own stdin to close, own PID to signal); its output lines as they come. */
function start(extra: readonly string[], limitMs = 20_000): Started {
  const child = spawn('ip', [
    'netns',
    'exec',
    NS,
    bin,
    '--table',
    TABLE,
    '--hook',
    'input',
    '--limit-ms',
    String(limitMs),
    ...extra,
  ]);
  child.stderr.resume();
  const exit = once(child, 'close').then(([code]) => code as number | null);
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (l: string) => void }[] = [];
  void (async () => {
    for await (const l of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
      lines.push(l);
      const i = waiters.findIndex((w) => l.startsWith(w.prefix));
      if (i >= 0) waiters.splice(i, 1)[0]?.resolve(l);
    }
  })();
  const next = (prefix: string): Promise<string> => {
    const seen = lines.find((l) => l.startsWith(prefix));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      waiters.push({ prefix, resolve });
      setTimeout(() => reject(new Error(`no "${prefix}" line within 10 s; got: ${lines.join(' | ')}`)), 10_000).unref();
    });
  };
  return { lines, child, exit, next };
}

test('stdin closing ends the injector and removes its table', async () => {
  const r = start(['--match', 'ip saddr 198.18.250.1']);
  await r.next('ready ');
  expect(await tableExists()).toBe(true);
  r.child.stdin.end();
  expect(await r.exit).toBe(0);
  expect(r.lines.at(-1)).toBe('bye stdin-closed cleaned=1');
  expect(await tableExists()).toBe(false);
});

test('SIGTERM ends the injector and removes its table', async () => {
  const r = start(['--match', 'ip saddr 198.18.250.1']);
  await r.next('ready ');
  // `ip netns exec` execs in place: the spawned PID is the injector's own.
  r.child.kill('SIGTERM');
  expect(await r.next('bye ')).toBe('bye signal cleaned=1');
  expect(await r.exit).toBe(0);
  expect(await tableExists()).toBe(false);
});

test('SIGTERM during an outage ends it at once: the drop is removed and the stamps show the shortened length', async () => {
  const r = start(['--match', 'ip saddr 198.18.250.1']);
  await r.next('ready ');
  r.child.stdin.write('pulse long 5000000\n');
  await new Promise((res) => setTimeout(res, 300));
  const t0 = Date.now();
  r.child.kill('SIGTERM');
  const pulse = (await r.next('pulse long ')).split(' ').slice(2).map(Number);
  expect(await r.next('bye ')).toBe('bye signal cleaned=1');
  expect(Date.now() - t0).toBeLessThan(1000);
  const [onBefore = 0, , offBefore = 0] = pulse;
  expect((offBefore - onBefore) / 1e6).toBeLessThan(2000);
  expect(await r.exit).toBe(0);
  expect(await tableExists()).toBe(false);
});

test('the time limit ends an injector whose controller stays silent, and a pulse past it is refused', async () => {
  const t0 = Date.now();
  const r = start(['--match', 'ip saddr 198.18.250.1'], 1500);
  await r.next('ready ');
  r.child.stdin.write('pulse late 1000000\n');
  expect(await r.next('error late')).toContain('past --limit-ms');
  expect(await nft('list', 'chain', 'inet', TABLE, 'gate')).not.toContain('drop');
  expect(await r.next('bye ')).toBe('bye limit cleaned=1');
  const elapsed = Date.now() - t0;
  expect(elapsed).toBeGreaterThanOrEqual(1400);
  expect(elapsed).toBeLessThan(5000);
  await r.exit;
  expect(await tableExists()).toBe(false);
});

test('a table left with a drop in force by a killed run is emptied at start', async () => {
  await runChecked(['ip', 'netns', 'exec', NS, 'nft', '-f', '-'], {
    timeoutMs: 10_000,
    input: `add table inet ${TABLE}\nadd chain inet ${TABLE} gate\nadd rule inet ${TABLE} gate drop\n`,
  });
  expect(await nft('list', 'chain', 'inet', TABLE, 'gate')).toContain('drop');
  const r = start(['--match', 'ip saddr 198.18.250.1']);
  await r.next('ready ');
  expect(await nft('list', 'chain', 'inet', TABLE, 'gate')).not.toContain('drop');
  r.child.stdin.write('quit\n');
  expect(await r.next('bye ')).toBe('bye quit cleaned=1');
  await r.exit;
});

test('matches that could smuggle in other statements and unknown hooks are refused before anything is touched', async () => {
  for (const extra of [
    ['--match', 'ip saddr 198.18.250.1 accept; flush ruleset'],
    ['--match', 'tcp dport 22 { }'],
    ['--hook', 'prerouting', '--match', ''],
  ]) {
    const r = start(extra);
    expect(await r.exit, extra.join(' ')).toBe(2);
    expect(r.lines).toEqual([]);
  }
  expect(await tableExists()).toBe(false);
});

test('controller side: clock check on one CLOCK_MONOTONIC, ordered edge brackets, table removed on close', async () => {
  const inj = await createOutageInjector({
    spawner: spawnLocal,
    argvPrefix: ['ip', 'netns', 'exec', NS],
    binary: bin,
    table: TABLE,
    matches: ['ip saddr 198.18.250.1'],
    limitMs: 20_000,
  });
  const c = inj.clockCheck;
  expect(c.injectorMs).toBeGreaterThanOrEqual(c.sentMs);
  expect(c.injectorMs).toBeLessThanOrEqual(c.receivedMs);
  const o = await inj.inject(20);
  expect(o.on.beforeMs).toBeLessThanOrEqual(o.on.afterMs);
  expect(o.on.afterMs).toBeLessThanOrEqual(o.off.beforeMs);
  expect(o.off.beforeMs).toBeLessThanOrEqual(o.off.afterMs);
  // The switch-off starts no earlier than D after the switch-on started (the injector's own timing).
  expect(o.off.beforeMs - o.on.beforeMs).toBeGreaterThanOrEqual(20);
  expect(o.on.beforeMs).toBeGreaterThan(c.injectorMs);
  console.log(
    `pulse 20 ms: injected ${o.injectedMs.toFixed(3)} ms ± ${o.uncertaintyMs.toFixed(3)} ms ` +
      `(on bracket ${(1000 * (o.on.afterMs - o.on.beforeMs)).toFixed(0)} µs, off ${(1000 * (o.off.afterMs - o.off.beforeMs)).toFixed(0)} µs)`,
  );
  expect(await nft('list', 'chain', 'inet', TABLE, 'gate')).not.toContain('drop');
  expect(await inj.close()).toEqual({ reason: 'quit', cleaned: true });
  expect(await tableExists()).toBe(false);
});
