import { expect, test } from '@playwright/test';
import { summarizeFlow } from '../../measure/summarize.js';
import { decodeProbe } from './wire.js';
import { nativeProbeArgs, nativeProbeAvailable, nativeProbeBinary } from './native.js';
import { startReflector } from './reflector.js';
import { runUdpProbe, startUdpProbe, udpProbeLaunch, type ProbeSender } from './run.js';
import type { AgentConfig } from './agent.js';

test.describe.configure({ mode: 'serial' });

const built = (): void => {
  // Not a skip: the native probe is the default sender, and scripts/setup builds it.
  expect(nativeProbeAvailable(), `${nativeProbeBinary()} is missing: run scripts/build-lab-assets`).toBe(true);
};

test('argv: one --flow per flow with the agent schedule; the name goes last and may hold commas', () => {
  const args = nativeProbeArgs({
    flows: [
      { id: 3, name: 'a,b "c"', target: '198.18.0.2', port: 7, ratePps: 1000, durationMs: 2000 },
      { id: 4, name: 'v6', target: '2001:2::2', port: 7, ratePps: 1000, count: 10, durationMs: 2000, payloadBytes: 64 },
    ],
    drainMs: 250,
  }, { nice: -5 });
  expect(args).toEqual([
    '--flow', '3,1000,2000,0,2000,20,7,198.18.0.2,a,b "c"',
    '--flow', '4,1000,10,0.5,2000,64,7,2001:2::2,v6',
    '--drain', '250', '--batch', '200', '--quantum', '0.05', '--rt', '30', '--nice', '-5',
  ]);
  expect(() => nativeProbeArgs({ flows: [{ id: 1, name: 'x', target: 'a,b', port: 7, ratePps: 1, durationMs: 1 }] }))
    .toThrow(/not an IP literal/);
  expect(() => nativeProbeArgs({ flows: [{ id: 1, name: 'x', target: '::1', port: 7, ratePps: 0, durationMs: 1 }] }))
    .toThrow(/ratePps/);
});

test('launch: native where built, the agent otherwise, and the choice is named', () => {
  const cfg: AgentConfig = { flows: [{ id: 1, name: 'x', target: '198.18.0.2', port: 7, ratePps: 10, durationMs: 10 }] };
  const missing = udpProbeLaunch({ kind: 'netns', netns: 'n1' }, cfg, '/nonexistent/udpprobe');
  expect(missing.sender).toMatch(/node agent .*not built at \/nonexistent\/udpprobe: run scripts\/build-lab-assets/);
  expect(missing.argv.slice(0, 4)).toEqual(['ip', 'netns', 'exec', 'n1']);
  built();
  const native = udpProbeLaunch({ kind: 'netns', netns: 'n1', nice: -10 }, cfg);
  expect(native.argv.slice(0, 5)).toEqual(['ip', 'netns', 'exec', 'n1', nativeProbeBinary()]);
  expect(native.argv).toContain('--nice');
  expect(udpProbeLaunch({ kind: 'local', sender: 'node' }, cfg).sender).toMatch(/chosen by the caller/);
});

for (const sender of ['native', 'node'] as ProbeSender[]) {
  test(`${sender} sender on loopback: the same records, no loss, replies after their sends`, async () => {
    if (sender === 'native') built();
    const refl = await startReflector({ host: '::', udpPort: 0, lifetimeMs: 30_000 });
    try {
      const name = 'quote " back\\slash\nnewline';
      const res = await runUdpProbe({ kind: 'local', sender }, {
        flows: [
          { id: 1, name, target: '127.0.0.1', port: refl.udpPort, ratePps: 2000, durationMs: 1500, payloadBytes: 100 },
          { id: 2, name: 'v6', target: '::1', port: refl.udpPort, ratePps: 500, durationMs: 1500 },
        ],
        drainMs: 200,
      });
      console.log(`${sender}: ${res.sender}; cpu ${(res.end?.cpuUserMs ?? 0) + (res.end?.cpuSystemMs ?? 0)} ms`);
      expect(res.failure).toBeUndefined();
      expect(res.problems).toEqual([]);
      expect(res.sender).toMatch(sender === 'native' ? /^native udpprobe: sender SCHED_/ : /^node agent/);
      expect(res.hello?.flows.map((f) => f.name)).toEqual([name, 'v6']);
      expect(res.end).toMatchObject({ reason: 'complete', sent: { 1: 3000, 2: 750 }, invalid: 0 });
      if (sender === 'native') expect(res.end?.rxStampFallbacks).toBe(0);
      for (const f of res.flows) {
        const r = summarizeFlow({ spec: f.spec, samples: f.samples, end: f.end });
        expect(r.counts.lost, f.spec.name).toBe(0);
        expect(r.counts.duplicates).toBe(0);
        for (const s of f.samples) expect(s.rxMs as number).toBeGreaterThan(s.txMs);
        const backwards = f.samples.filter((s, i) => i > 0 && s.txMs < (f.samples[i - 1]?.txMs ?? 0));
        expect(backwards, 'send stamps in sequence order').toEqual([]);
      }
      expect(refl.stats.udpEchoed).toBe(3750);
    } finally {
      await refl.close();
    }
  });
}

