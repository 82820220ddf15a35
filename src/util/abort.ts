import { AbortedError, TimeoutError } from '../errors/classes.js';
import type { VmmiErrorOptions } from '../errors/vmmi-error.js';

/** Options every I/O call accepts. */
export interface IoOptions {
  /** Hard limit for the operation in ms. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Throws AbortedError when the signal is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, ctx: VmmiErrorOptions = {}): void {
  if (signal?.aborted === true) throw new AbortedError('operation aborted', { ...ctx, cause: signal.reason });
}

/**
 * Races `work` against a timeout and an AbortSignal. `onCancel` runs once when either fires, so the
 * caller can release what `work` holds (close a channel, drop a pending serial).
 */
export async function withDeadline<T>(
  work: Promise<T>,
  what: string,
  opts: IoOptions & { onCancel?: (reason: Error) => void; ctx?: VmmiErrorOptions } = {},
): Promise<T> {
  const { timeoutMs, signal, onCancel, ctx = {} } = opts;
  if (timeoutMs === undefined && signal === undefined) return work;
  throwIfAborted(signal, ctx);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cancelled = new Promise<never>((_, reject) => {
    const fire = (err: Error): void => {
      onCancel?.(err);
      reject(err);
    };
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => fire(new TimeoutError(`${what} timed out`, timeoutMs, ctx)), timeoutMs);
    }
    if (signal !== undefined) {
      onAbort = () => fire(new AbortedError(`${what} aborted`, { ...ctx, cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([work, cancelled]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

/** Sleeps `ms`, rejecting with AbortedError when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new AbortedError('sleep aborted'));
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new AbortedError('sleep aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls `check` until it returns a non-undefined value or the deadline passes. */
export async function pollUntil<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<T> {
  const end = Date.now() + opts.timeoutMs;
  for (;;) {
    throwIfAborted(opts.signal);
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= end) throw new TimeoutError(`${what} not reached`, opts.timeoutMs);
    await sleep(opts.intervalMs ?? 50, opts.signal);
  }
}

/**
 * Polls `check` like {@link pollUntil}, with a deadline that follows observed progress: the wait ends
 * after `idleMs` in which `progress` (any comparable token: a log's size, a count of ready parts) did
 * not change, and after `maxMs` whatever happens. A busy host that slows a boot down but keeps it
 * moving gets the time it needs; a stuck one is given up on as early as an idle machine would be.
 */
export async function pollWithProgress<T>(
  check: () => Promise<T | undefined> | T | undefined,
  progress: () => Promise<unknown> | unknown,
  what: string,
  opts: { idleMs: number; maxMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<T> {
  const start = Date.now();
  let last = await progress();
  let lastChange = start;
  for (;;) {
    throwIfAborted(opts.signal);
    const v = await check();
    if (v !== undefined) return v;
    const now = Date.now();
    const p = await progress();
    if (p !== last) {
      last = p;
      lastChange = now;
    }
    if (now - lastChange >= opts.idleMs) {
      throw new TimeoutError(`${what} not reached: no progress for ${opts.idleMs} ms`, now - start);
    }
    if (now - start >= opts.maxMs) throw new TimeoutError(`${what} not reached while still progressing`, opts.maxMs);
    await sleep(opts.intervalMs ?? 50, opts.signal);
  }
}
