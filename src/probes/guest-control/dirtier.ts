/**
 * The guest memory dirtier (lab-assets/dirtier.c), started, stopped and read through the reflector's
 * control port (lab-assets/udprefl.c): `dirty start RATE_MIBS WSS_MIB`, `dirty stop`, `dirty status`.
 * The parsers are pure; the requests go through guestControlRequest (one datagram, one line), retried
 * until answered or the request's budget is spent.
 */
import { ProtocolError, TimeoutError, UsageError } from '../../errors/classes.js';
import { type IoOptions, sleep } from '../../util/abort.js';
import { defined } from '../../model/defined.js';
import { type GuestControlTarget, guestControlRequest } from './query.js';

/** Bounds the guest's reflector accepts (lab-assets/dirtier.h). */
export const DIRTIER_MAX_RATE_MIBS = 4096;
export const DIRTIER_MAX_WSS_MIB = 1024;

export type DirtierState = 'running' | 'stopped' | 'starting' | 'absent';

export interface DirtierStatus {
  readonly state: DirtierState;
  /** Guest CLOCK_BOOTTIME at the answer, ms. */
  readonly uptimeMs: number;
  /** Stated rate (MiB/s) and working set (MiB). */
  readonly rateMiBs: number;
  readonly wssMiB: number;
  readonly startedMs: number;
  readonly lastTickMs: number;
  /** Pages (4 KiB) written since the start, and full passes over the working set. */
  readonly pagesDirtied: number;
  readonly passes: number;
  /** Ticks whose backlog was capped: the guest did not keep the rate (or was paused). */
  readonly cappedTicks: number;
  readonly maxTickGapMs: number;
  /** Rate kept since the start, MiB/s (pages × 4 KiB over the ticking time); 0 before the first tick. */
  readonly achievedMiBs: number;
  readonly line: string;
}

export interface DirtierLoad {
  /** MiB/s to dirty, 1–4096. */
  readonly rateMiBs: number;
  /** Working set the writes cycle over, MiB, 1–1024. */
  readonly wssMiB: number;
}

function fields(line: string, head: string): Map<string, string> {
  const [h, ...rest] = line.trim().split(/\s+/);
  if (h !== 'dirty') throw new ProtocolError(`${head}: expected a line starting "dirty", got "${line.slice(0, 200)}"`);
  const f = new Map<string, string>();
  for (const kv of rest) {
    const i = kv.indexOf('=');
    if (i > 0) f.set(kv.slice(0, i), kv.slice(i + 1));
    else f.set(kv, '');
  }
  return f;
}

/** Parses `dirty state=… key=value…`; throws ProtocolError naming what is missing. */
export function parseDirtierStatus(line: string): DirtierStatus {
  const f = fields(line, 'dirty status reply');
  const state = f.get('state');
  if (state !== 'running' && state !== 'stopped' && state !== 'starting' && state !== 'absent')
    throw new ProtocolError(`dirty status reply: unknown state "${state ?? ''}" in "${line.slice(0, 200)}"`);
  const num = (k: string): number => {
    const v = f.get(k);
    const n = v === undefined ? NaN : Number(v);
    if (!Number.isFinite(n)) {
      if (state === 'absent' && k !== 'uptime_ms') return 0;
      throw new ProtocolError(`dirty status reply: field ${k} missing or not a number in "${line.slice(0, 200)}"`);
    }
    return n;
  };
  const startedMs = num('started_ms');
  const lastTickMs = num('last_tick_ms');
  const pagesDirtied = num('pages_dirtied');
  const span = lastTickMs - startedMs;
  return {
    state, uptimeMs: num('uptime_ms'), rateMiBs: num('rate_mibs'), wssMiB: num('wss_mib'), startedMs, lastTickMs,
    pagesDirtied, passes: num('passes'), cappedTicks: num('capped_ticks'), maxTickGapMs: num('max_tick_gap_ms'),
    achievedMiBs: span > 0 ? (pagesDirtied * 4096) / 1048576 / (span / 1000) : 0,
    line: line.trim(),
  };
}

/** Checks a load against the guest's bounds; UsageError names the field and the allowed range. */
export function checkDirtierLoad(l: DirtierLoad): DirtierLoad {
  const check = (name: string, v: number, hi: number): void => {
    if (!Number.isInteger(v) || v < 1 || v > hi)
      throw new UsageError(`dirtier ${name}: ${String(v)} is not allowed; allowed: an integer from 1 to ${hi}`);
  };
  check('rateMiBs', l.rateMiBs, DIRTIER_MAX_RATE_MIBS);
  check('wssMiB', l.wssMiB, DIRTIER_MAX_WSS_MIB);
  return l;
}

/** Default budget of one request (all its tries), ms: three 500 ms tries plus the spawns, as before. */
const DEFAULT_REQUEST_MS = 3_000;
/** One try: a datagram and 500 ms for the answer. */
const TRY_WAIT_MS = 500;

