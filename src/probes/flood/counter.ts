/**
 * The lab's flooding counter: lists a bridge's ports, flags and FDB where the bridge lives, starts the
 * packet counter (lab-assets/floodcount.c, built by scripts/build-lab-assets as `floodcount`) there and
 * reads its counters. Where the bridge lives comes from the caller as a runner plus an argv prefix (the
 * emulated lab gives `ip netns exec <tor>`); this module never enters a namespace by itself.
 */
import { ProtocolError, UsageError } from '../../errors/classes.js';
import type { CommandResult, CommandRunner } from '../../exec/types.js';
import { defined } from '../../model/defined.js';
import { withDeadline, type IoOptions } from '../../util/abort.js';
import { assetsDir } from '../../util/layout.js';
import { monoMs } from '../../util/stamp.js';
import { spawnLocal, type ProbeProcess, type ProbeSpawner } from '../udp/spawn.js';
import {
  erroredFloodResult, floodArgv, floodResult, parseBridgeLinks, parseBridgePorts, parseFloodLine, suppressionState,
  type FloodCountersLine, type FloodHello,
} from './parse.js';
import type {
  FloodCounterSource, FloodCounting, FloodSegmentRef, FloodSegmentResult, SuppressionReading,
} from './types.js';

/** Where a device's bridge lives: short commands through `runner`, the counter through `argvPrefix`. */
export interface FloodPlace {
  readonly runner: CommandRunner;
  readonly argvPrefix: readonly string[];
  /** Starts the counter (default: a local child; a remote host gives one over SSH). */
  readonly spawner?: ProbeSpawner;
}

export interface FloodCounterOptions {
  /** Path of the built counter (default `<assets>/floodcount`). */
  readonly binary?: string;
  /** The counter's own bound, ms: it ends by itself then, whatever the controller does (default 600 000). */
  readonly maxMs?: number;
  /** Copies of one frame seen within this many ms are one frame (default 50). */
  readonly dedupMs?: number;
  /** Reorder hold before a frame is judged, ms (default 5). */
  readonly holdMs?: number;
  /** Receive buffer of the counter's rtnetlink socket (FDB events), bytes (default 4 MiB). */
  readonly netlinkRcvbufBytes?: number;
  /** Timeout of each command and of the wait for a reading when `io.timeoutMs` is not given (default 5000). */
  readonly commandTimeoutMs?: number;
}

/** Default location of the built counter (scripts/build-lab-assets). */
export function defaultFloodBinary(): string {
  return `${assetsDir()}/floodcount`;
}

async function must(runner: CommandRunner, argv: readonly string[], io: IoOptions, timeoutMs: number):
  Promise<CommandResult> {
  const r = await runner.run(argv, { timeoutMs: io.timeoutMs ?? timeoutMs, ...defined({ signal: io.signal }) });
  if (r.failed) {
    throw new ProtocolError(`${argv.join(' ')} failed on ${runner.where}: ${(r.stderr || r.stdout).trim()}`, {
      operation: 'flood counter setup',
    });
  }
  return r;
}

/** ARP/ND suppression of `bridge`'s ports where it lives (`bridge -j -d link show`). */
export async function readSuppression(runner: CommandRunner, bridge: string,
  io: IoOptions & { readonly ports?: readonly string[] } = {}): Promise<SuppressionReading> {
  const r = await must(runner, ['bridge', '-j', '-d', 'link', 'show'], io, 5000);
  return suppressionState(r.stdout, bridge, io.ports);
}

