import { expect, test } from '@playwright/test';
import type { ProbeProcess } from '../udp/spawn.js';
import { createOutageInjector, injectorArgv, type OutageInjectorOptions } from './nft-outage.js';

const base = {
  argvPrefix: ['ip', 'netns', 'exec', 'ns1'], binary: '/a/nftinject', matches: ['ip saddr 198.18.0.1'], limitMs: 2500.5,
};

test('the injector command line: table, hook, limit, FIFO priority and one --match per match', () => {
  expect(injectorArgv(base)).toEqual(['ip', 'netns', 'exec', 'ns1', '/a/nftinject', '--table', 'vmmiprb_outage',
    '--hook', 'input', '--limit-ms', '2501', '--match', 'ip saddr 198.18.0.1']);
  const argv = injectorArgv({ ...base, table: 't1', hook: 'forward', fifoPriority: 50, matches: ['', 'udp dport 7'] });
  expect(argv.slice(4)).toEqual(['/a/nftinject', '--table', 't1', '--hook', 'forward', '--limit-ms', '2501',
    '--fifo', '50', '--match', '', '--match', 'udp dport 7']);
});

test('table names, matches and limits nft or the injector would not take are refused', () => {
  expect(() => injectorArgv({ ...base, table: 'Bad-name' })).toThrow(/nft table name "Bad-name"/);
  expect(() => injectorArgv({ ...base, table: `t${'x'.repeat(63)}` })).toThrow(/< 64 chars/);
  expect(() => injectorArgv({ ...base, matches: [] })).toThrow(/at least one match/);
  expect(() => injectorArgv({ ...base, matches: ['ip saddr 1.2.3.4; flush ruleset'] })).toThrow(/without ; \{ \} #/);
  expect(() => injectorArgv({ ...base, limitMs: 0 })).toThrow(/limitMs 0 must be in/);
  expect(() => injectorArgv({ ...base, limitMs: 3_600_001 })).toThrow(/limitMs 3600001/);
});

/** A scripted injector: answers `clock` and `pulse` with stamps on the real monotonic clock, `quit` with `bye`. */
function fakeInjector(o: { clockSkewNs?: bigint } = {}): { proc: ProbeProcess; written: string[] } {
  const written: string[] = [];
  const queue: string[] = ['ready 1'];
  let wake: (() => void) | undefined;
  let closed = false;
  let exited!: (e: { code: number | null; signal: string | null; stderr: string }) => void;
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((r) => { exited = r; });
  const push = (line: string): void => { queue.push(line); wake?.(); };
  const now = (): bigint => process.hrtime.bigint();
  const lines = async function* (): AsyncGenerator<string> {
    for (;;) {
      const line = queue.shift();
      if (line !== undefined) { yield line; continue; }
      if (closed) return;
      await new Promise<void>((r) => { wake = r; });
    }
  };
  const proc: ProbeProcess = {
    lines: lines(), exit,
    write: (text) => {
      written.push(text.trim());
      const [cmd, id] = text.trim().split(' ');
      if (cmd === 'clock') push(`clock ${id} ${now() + (o.clockSkewNs ?? 0n)}`);
      else if (cmd === 'pulse') push(`pulse ${id} ${now()} ${now()} ${now()} ${now()}`);
      else if (cmd === 'quit') {
        push('bye quit cleaned=1');
        closed = true;
        wake?.();
        exited({ code: 0, signal: null, stderr: '' });
      }
    },
    stop: () => { closed = true; wake?.(); exited({ code: null, signal: 'SIGTERM', stderr: 'stopped' }); },
  };
  return { proc, written };
}

const options = (proc: ProbeProcess): OutageInjectorOptions =>
  ({ ...base, spawner: () => proc, commandTimeoutMs: 1000 });

test('the injector starts after a clock check, pulses and quits cleanly', async () => {
  const { proc, written } = fakeInjector();
  const inj = await createOutageInjector(options(proc));
  expect(inj.clockCheck.injectorMs).toBeGreaterThanOrEqual(inj.clockCheck.sentMs);
  expect(inj.clockCheck.injectorMs).toBeLessThanOrEqual(inj.clockCheck.receivedMs);
  await inj.inject(20);
  expect(await inj.close()).toEqual({ reason: 'quit', cleaned: true });
  expect(written).toEqual(['clock c0', 'pulse p1 20000', 'quit']);
});

test('an injector on another monotonic clock is refused and stopped', async () => {
  const { proc } = fakeInjector({ clockSkewNs: 10n ** 12n });
  await expect(createOutageInjector(options(proc))).rejects.toThrow(/lies outside the controller's bracket/);
  expect((await proc.exit).signal).toBe('SIGTERM');
});