test('native: stop() ends the run early as aborted, with what was sent reported', async () => {
  built();
  const refl = await startReflector({ host: '127.0.0.1', udpPort: 0, lifetimeMs: 30_000 });
  try {
    const h = startUdpProbe({ kind: 'local' }, {
      flows: [{ id: 9, name: 'long', target: '127.0.0.1', port: refl.udpPort, ratePps: 1000, durationMs: 20_000 }],
    });
    await h.started;
    await new Promise((r) => setTimeout(r, 300));
    h.stop();
    const res = await h.done;
    expect(res.end?.reason).toBe('aborted');
    const sent = res.end?.sent['9'] ?? 0;
    expect(sent).toBeGreaterThan(100);
    expect(sent).toBeLessThan(5000);
    expect(res.flows[0]?.samples).toHaveLength(sent);
  } finally {
    await refl.close();
  }
});

test('native: a stopped run still drains the replies in flight (100 ms), so its end is not read as loss', async () => {
  built();
  const { createSocket } = await import('node:dgram');
  // An echo 30 ms late: at 500 pps about 15 replies are in flight when the probe is stopped.
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  sock.on('message', (msg, from) => void setTimeout(() => sock.send(msg, from.port, from.address), 30));
  try {
    const h = startUdpProbe({ kind: 'local' }, {
      flows: [{ id: 1, name: 'late', target: '127.0.0.1', port: sock.address().port, ratePps: 500, durationMs: 20_000 }],
    });
    await h.started;
    await new Promise((r) => setTimeout(r, 400));
    h.stop();
    const res = await h.done;
    expect(res.end?.reason).toBe('aborted');
    const unanswered = res.flows[0]?.samples.filter((x) => x.rxMs === undefined) ?? [];
    expect(unanswered.map((x) => x.seq), 'replies lost at the end of a stopped run').toEqual([]);
  } finally {
    sock.close();
  }
});

test('native: echoes that are not replies to its own packets are counted invalid, not taken', async () => {
  built();
  const { createSocket } = await import('node:dgram');
  // A "reflector" that answers each probe with a forged send time and a foreign datagram.
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  sock.on('message', (msg, from) => {
    const h = decodeProbe(msg);
    if (typeof h === 'string') return;
    const forged = Buffer.from(msg);
    forged.writeDoubleBE(h.sendMs + 1, 12);
    sock.send(forged, from.port, from.address);
    sock.send(Buffer.from('not a probe'), from.port, from.address);
  });
  try {
    const res = await runUdpProbe({ kind: 'local' }, {
      flows: [{ id: 1, name: 'f', target: '127.0.0.1', port: sock.address().port, ratePps: 200, durationMs: 500 }],
      drainMs: 200,
    });
    expect(res.end?.sent['1']).toBe(100);
    expect(res.end?.invalid).toBe(200);
    expect(res.flows[0]?.samples.every((s) => s.rxMs === undefined)).toBe(true);
  } finally {
    sock.close();
  }
});

test('native: a bad argument is refused with the reason, before any packet', async () => {
  built();
  const res = await runUdpProbe({ kind: 'local' }, {
    flows: [{ id: 1, name: 'x', target: 'not-an-address', port: 7, ratePps: 10, durationMs: 100 }],
  });
  expect(res.failure).toMatch(/exited 2: udpprobe: flow x: target not-an-address is not an IP literal/);
});