/**
 * How many more tries of `tryMs` a request may start after `elapsedMs` of a `budgetMs` budget (pure): the
 * budget counts the tries' own time, and the first `minTries` always run (even with a spent budget).
 */
export function triesLeft(budgetMs: number, elapsedMs: number, tried: number,
  o: { tryMs?: number; minTries?: number } = {}):
  boolean {
  if (tried < (o.minTries ?? 3)) return true;
  return budgetMs - elapsedMs >= (o.tryMs ?? TRY_WAIT_MS);
}

const silent = (t: GuestControlTarget, what: string, elapsedMs: number, tries: number): TimeoutError =>
  new TimeoutError(`guest control port ${t.address}:${t.port} did not answer "${what}" (${tries} tries)`,
    Math.round(elapsedMs));

/**
 * Sends `command` until it is answered or `io.timeoutMs` (default 3 s) is spent, one 500 ms try at a time;
 * TimeoutError (with the time actually spent) when the guest stays silent.
 */
async function ask(t: GuestControlTarget, command: string, io: IoOptions): Promise<string> {
  const budget = io.timeoutMs ?? DEFAULT_REQUEST_MS;
  const t0 = Date.now();
  let tries = 0;
  while (triesLeft(budget, Date.now() - t0, tries)) {
    tries++;
    const left = Math.max(budget - (Date.now() - t0), TRY_WAIT_MS);
    const line = await guestControlRequest(t, command,
      { waitMs: TRY_WAIT_MS, tries: 1, timeoutMs: left + 5000, ...defined({ signal: io.signal }) });
    if (line !== undefined) return line;
  }
  throw silent(t, command, Date.now() - t0, tries);
}

/** The dirtier's status; TimeoutError when the control port does not answer within `timeoutMs` (3 s). */
export async function dirtierStatus(t: GuestControlTarget, io: IoOptions = {}): Promise<DirtierStatus> {
  return parseDirtierStatus(await ask(t, 'dirty status', io));
}

/**
 * Starts the dirtier and waits (up to `timeoutMs`, default 10 s) until it ticks: a status whose last tick
 * is after its start. A start whose reply was lost and retried finds it running with the same load and
 * accepts it; running with another load, absent from the image, or not ticking in time is an error.
 */
export async function startDirtier(t: GuestControlTarget, load: DirtierLoad,
  io: IoOptions = {}): Promise<DirtierStatus> {
  checkDirtierLoad(load);
  const budget = io.timeoutMs ?? 10_000;
  const t0 = Date.now();
  // What is left of the budget for the next request (each request runs at least its minimum tries).
  const left = (): IoOptions =>
    ({ timeoutMs: Math.max(0, budget - (Date.now() - t0)), ...defined({ signal: io.signal }) });
  const cmd = `dirty start ${load.rateMiBs} ${load.wssMiB}`;
  const line = await ask(t, cmd, left());
  if (line.startsWith('error unknown-request')) {
    throw new UsageError(`the guest at ${t.address} runs a reflector without the dirty commands (an older image)`,
      { hint: 'rebuild the guest image: bash scripts/build-lab-assets, then restart the lab (vmmi lab up)' });
  }
  const f = fields(line, 'dirty start reply');
  const error = f.get('error');
  if (error === 'absent') throw new UsageError(`the guest at ${t.address} has no memory dirtier (lab-assets/dirtier.c)`,
    { hint: 'rebuild the guest image: bash scripts/build-lab-assets, then vmmi lab up' });
  if (error !== undefined && error !== 'running') throw new ProtocolError(`dirty start refused: ${line}`);
  for (;;) {
    const s = await dirtierStatus(t, left());
    if (s.state === 'running' && (s.rateMiBs !== load.rateMiBs || s.wssMiB !== load.wssMiB)) {
      throw new UsageError(`the dirtier already runs at ${s.rateMiBs} MiB/s over ${s.wssMiB} MiB`,
        { hint: 'stop it first (stopDirtier)' });
    }
    if (s.state === 'running' && s.lastTickMs > s.startedMs) return s;
    if (s.state === 'stopped' && error === undefined && s.startedMs > 0 && Date.now() - t0 > 2000)
      throw new ProtocolError(`the dirtier exited right after its start: ${s.line}`);
    if (Date.now() - t0 > budget) throw new TimeoutError(`the dirtier did not start ticking: ${s.line}`, budget);
    await sleep(100, io.signal);
  }
}

/** Stops the dirtier; resolves with the pages it dirtied (0 when none ran). */
export async function stopDirtier(t: GuestControlTarget, io: IoOptions = {}): Promise<number> {
  const line = await ask(t, 'dirty stop', io);
  const f = fields(line, 'dirty stop reply');
  if (!f.has('stopped')) throw new ProtocolError(`dirty stop: unexpected reply "${line}"`);
  const n = Number(f.get('pages_dirtied') ?? 0);
  return Number.isFinite(n) ? n : 0;
}
