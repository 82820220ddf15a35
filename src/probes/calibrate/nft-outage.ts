import { ProtocolError, TimeoutError, UsageError } from '../../errors/classes.js';
import { injectedOutage, type InjectedOutage } from '../../measure/injected.js';
import { sleep } from '../../util/abort.js';
import { monoMs } from '../../util/stamp.js';
import type { ProbeProcess, ProbeSpawner } from '../udp/spawn.js';
import { parseInjectorLine, type InjectorLine } from './parse.js';
import { assetsDir } from '../../util/layout.js';

export type { InjectedOutage } from '../../measure/injected.js';

export interface OutageInjectorOptions {
  readonly spawner: ProbeSpawner;
  /** Prefix that enters the place where the rule goes, e.g. `['ip', 'netns', 'exec', ns]`. */
  readonly argvPrefix: readonly string[];
  /** A dedicated table `inet <table>`, created by the injector and deleted when it exits (default `vmmiprb_outage`). */
  readonly table?: string;
  readonly hook?: 'input' | 'output' | 'forward';
  /** nft match expressions; traffic matching any of them is dropped during an outage ('' = everything). */
  readonly matches: readonly string[];
  /** Hard bound of the injector's life, ms: it removes its table and exits then, whatever happens here. */
  readonly limitMs: number;
  /** SCHED_FIFO priority for the injector (1–99), so its stamps stay next to the commit on a loaded host. */
  readonly fifoPriority?: number;
  /** Path of the built injector (default: {@link defaultInjectorBinary}). */
  readonly binary?: string;
  /** Longest wait for a reply beyond the outage itself, ms (default 5000). */
  readonly commandTimeoutMs?: number;
}

/** How the injector ended: `cleaned` = it deleted its table (no rule left behind). */
export interface InjectorExit {
  readonly reason: string;
  readonly cleaned: boolean;
}

export interface OutageInjector {
  /** Where the injector's CLOCK_MONOTONIC read fell inside the controller's bracket at start (ms from its start). */
  readonly clockCheck: { readonly sentMs: number; readonly injectorMs: number; readonly receivedMs: number };
  inject(durationMs: number): Promise<InjectedOutage>;
  /** Asks the injector to quit; resolves with how it ended (never throws: used in `finally`). */
  close(): Promise<InjectorExit>;
}

/** Default location of the built injector (scripts/build-lab-assets). */
export function defaultInjectorBinary(): string {
  return `${assetsDir()}/nftinject`;
}

/**
 * Outage injector on nftables (lab-assets/nftinject.c): one long-lived process in the target place
 * that switches the drop rule in-process and stamps CLOCK_MONOTONIC right before and after each
 * ruleset change, so each edge of an outage is known to a bracket of tens of microseconds. The
 * controller only asks for a pulse and reads the stamps: neither the pipe nor this event loop sits
 * between an edge and its stamp.
 *
 * Contract: at start the injector's clock is checked against the controller's (a `clock` read must
 * fall between the controller's send and receive stamps), because the stamps are compared with
 * probe samples on the controller's monotonic clock. The injector is bounded on its own side
 * (`limitMs`, stdin closing, signals) and removes its table whenever it exits.
 */
export async function createOutageInjector(o: OutageInjectorOptions): Promise<OutageInjector> {
  const argv = injectorArgv(o);
  const proc: ProbeProcess = o.spawner(argv, {});
  const write = proc.write;
  if (write === undefined) {
    proc.stop();
    throw new UsageError('outage injector needs a spawner with stdin (write)');
  }
  const timeoutMs = o.commandTimeoutMs ?? 5000;
  const ch = injectorChannel(proc, write);

  let clockCheck: OutageInjector['clockCheck'];
  try {
    clockCheck = await checkClock(ch.request, timeoutMs);
  } catch (e) {
    proc.stop();
    await Promise.race([proc.exit, sleep(3000)]);
    throw new ProtocolError(e instanceof Error ? e.message : String(e), {
      cause: e,
      operation: 'start outage injector',
      hint: `argv: ${argv.join(' ')}; the binary comes from scripts/build-lab-assets (needs libnftables-dev, libnftnl-dev, libmnl-dev: scripts/setup)`,
    });
  }

  let n = 0;
  return {
    clockCheck,
    async inject(durationMs) {
      if (!(durationMs > 0)) throw new UsageError(`outage length ${durationMs} ms must be > 0`);
      const id = `p${++n}`;
      const r = await ch.request(id, `pulse ${id} ${Math.round(durationMs * 1000)}`, durationMs + timeoutMs);
      if (r.m.kind !== 'pulse') throw new ProtocolError(`outage injector: unexpected reply ${r.m.kind} to pulse`);
      return injectedOutage(
        durationMs,
        { beforeMs: r.m.onBeforeMs, afterMs: r.m.onAfterMs },
        { beforeMs: r.m.offBeforeMs, afterMs: r.m.offAfterMs },
      );
    },
    async close() {
      // `quit` makes the injector delete its table and say `bye`; a hung one is stopped (SIGTERM also cleans up).
      write('quit\n');
      let ex = await Promise.race([proc.exit, sleep(3000).then(() => undefined)]);
      if (ex === undefined) {
        proc.stop();
        ex = await proc.exit;
      }
      await ch.reading;
      return ch.bye() ?? { reason: `exit ${ex.code ?? ex.signal ?? '?'} without bye: ${ex.stderr.trim()}`,
        cleaned: false };
    },
  };
}