/** The process's exit within `ms`, or undefined (the timer does not outlive the wait). */
async function exitWithin(proc: ProbeProcess, ms: number): Promise<Awaited<ProbeProcess['exit']> | undefined> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([proc.exit, new Promise<undefined>((r) => (t = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

/** The counter's stdout as records: the hello, and each counters line handed to the oldest waiter. */
function channel(proc: ProbeProcess) {
  let hello: FloodHello | undefined;
  let final: FloodCountersLine | undefined;
  let bad: string | undefined;
  const waiters: ((c: FloodCountersLine | undefined) => void)[] = [];
  let helloWaiter: ((h: FloodHello | undefined) => void) | undefined;
  const reading = (async () => {
    for await (const line of proc.lines) {
      let rec;
      try {
        rec = parseFloodLine(line);
      } catch (e) {
        bad ??= e instanceof Error ? e.message : String(e);
        continue;
      }
      if (rec?.type === 'hello') {
        hello = rec;
        helloWaiter?.(rec);
      } else if (rec?.type === 'counters') {
        if (rec.final) final = rec;
        if (rec.final) for (const w of waiters.splice(0)) w(rec);
        else waiters.shift()?.(rec);
      }
    }
    helloWaiter?.(undefined);
    for (const w of waiters.splice(0)) w(final);
  })();
  return {
    reading,
    hello: (): Promise<FloodHello | undefined> =>
      hello !== undefined ? Promise.resolve(hello) : new Promise((res) => (helloWaiter = res)),
    /** The next counters line; `cancel` withdraws the wait (a reading that timed out must not take a later line). */
    next(): { readonly p: Promise<FloodCountersLine | undefined>; cancel(): void } {
      if (final !== undefined) return { p: Promise.resolve(final), cancel: () => undefined };
      let w: ((c: FloodCountersLine | undefined) => void) | undefined;
      const p = new Promise<FloodCountersLine | undefined>((res) => waiters.push((w = res)));
      const cancel = (): void => {
        const i = w === undefined ? -1 : waiters.indexOf(w);
        if (i >= 0) waiters.splice(i, 1);
      };
      return { p, cancel };
    },
    final: () => final,
    bad: () => bad,
  };
}

/**
 * Starts counting the flooding on `segment.bridge` at `place`: reads the ports (`ip -j link show master`)
 * and their learning flags (`bridge -j -d link show`), then starts the counter, which follows the bridge's
 * FDB over rtnetlink itself, and resolves at its `hello` (the window's start). Throws when a command fails,
 * the bridge has no port or the counter does not start.
 */
export async function startFloodCounter(segment: FloodSegmentRef, place: FloodPlace, o: FloodCounterOptions = {},
  io: IoOptions = {}): Promise<FloodCounting> {
  const tmo = o.commandTimeoutMs ?? 5000;
  const { runner } = place;
  const listed = await must(runner, ['ip', '-j', 'link', 'show', 'master', segment.bridge], io, tmo);
  const names = parseBridgePorts(listed.stdout);
  if (names.length === 0) throw new UsageError(`${segment.device}: bridge ${segment.bridge} has no ports (${runner.where})`);
  const flags = parseBridgeLinks((await must(runner, ['bridge', '-j', '-d', 'link', 'show'], io, tmo)).stdout, segment.bridge);
  const ports = names.map((n) => flags.find((f) => f.port === n) ?? { port: n, learning: true, neighSuppress: false });
  const argv = [...place.argvPrefix, ...floodArgv({
    binary: o.binary ?? defaultFloodBinary(), bridge: segment.bridge, ports,
    maxMs: o.maxMs ?? 600_000,
    ...defined({ dedupMs: o.dedupMs, holdMs: o.holdMs, netlinkRcvbufBytes: o.netlinkRcvbufBytes }),
  })];
  const proc = (place.spawner ?? spawnLocal)(argv, {});
  const write = proc.write;
  const ch = channel(proc);
  const fail = async (why: string): Promise<never> => {
    proc.stop();
    const ex = await exitWithin(proc, 3000);
    throw new ProtocolError(`${segment.device}: flood counter on ${segment.bridge} did not start: ${why}` +
      `${ex === undefined ? '' : ` (exit ${ex.code ?? ex.signal}: ${ex.stderr.trim()})`}`, {
      operation: 'start flood counter',
      hint: `argv: ${argv.join(' ')}; the binary comes from scripts/build-lab-assets`,
    });
  };
  if (write === undefined) return fail('the spawner gives no stdin (needed for readings and the end of the window)');
  let hello: FloodHello | undefined;
  try {
    hello = await withDeadline(ch.hello(), 'flood counter start', { timeoutMs: io.timeoutMs ?? tmo, ...defined({ signal: io.signal }) });
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
  if (hello === undefined) return fail('it exited before its hello');
  const holdMs = hello.holdMs;
  const deadline = (x: IoOptions): IoOptions => ({ timeoutMs: x.timeoutMs ?? tmo, ...defined({ signal: x.signal }) });
  let stopped: Promise<FloodSegmentResult> | undefined;

  const finish = async (io2: IoOptions): Promise<FloodSegmentResult> => {
    const early = ch.final();
    if (early === undefined) proc.stop(); // closes stdin (EOF: the counter prints its final counters) and SIGTERM
    let c: FloodCountersLine | undefined = early;
    try {
      c ??= await withDeadline(ch.next().p, 'flood counter stop', deadline(io2));
    } catch {
      c = undefined;
    }
    const ex = await exitWithin(proc, 3000);
    if (c === undefined) {
      const why = ch.bad() ?? `no final counters (exit ${ex?.code ?? ex?.signal ?? 'pending'}: ${ex?.stderr.trim() ?? ''})`;
      return erroredFloodResult(segment.device, segment.bridge, why, hello.startMonoMs, monoMs());
    }
    const reasons = early !== undefined && early.reason === 'lifetime'
      ? [`the counter reached its ${o.maxMs ?? 600_000} ms bound before stop: the window ended early`] : [];
    return floodResult(segment.device, segment.bridge, c, { reasons, holdMs });
  };

  return {
    segment,
    async read(io2) {
      if (stopped !== undefined || ch.final() !== undefined) return finish(io2);
      const next = ch.next();
      write('dump\n');
      const c = await withDeadline(next.p, 'flood counter reading', { ...deadline(io2), onCancel: () => next.cancel() });
      if (c === undefined) throw new ProtocolError(`${segment.device}: flood counter on ${segment.bridge} ended without counters`);
      return floodResult(segment.device, segment.bridge, c, { holdMs });
    },
    stop(io2) {
      stopped ??= finish(io2);
      return stopped;
    },
  };
}

/**
 * The lab's {@link FloodCounterSource}: the packet counter where each device's bridge lives. `placeOf`
 * maps a device to its place (the emulated lab: `netnsRunner(ns)` and `['ip', 'netns', 'exec', ns]`).
 */
export function createPacketFloodSource(placeOf: (device: string) => FloodPlace, o: FloodCounterOptions = {}):
  FloodCounterSource {
  return {
    kind: 'af-packet',
    start: (segment, io) => startFloodCounter(segment, placeOf(segment.device), o, io),
    suppression: (segment, io) => readSuppression(placeOf(segment.device).runner, segment.bridge, io),
  };
}
