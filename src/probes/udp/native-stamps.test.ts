import { expect, test } from '@playwright/test';
import { createSocket } from 'node:dgram';
import { spawnLocal } from './spawn.js';
import { nativeProbeArgs, nativeProbeAvailable, nativeProbeBinary } from './native.js';
import { decodeRecord, type EndRecord, type HelloRecord } from './records.js';
import { runUdpProbe } from './run.js';
import type { AgentConfig } from './agent.js';

/**
 * The native probe's stamps: how they are written (0.1 µs grid, the records' rounding) and where the
 * arrival stamps come from (the kernel, per echo, not the receive thread's tick).
 */
test.describe.configure({ mode: 'serial' });

const built = (): void => {
  expect(nativeProbeAvailable(), `${nativeProbeBinary()} is missing: run scripts/build-lab-assets`).toBe(true);
};

const onGrid = (ms: number): boolean => Math.abs(ms * 1e4 - Math.round(ms * 1e4)) < 1e-6;

test('arrival stamps are the kernel\'s, one per echo: 25 echoes drained together keep 25 distinct, ordered stamps', async () => {
  built();
  // An echo held 20 ms: the receive thread drains once per 50 ms tick, so each drain takes ~25 echoes
  // at 500 pps. Stamps taken at the drain would repeat within a drain; kernel stamps do not.
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  sock.on('message', (msg, from) => void setTimeout(() => sock.send(msg, from.port, from.address), 20));
  try {
    const raw: number[] = [];
    const res = await runUdpProbe({ kind: 'local' }, {
      flows: [{ id: 1, name: 'held', target: '127.0.0.1', port: sock.address().port, ratePps: 500, durationMs: 1000 }],
      drainMs: 300,
    }, { onRecord: (r) => { if (r.t === 'tx') raw.push(...r.tx); if (r.t === 'rx') raw.push(...r.rx); } });
    expect(res.failure, res.stderr).toBeUndefined();
    expect(res.sender).toMatch(/recvmmsg per 50\.0 ms/);
    expect(res.end?.rxStampFallbacks).toBe(0);
    const samples = res.flows[0]?.samples ?? [];
    const rx = samples.map((s) => s.rxMs).filter((x): x is number => x !== undefined);
    expect(rx).toHaveLength(500);
    expect(new Set(rx).size, 'one stamp per echo').toBe(rx.length);
    expect(rx.every((x, i) => i === 0 || x > (rx[i - 1] as number)), 'arrival stamps in echo order').toBe(true);
    for (const s of samples) expect(s.rxMs as number).toBeGreaterThan(s.txMs);
    expect(raw).toHaveLength(1000);
    expect(raw.filter((x) => !onGrid(x)), 'stamps as written: on the 0.1 µs grid').toEqual([]);
  } finally {
    sock.close();
  }
});

test('--pace-only: the same schedule and records, nothing on the wire; the end record splits the CPU by thread', async () => {
  built();
  const sock = createSocket('udp4');
  let received = 0;
  sock.on('message', () => { received++; });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const cfg: AgentConfig = {
    flows: [{ id: 4, name: 'dry', target: '127.0.0.1', port: sock.address().port, ratePps: 2000, durationMs: 500 }],
    drainMs: 100,
  };
  const args = nativeProbeArgs(cfg, { paceOnly: true });
  expect(args.slice(-2)).toEqual(['--pace-only', '1']);
  const proc = spawnLocal([nativeProbeBinary(), ...args], {});
  let hello: HelloRecord | undefined;
  let end: EndRecord | undefined;
  const tx: number[] = [];
  try {
    for await (const line of proc.lines) {
      const r = decodeRecord(line);
      if ('error' in r) throw new Error(r.error);
      if (r.t === 'hello') hello = r;
      if (r.t === 'tx') tx.push(...r.tx);
      if (r.t === 'end') end = r;
    }
    expect((await proc.exit).code).toBe(0);
  } finally {
    sock.close();
  }
  expect(hello?.sender).toMatch(/PACE ONLY \(nothing sent\)/);
  expect(received, 'datagrams on the wire').toBe(0);
  expect(end?.sent['4']).toBe(1000);
  expect(tx).toHaveLength(1000);
  expect(tx.every(onGrid)).toBe(true);
  const total = (end?.cpuUserMs ?? 0) + (end?.cpuSystemMs ?? 0);
  expect(end?.cpuSenderMs).toBeGreaterThan(0);
  expect(end?.cpuReceiverMs).toBeGreaterThanOrEqual(0);
  // Thread clocks and getrusage tick apart; the split may exceed the total by rounding only.
  expect((end?.cpuSenderMs ?? 0) + (end?.cpuReceiverMs ?? 0)).toBeLessThanOrEqual(total + 5);
});

test('framing: an echo longer than the probe\'s receive slot (payload + 64 bytes) is invalid, not a reply', async () => {
  built();
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  // Each probe comes back twice: padded by 100 bytes (truncated on receipt: invalid), then unchanged.
  sock.on('message', (msg, from) => {
    sock.send(Buffer.concat([msg, Buffer.alloc(100)]), from.port, from.address);
    sock.send(msg, from.port, from.address);
  });
  try {
    const res = await runUdpProbe({ kind: 'local' }, {
      flows: [{ id: 2, name: 'pad', target: '127.0.0.1', port: sock.address().port, ratePps: 200, durationMs: 500, payloadBytes: 40 }],
      drainMs: 200,
    });
    expect(res.failure, res.stderr).toBeUndefined();
    expect(res.end?.sent['2']).toBe(100);
    expect(res.end?.invalid).toBe(100);
    const samples = res.flows[0]?.samples ?? [];
    expect(samples.filter((s) => s.rxMs === undefined)).toEqual([]);
  } finally {
    sock.close();
  }
});
