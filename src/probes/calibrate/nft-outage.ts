import { UsageError } from '../../errors/classes.js';
import { sleep } from '../../util/abort.js';
import { monoMs } from '../../util/stamp.js';
import type { ProbeProcess, ProbeSpawner } from '../udp/spawn.js';

export interface OutageInjectorOptions {
  readonly spawner: ProbeSpawner;
  /** Prefix that enters the place where the rule goes, e.g. `['ip', 'netns', 'exec', ns]`. */
  readonly argvPrefix: readonly string[];
  /** A dedicated table, created here and deleted on close (default `vmmiprb_outage`). */
  readonly table?: string;
  readonly hook?: 'input' | 'output' | 'forward';
  /** nft match expressions, one drop rule each (e.g. `ip saddr 198.18.250.1`); [''] drops everything. */
  readonly matches: readonly string[];
  /** Longest wait for nft to confirm a command, ms (default 5000). */
  readonly commandTimeoutMs?: number;
}

/**
 * Stamps of one injected outage on the controller's monotonic clock. The rule is active from some
 * instant in [addSentMs, addDoneMs] to some instant in [delSentMs, delDoneMs]; `injectedMs` =
 * delDone − addDone (both edges carry the same confirmation latency, which cancels), and
 * `edgeUncertaintyMs` bounds what is left.
 */
export interface InjectedOutage {
  readonly requestedMs: number;
  readonly addSentMs: number;
  readonly addDoneMs: number;
  readonly delSentMs: number;
  readonly delDoneMs: number;
  readonly injectedMs: number;
  readonly edgeUncertaintyMs: number;
}

export interface OutageInjector {
  inject(durationMs: number): Promise<InjectedOutage>;
  close(): Promise<void>;
}

/**
 * Outage injector on nftables: one long-lived `nft -i` process, so adding and removing the drop rule
 * costs no process start. Each command is followed by a `list chain`, whose closing brace marks the
 * instant nft has committed it.
 */
export async function createOutageInjector(o: OutageInjectorOptions): Promise<OutageInjector> {
  const table = o.table ?? 'vmmiprb_outage';
  if (!/^[a-z][a-z0-9_]*$/.test(table)) throw new UsageError(`nft table name "${table}" must be [a-z][a-z0-9_]*`);
  const hook = o.hook ?? 'input';
  const proc: ProbeProcess = o.spawner([...o.argvPrefix, 'nft', '-i'], {});
  const write = proc.write;
  if (write === undefined) throw new UsageError('outage injector needs a spawner with stdin (write)');
  const waiters: (() => void)[] = [];
  const reading = (async () => {
    for await (const line of proc.lines) if (line === '}') waiters.shift()?.();
  })();
  const timeoutMs = o.commandTimeoutMs ?? 5000;
  const confirm = async (cmd: string): Promise<number> => {
    const done = new Promise<void>((r) => waiters.push(r));
    write(`${cmd}\nlist chain inet ${table} c\n`);
    const ok = await Promise.race([done.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!ok) {
      const ex = await Promise.race([proc.exit, sleep(200).then(() => undefined)]);
      throw new UsageError(`nft did not confirm "${cmd}" within ${timeoutMs} ms${ex === undefined ? '' : `: ${ex.stderr.trim()}`}`);
    }
    return monoMs();
  };
  try {
    await confirm(`add table inet ${table}\nadd chain inet ${table} c { type filter hook ${hook} priority -10 ; policy accept ; }`);
  } catch (e) {
    proc.stop();
    throw e;
  }
  const rules = o.matches.map((m) => `add rule inet ${table} c ${m} drop`).join('\n');
  return {
    async inject(durationMs) {
      const addSentMs = monoMs();
      const addDoneMs = await confirm(rules);
      // Sleep most of the way, then spin the last 2 ms so the removal starts on time.
      await sleep(Math.max(0, durationMs - 2));
      while (monoMs() < addDoneMs + durationMs) { /* spin */ }
      const delSentMs = monoMs();
      const delDoneMs = await confirm(`flush chain inet ${table} c`);
      return {
        requestedMs: durationMs, addSentMs, addDoneMs, delSentMs, delDoneMs,
        injectedMs: delDoneMs - addDoneMs,
        edgeUncertaintyMs: Math.max(addDoneMs - addSentMs, delDoneMs - delSentMs),
      };
    },
    async close() {
      // `quit` lets nft finish the delete before it exits; stop() only if it hangs.
      write(`delete table inet ${table}\nquit\n`);
      const ex = await Promise.race([proc.exit, sleep(3000).then(() => undefined)]);
      if (ex === undefined) proc.stop();
      await proc.exit;
      await reading;
    },
  };
}
