/**
 * The corpus loop, run inside the child process (see `supervise.ts`). For each index it regenerates
 * the input from (seed, index), runs the target, and classifies the outcome:
 * - accepted (no throw), or a typed rejection (a VmmiError whose code is in the corpus' allowed set);
 * - violation: a non-VmmiError throw (crash), a VmmiError with an unexpected code, a check that the
 *   corpus reports as broken (e.g. a loader issue without a message), or an input slower than the bound.
 * Hangs and process crashes cannot be caught here; the supervisor detects them from the progress stream.
 */
import { isVmmiError } from '../../src/errors/vmmi-error.js';

/** One generated input: a label saying how it was made, a printable preview and the target call. */
export interface FuzzInput {
  /** e.g. `chunked mutate[bitflip,splice] of rpc-reply-ok`. */
  readonly label: string;
  /** Escaped, bounded preview of the input for failure reports. */
  preview(): string;
  /** Runs the code under test; returns a violation text when the outcome is wrong without throwing. */
  run(): string | undefined;
}

export interface Corpus {
  readonly name: string;
  readonly seed: number;
  /** Error codes a rejection may carry. */
  readonly allowedCodes: readonly string[];
  make(index: number): FuzzInput;
}

export type ViolationKind = 'untyped-throw' | 'unexpected-code' | 'bad-result' | 'slow' | 'hang' | 'crash';

export interface Violation {
  readonly corpus: string;
  readonly seed: number;
  readonly index: number;
  readonly kind: ViolationKind;
  readonly label: string;
  readonly detail: string;
  readonly preview: string;
}

export interface Slowest {
  readonly index: number;
  readonly ms: number;
  readonly label: string;
}

export interface RangeSummary {
  readonly count: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Rejections per error code. */
  readonly codes: Readonly<Record<string, number>>;
  readonly slowest: Slowest | undefined;
  readonly elapsedMs: number;
}

export interface RangeHooks {
  /** Called before each input (the supervisor's progress beacon). */
  readonly before?: (index: number) => void;
  readonly violation: (v: Violation) => void;
  /** Per-input bound in ms (default 200). */
  readonly perInputMs?: number;
  /** Monotonic clock in ms (passed in so the loop stays free of globals it does not need). */
  readonly now: () => number;
}

/** Escapes control and non-ASCII characters and cuts to `max` characters. */
export function previewText(s: string, max = 240): string {
  const cut = s.length > max ? `${s.slice(0, max)}…(+${s.length - max} chars)` : s;
  return JSON.stringify(cut);
}

export function previewBytes(b: Uint8Array, max = 96): string {
  const hex = Array.from(b.subarray(0, max), (x) => x.toString(16).padStart(2, '0')).join('');
  return `${b.length} bytes: ${hex}${b.length > max ? '…' : ''}`;
}

function describe(e: unknown): string {
  if (e instanceof Error) return (e.stack ?? `${e.name}: ${e.message}`).split('\n').slice(0, 8).join('\n');
  return `non-Error thrown: ${String(e)}`;
}

function timeOnce(input: FuzzInput, now: () => number): number {
  const t = now();
  try {
    input.run();
  } catch {
    // outcome already classified on the first run
  }
  return now() - t;
}

/** Runs inputs [from, to) of a corpus. */
export function runRange(corpus: Corpus, from: number, to: number, hooks: RangeHooks): RangeSummary {
  const bound = hooks.perInputMs ?? 200;
  const codes: Record<string, number> = {};
  let accepted = 0;
  let rejected = 0;
  let slowest: Slowest | undefined;
  const t0 = hooks.now();
  for (let i = from; i < to; i++) {
    hooks.before?.(i);
    const input = corpus.make(i);
    const v = (kind: ViolationKind, detail: string): void => hooks.violation({
      corpus: corpus.name, seed: corpus.seed, index: i, kind, label: input.label, detail, preview: input.preview(),
    });
    const start = hooks.now();
    let bad: string | undefined;
    try {
      bad = input.run();
      accepted++;
    } catch (e) {
      if (!isVmmiError(e)) v('untyped-throw', describe(e));
      else if (!corpus.allowedCodes.includes(e.code)) v('unexpected-code', `${e.code}: ${describe(e)}`);
      else {
        rejected++;
        codes[e.code] = (codes[e.code] ?? 0) + 1;
        if (e.message.trim() === '') v('bad-result', `${e.code} with an empty message`);
      }
    }
    let ms = hooks.now() - start;
    if (bad !== undefined) v('bad-result', bad);
    if (ms > bound) {
      // On a shared, loaded machine one run can be descheduled past the bound: time it twice more and
      // keep the fastest, so only an input that is slow every time counts.
      for (let k = 0; k < 2 && ms > bound; k++) ms = Math.min(ms, timeOnce(input, hooks.now));
      if (ms > bound) v('slow', `took ${ms.toFixed(1)} ms at best of 3 runs (bound ${bound} ms)`);
    }
    if (slowest === undefined || ms > slowest.ms) slowest = { index: i, ms, label: input.label };
  }
  return { count: to - from, accepted, rejected, codes, slowest, elapsedMs: hooks.now() - t0 };
}
