import { expect, test } from '@playwright/test';
import { createServer, type Socket } from 'node:net';
import { startReflector } from '../udp/reflector.js';
import { createFrameDecoder, encodeFrame } from './frame.js';
import { runTcpSession } from './session.js';

test('frame decoder re-frames arbitrary TCP chunking and latches on corruption', () => {
  const bytes = new Uint8Array([...encodeFrame({ seq: 1, sendMs: 1.5 }), ...encodeFrame({ seq: 2, sendMs: 2.5 })]);
  const d = createFrameDecoder();
  expect(d.push(bytes.slice(0, 5))).toEqual([]);
  expect(d.push(bytes.slice(5, 20))).toEqual([{ seq: 1, sendMs: 1.5 }]);
  expect(d.push(bytes.slice(20))).toEqual([{ seq: 2, sendMs: 2.5 }]);
  expect(d.corrupt).toBe(false);
  d.push(new Uint8Array(16).fill(7));
  expect(d.corrupt).toBe(true);
});

test('session over the reflector TCP echo survives an idle path', async () => {
  const refl = await startReflector({ host: '127.0.0.1', udpPort: 0, tcpPort: 0, lifetimeMs: 10_000 });
  try {
    const r = await runTcpSession({ host: '127.0.0.1', port: refl.tcpPort as number, durationMs: 600, intervalMs: 10 });
    expect(r.everConnected).toBe(true);
    expect(r.sent).toBeGreaterThan(10);
    expect(r.echoed).toBe(r.sent);
    expect(r.survived).toBe(true);
    expect(r.resets + r.reconnects).toBe(0);
  } finally {
    await refl.close();
  }
});

test('a reset and a stall are reported: not survived, reconnect counted, longest stall measured', async () => {
  let conns = 0;
  const socks = new Set<Socket>();
  // Echo server that holds echoes back for 150 ms on the first connection, then resets it.
  const srv = createServer((c) => {
    socks.add(c);
    const first = ++conns === 1;
    let held: Buffer[] = [];
    let holding = false;
    c.on('data', (d) => {
      if (holding) held.push(d);
      else c.write(d);
    });
    c.on('error', () => undefined);
    if (first) {
      setTimeout(() => { holding = true; }, 100);
      setTimeout(() => { holding = false; for (const b of held) c.write(b); held = []; }, 250);
      setTimeout(() => c.resetAndDestroy(), 350);
    }
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  try {
    const r = await runTcpSession({ host: '127.0.0.1', port, durationMs: 800, intervalMs: 10 });
    expect(r.survived).toBe(false);
    expect(r.resets).toBeGreaterThanOrEqual(1);
    expect(r.reconnects).toBeGreaterThanOrEqual(1);
    expect(r.longestStallMs).toBeGreaterThan(120);
    expect(r.longestStallMs).toBeLessThan(1000);
  } finally {
    for (const s of socks) s.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('nothing listening: never connected, not survived', async () => {
  const refl = await startReflector({ host: '127.0.0.1', udpPort: 0, tcpPort: 0, lifetimeMs: 1000 });
  const port = refl.tcpPort as number;
  await refl.close();
  const r = await runTcpSession({ host: '127.0.0.1', port, durationMs: 300, reconnect: false });
  expect(r.everConnected).toBe(false);
  expect(r.survived).toBe(false);
  expect(r.sent).toBe(0);
});
