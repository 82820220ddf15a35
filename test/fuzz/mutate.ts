/**
 * Byte-level mutations of valid inputs. Pure. Each operator returns a new array and never grows an
 * input by more than `MAX_GROWTH` bytes, so one mutated input stays cheap to decode; "huge" inputs are
 * expressed through length fields (see `INTERESTING_32`), not through allocation.
 */
import type { Rng } from './prng.js';

/** Upper bound on bytes an operator adds. */
export const MAX_GROWTH = 4096;

/** 32-bit values that break length/count/enum handling: zero, sign edges, all-ones, off-by-one. */
export const INTERESTING_32: readonly number[] = [
  0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
  0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
];

export type ByteOp =
  | 'bitflip' | 'insert' | 'delete' | 'splice' | 'duplicate' | 'interesting'
  | 'limit' | 'truncate' | 'garbage-tail' | 'zero-run' | 'swap';

export const BYTE_OPS: readonly ByteOp[] = [
  'bitflip', 'insert', 'delete', 'splice', 'duplicate', 'interesting', 'limit', 'truncate',
  'garbage-tail', 'zero-run', 'swap',
];

export interface MutateContext {
  /** Other valid inputs of the same kind, for splicing. */
  readonly donors: readonly Uint8Array[];
  /** Offsets worth hitting (field starts, header ends); mutations prefer them half of the time. */
  readonly boundaries?: readonly number[];
  /** Limits of the decoder under test; `limit` writes limit-1, limit, limit+1 as u32. */
  readonly limits?: readonly number[];
}

export function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.next() & 0xff;
  return out;
}

/** The parts joined into one buffer. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function cat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

/** 0–3 sorted offsets in [0, len] where a byte stream is cut into chunks. */
export function splitPoints(rng: Rng, len: number): number[] {
  const n = rng.int(4);
  return Array.from({ length: n }, () => rng.int(len + 1)).sort((a, b) => a - b);
}

function offset(rng: Rng, len: number, ctx: MutateContext): number {
  const b = ctx.boundaries;
  if (b !== undefined && b.length > 0 && rng.chance(0.5)) return Math.min(rng.pick(b), len);
  return rng.int(len + 1);
}

function writeU32(out: Uint8Array, at: number, v: number, little: boolean): void {
  for (let k = 0; k < 4 && at + k < out.length; k++) {
    const shift = little ? 8 * k : 8 * (3 - k);
    out[at + k] = (v >>> shift) & 0xff;
  }
}

/** Applies one operator. */
export function applyOp(rng: Rng, op: ByteOp, input: Uint8Array, ctx: MutateContext): Uint8Array {
  const len = input.length;
  const at = offset(rng, len, ctx);
  switch (op) {
    case 'bitflip': {
      if (len === 0) return randomBytes(rng, 1);
      const out = input.slice();
      const i = Math.min(at, len - 1);
      out[i] = (out[i] as number) ^ (1 << rng.int(8));
      return out;
    }
    case 'insert':
      return cat(input.subarray(0, at), randomBytes(rng, rng.range(1, 16)), input.subarray(at));
    case 'delete':
      return cat(input.subarray(0, at), input.subarray(Math.min(len, at + rng.range(1, 16))));
    case 'splice': {
      const donor = ctx.donors.length > 0 ? rng.pick(ctx.donors) : input;
      const from = rng.int(donor.length + 1);
      const piece = donor.subarray(from, Math.min(donor.length, from + rng.range(1, 512)));
      return cat(input.subarray(0, at), piece, input.subarray(at));
    }
    case 'duplicate': {
      const n = Math.min(rng.range(1, 256), len - Math.min(at, len));
      const region = input.subarray(at, at + n);
      const times = rng.range(1, Math.max(1, Math.floor(MAX_GROWTH / Math.max(1, n))));
      const reps = new Array<Uint8Array>(Math.min(times, 16)).fill(region);
      return cat(input.subarray(0, at + n), ...reps, input.subarray(at + n));
    }
    case 'interesting':
    case 'limit': {
      const out = input.slice();
      const base =
        op === 'limit' && ctx.limits !== undefined && ctx.limits.length > 0 ? rng.pick(ctx.limits) : undefined;
      const v = base === undefined ? rng.pick(INTERESTING_32) : (base + rng.range(-1, 1)) >>> 0;
      writeU32(out, at - (at % 4), v, rng.chance(0.1));
      return out;
    }
    case 'truncate':
      return input.slice(0, at);
    case 'garbage-tail':
      return cat(input, randomBytes(rng, rng.range(1, 64)));
    case 'zero-run': {
      const out = input.slice();
      out.fill(rng.chance(0.5) ? 0 : 0xff, at, at + rng.range(1, 32));
      return out;
    }
    case 'swap': {
      if (len < 2) return input.slice();
      const out = input.slice();
      const j = rng.int(len);
      const i = Math.min(at, len - 1);
      const t = out[i] as number;
      out[i] = out[j] as number;
      out[j] = t;
      return out;
    }
  }
}

/** 1–4 random operators in a row; returns the mutated bytes and the operator names (for reports). */
export function mutateBytes(rng: Rng, input: Uint8Array, ctx: MutateContext): { bytes: Uint8Array; ops: ByteOp[] } {
  const ops: ByteOp[] = [];
  let cur = input;
  const n = rng.range(1, 4);
  for (let i = 0; i < n; i++) {
    const op = rng.pick(BYTE_OPS);
    ops.push(op);
    cur = applyOp(rng, op, cur, ctx);
  }
  return { bytes: cur, ops };
}

/** Every prefix length worth testing: each boundary ±1 and a few random cuts. */
export function truncationPoints(rng: Rng, len: number, boundaries: readonly number[]): number[] {
  const set = new Set<number>([0, 1, len - 1]);
  for (const b of boundaries) for (const d of [-1, 0, 1]) set.add(b + d);
  for (let i = 0; i < 4; i++) set.add(rng.int(len));
  return [...set].filter((n) => n >= 0 && n < len).sort((a, b) => a - b);
}
