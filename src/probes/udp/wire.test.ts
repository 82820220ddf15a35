import { expect, test } from '@playwright/test';
import { createCollector } from './collect.js';
import { decodeRecord, encodeRecord } from './records.js';
import { decodeProbe, encodeProbe, matchReply, PROBE_HEADER_BYTES } from './wire.js';

test('payload round-trips with magic, flow id, u32 seq and f64 send time, big-endian', () => {
  const b = encodeProbe({ flowId: 0xbeef, seq: 0xfffffffe, sendMs: 1234.5678 }, 64);
  expect(b.byteLength).toBe(64);
  expect([...b.slice(0, 4)]).toEqual([0x4c, 0x41, 0x42, 0x21]);
  expect([...b.slice(4, 6)]).toEqual([0xbe, 0xef]);
  expect([...b.slice(8, 12)]).toEqual([0xff, 0xff, 0xff, 0xfe]);
  expect(decodeProbe(b)).toEqual({ flowId: 0xbeef, seq: 0xfffffffe, sendMs: 1234.5678 });
  expect(encodeProbe({ flowId: 1, seq: 1, sendMs: 0 }).byteLength).toBe(PROBE_HEADER_BYTES);
});

test('foreign and damaged datagrams are values, not exceptions', () => {
  expect(decodeProbe(new Uint8Array(10))).toBe('short');
  expect(decodeProbe(new Uint8Array(20))).toBe('magic');
  const b = encodeProbe({ flowId: 1, seq: 1, sendMs: 1 });
  b[6] = 9;
  expect(decodeProbe(b)).toBe('version');
});

test('reply matching needs a known flow, a sent seq and the recorded send time', () => {
  const flows = new Map([[7, { sent: 10, sendMsOf: (q: number) => q * 0.1 }]]);
  expect(matchReply({ flowId: 7, seq: 3, sendMs: 3 * 0.1 }, flows)).toBe('ok');
  expect(matchReply({ flowId: 8, seq: 3, sendMs: 0.3 }, flows)).toBe('unknown-flow');
  expect(matchReply({ flowId: 7, seq: 10, sendMs: 1 }, flows)).toBe('unsent-seq');
  expect(matchReply({ flowId: 7, seq: 3, sendMs: 9 }, flows)).toBe('time-mismatch');
});

test('collector rebuilds samples with duplicates and arrival order from NDJSON records', () => {
  const col = createCollector('test-clock');
  const lines = [
    encodeRecord({
      t: 'hello',
      v: 1,
      baseMonoMs: 1000,
      baseWallMs: 0,
      flows: [{ id: 1, name: 'a', planned: 4, ratePps: 1000 }],
    }),
    encodeRecord({ t: 'tx', f: 1, from: 0, tx: [0, 1] }),
    encodeRecord({ t: 'rx', f: 1, seq: [1, 0, 1], rx: [1.5, 1.6, 1.7] }),
    encodeRecord({ t: 'tx', f: 1, from: 2, tx: [2, 3] }),
    encodeRecord({
      t: 'end',
      reason: 'complete',
      sent: { 1: 4 },
      sendErrors: { 1: 0 },
      invalid: 0,
      endMonoMs: 0,
      endWallMs: 0,
      cpuUserMs: 0,
      cpuSystemMs: 0,
    }),
  ];
  for (const l of lines) {
    const r = decodeRecord(l.trim());
    if ('error' in r) throw new Error(r.error);
    col.push(r);
  }
  const res = col.result();
  expect(res.problems).toEqual([]);
  const f = res.flows[0];
  expect(f?.end).toEqual({ reason: 'complete', sent: 4 });
  expect(f?.samples.map((s) => [s.seq, s.txMs, s.rxMs, s.dupCount, s.arrival])).toEqual([
    [0, 1000, 1001.6, 0, 1],
    [1, 1001, 1001.5, 1, 0],
    [2, 1002, undefined, 0, undefined],
    [3, 1003, undefined, 0, undefined],
  ]);
  expect(decodeRecord('nope')).toHaveProperty('error');
});

test('a run without an end record or with a failure has no usable end', () => {
  const col = createCollector('c');
  col.push({ t: 'hello', v: 1, baseMonoMs: 0, baseWallMs: 0, flows: [{ id: 1, name: 'a', planned: 1, ratePps: 1 }] });
  expect(col.result().flows[0]?.end).toBeUndefined();
  expect(col.result('crashed').flows[0]?.end).toEqual({ reason: 'error', detail: 'crashed', sent: 0 });
});