/** The injector's command line; refuses a table name, match or limit nft or the injector would not take. */
export function injectorArgv(o: Omit<OutageInjectorOptions, 'spawner'>): string[] {
  const table = o.table ?? 'vmmiprb_outage';
  if (!/^[a-z][a-z0-9_]*$/.test(table) || table.length >= 64) {
    throw new UsageError(`nft table name "${table}" must be [a-z][a-z0-9_]* (< 64 chars)`);
  }
  if (o.matches.length === 0 || o.matches.some((m) => /[;{}#\r\n]/.test(m))) {
    throw new UsageError('outage injector needs at least one match, each without ; { } # or line breaks');
  }
  if (!(o.limitMs > 0 && o.limitMs <= 3_600_000))
    throw new UsageError(`outage injector limitMs ${o.limitMs} must be in (0, 3600000]`);
  return [
    ...o.argvPrefix, o.binary ?? defaultInjectorBinary(), '--table', table, '--hook', o.hook ?? 'input',
    '--limit-ms', String(Math.ceil(o.limitMs)),
    ...(o.fifoPriority === undefined ? [] : ['--fifo', String(o.fifoPriority)]),
    ...o.matches.flatMap((m) => ['--match', m]),
  ];
}

type Reply = { m: InjectorLine; receivedMs: number };
/** Sends `cmd` (if any) and waits for the message with `id`; an `error` reply or a timeout throws. */
type Request = (id: string, cmd: string | undefined, waitMs: number) => Promise<Reply>;

/**
 * The injector's stdout read line by line, each stamped on arrival and handed to the request waiting
 * for its id; `bye()` is how the injector said it ended, once it has.
 */
function injectorChannel(proc: ProbeProcess, write: (s: string) => void):
  { request: Request; reading: Promise<void>; bye: () => InjectorExit | undefined } {
  // Replies are matched by id; `ready`, `bye` and errors without an id go to the "-" slot.
  const pending = new Map<string, (m: InjectorLine, receivedMs: number) => void>();
  let bye: InjectorExit | undefined;
  const unparsed: string[] = [];
  const reading = (async () => {
    for await (const line of proc.lines) {
      const receivedMs = monoMs();
      const m = parseInjectorLine(line);
      if (m === undefined) {
        unparsed.push(line);
        continue;
      }
      if (m.kind === 'bye') bye = { reason: m.reason, cleaned: m.cleaned };
      const id = m.kind === 'ready' || m.kind === 'bye' ? '-' : m.id;
      const w = pending.get(id);
      pending.delete(id);
      w?.(m, receivedMs);
    }
  })();
  const exitDetail = async (): Promise<string> => {
    const ex = await Promise.race([proc.exit, sleep(200).then(() => undefined)]);
    const extra = unparsed.length === 0 ? '' : `; output: ${unparsed.slice(-3).join(' | ')}`;
    return ex === undefined ? extra : `; injector exited ${ex.code ?? ex.signal ?? '?'}: ${ex.stderr.trim()}${extra}`;
  };
  const request: Request = async (id, cmd, waitMs) => {
    const reply = new Promise<Reply>((resolve) => pending.set(id, (m, receivedMs) => resolve({ m, receivedMs })));
    if (cmd !== undefined) write(`${cmd}\n`);
    // An exit wins only after a short grace, so a last `error`/`bye` line still arrives first.
    const r = await Promise.race([
      reply,
      sleep(waitMs).then(() => 'timeout' as const),
      proc.exit.then(() => sleep(50)).then(() => 'exit' as const),
    ]);
    pending.delete(id);
    if (r === 'timeout')
      throw new TimeoutError(`outage injector: no reply to "${cmd ?? 'start'}"${await exitDetail()}`, waitMs);
    if (r === 'exit')
      throw new ProtocolError(`outage injector exited before replying to "${cmd ?? 'start'}"${await exitDetail()}`);
    if (r.m.kind === 'error' || r.m.kind === 'bye') {
      throw new ProtocolError(
        `outage injector: "${cmd ?? 'start'}" failed: ${r.m.kind === 'error' ? r.m.message : `exited (${r.m.reason})`}${await exitDetail()}`,
      );
    }
    return r;
  };
  return { request, reading, bye: () => bye };
}

/**
 * Waits for `ready`, then checks that the injector's `clock` read falls inside the controller's send/receive
 * bracket.
 */
async function checkClock(request: Request, timeoutMs: number): Promise<OutageInjector['clockCheck']> {
  await request('-', undefined, timeoutMs);
  const sentMs = monoMs();
  const c = await request('c0', 'clock c0', timeoutMs);
  if (c.m.kind !== 'clock') throw new ProtocolError(`outage injector: unexpected reply ${c.m.kind} to clock`);
  if (!(c.m.monoMs >= sentMs && c.m.monoMs <= c.receivedMs)) {
    throw new ProtocolError(
      `outage injector clock ${c.m.monoMs.toFixed(3)} ms lies outside the controller's bracket ` +
        `[${sentMs.toFixed(3)}, ${c.receivedMs.toFixed(3)}] ms: not the same CLOCK_MONOTONIC (time namespace?), stamps not comparable`,
    );
  }
  return { sentMs, injectorMs: c.m.monoMs, receivedMs: c.receivedMs };
}
