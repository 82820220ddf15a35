import { expect, test } from '@playwright/test';
import { FrameDecoder, MESSAGE_MAX, encodeFrame } from './frame.js';
import { REMOTE_PROGRAM } from './protocol.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

// AUTH_LIST call, serial 1, empty payload: what the client sends first on every connection.
const AUTH_LIST_CALL = '0000001c 20008086 00000001 00000042 00000000 00000001 00000000';
// GET_STATE reply, serial 7: state 1 running, reason 1 booted.
const GET_STATE_REPLY = '00000024 20008086 00000001 000000d4 00000001 00000007 00000000 00000001 00000001';

test('encodes a CALL frame byte for byte', () => {
  const f = encodeFrame({ prog: REMOTE_PROGRAM, vers: 1, proc: 66, type: 0, serial: 1, status: 0 }, new Uint8Array());
  expect(hex(f)).toBe(AUTH_LIST_CALL.replace(/\s+/g, ''));
});

test('decodes a REPLY frame delivered one byte at a time', () => {
  const d = new FrameDecoder();
  const bytes = unhex(GET_STATE_REPLY);
  const got = [];
  for (const b of bytes) got.push(...d.push(new Uint8Array([b])));
  expect(got).toHaveLength(1);
  expect(got[0]?.header).toEqual({ prog: REMOTE_PROGRAM, vers: 1, proc: 212, type: 1, serial: 7, status: 0 });
  expect(hex(got[0]?.payload ?? new Uint8Array())).toBe('0000000100000001');
  expect(d.pendingBytes).toBe(0);
});

test('splits several frames in one chunk and keeps a partial tail', () => {
  const a = unhex(AUTH_LIST_CALL);
  const b = unhex(GET_STATE_REPLY);
  const all = new Uint8Array([...a, ...b, ...b.subarray(0, 10)]);
  const d = new FrameDecoder();
  const got = d.push(all);
  expect(got.map((m) => m.header.proc)).toEqual([66, 212]);
  expect(d.pendingBytes).toBe(10);
  expect(d.expectedBytes).toBe(36);
  expect(d.push(b.subarray(10)).map((m) => m.header.serial)).toEqual([7]);
});

test('length below 28 is a FRAMING error, and the decoder stays failed', () => {
  const d = new FrameDecoder();
  expect(() => d.push(unhex('0000001b 00000000'))).toThrow(/below the minimum 28/);
  expect(() => d.push(unhex(AUTH_LIST_CALL))).toThrow(/below the minimum/);
});

test('length over the 32 MiB maximum is refused from the length word alone', () => {
  const d = new FrameDecoder();
  const len = MESSAGE_MAX + 4 + 1;
  const w = new Uint8Array(4);
  new DataView(w.buffer).setUint32(0, len);
  let err: unknown;
  try {
    d.push(w);
  } catch (e) {
    err = e;
  }
  expect((err as { code?: string }).code).toBe('FRAMING');
  expect(String(err)).toContain('exceeds the 33554432-byte maximum');
  // Exactly at the limit is accepted (still waiting for the body, nothing allocated yet).
  const ok = new FrameDecoder();
  new DataView(w.buffer).setUint32(0, MESSAGE_MAX + 4);
  expect(ok.push(w)).toEqual([]);
  expect(ok.pendingBytes).toBe(4);
});

test('a custom maximum applies to encode and decode', () => {
  const h = { prog: REMOTE_PROGRAM, vers: 1, proc: 1, type: 0, serial: 1, status: 0 };
  expect(() => encodeFrame(h, new Uint8Array(100), 64)).toThrow(/exceeds the 64-byte maximum/);
  expect(() => new FrameDecoder(64).push(encodeFrame(h, new Uint8Array(100)))).toThrow(/exceeds the 64-byte/);
});
