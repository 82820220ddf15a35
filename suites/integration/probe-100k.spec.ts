import { expect, test } from '@playwright/test';
import { loadavg } from 'node:os';
import {
  createNetnsPair,
  destroyNetnsPair,
  flowResults,
  runUdpProbe,
  startReflectorAt,
  type NetnsPair,
} from './probe-support.js';

/**
 * The native probe (lab-assets/udpprobe.c) at 100 kpps for 10 s across an idle namespace pair, against
 * the native reflector (udprefl): zero loss, every echo stamped by the kernel, nothing invalid. The CPU
 * it took is printed (bench/probe-capacity.ts compares it with the TypeScript probe); no timing is
 * asserted.
 */
const RATE_PPS = 100_000;
const DURATION_MS = 10_000;
/** Probe and reflector at raised priority (SCHED_FIFO where allowed), as the other probe specs run them. */
const NICE = -10;
test.setTimeout(DURATION_MS + 60_000);

let pair: NetnsPair | undefined;
test.beforeAll(async () => {
  pair = await createNetnsPair(`k${process.pid % 100000}`);
});
test.afterAll(async () => {
  if (pair !== undefined) await destroyNetnsPair(pair);
});

test(`native probe: ${RATE_PPS / 1000} kpps for ${DURATION_MS / 1000} s across a namespace pair with zero loss`, async () => {
  const p = pair as NetnsPair;
  const refl = await startReflectorAt(
    { kind: 'netns', netns: p.reflector, nice: NICE },
    { host: '::', udpPort: 7, lifetimeMs: DURATION_MS + 30_000, reflector: 'native' },
  );
  const cfg = {
    flows: [{ id: 1, name: 'netns-100k', target: p.reflectorV4, port: 7, ratePps: RATE_PPS, durationMs: DURATION_MS }],
    drainMs: 500,
  };
  const load = loadavg()[0] ?? NaN;
  let res: Awaited<ReturnType<typeof runUdpProbe>>;
  try {
    res = await runUdpProbe({ kind: 'netns', netns: p.client, nice: NICE, sender: 'native' }, cfg);
  } finally {
    const rep = await refl.stop();
    console.log(`reflector ${refl.kind}: echoed ${rep?.udpEchoed}, CPU ${((rep?.cpuUserMs ?? NaN) + (rep?.cpuSystemMs ?? NaN)).toFixed(0)} ms`);
  }
  expect(res.failure, res.stderr).toBeUndefined();
  expect(res.problems).toEqual([]);
  const [r] = flowResults(cfg, res);
  if (r === undefined) throw new Error('no flow result');
  const cpuMs = (res.end?.cpuUserMs ?? NaN) + (res.end?.cpuSystemMs ?? NaN);
  console.log(
    `${res.sender}\nsent ${r.counts.sent}, lost ${r.counts.lost}, dup ${r.counts.duplicates}, reordered ${r.counts.reordered}, ` +
      `achieved ${r.achievedRatePps.toFixed(0)} pps, rtt min/median/p99/max ${r.rtt?.minMs.toFixed(3)}/${r.rtt?.medianMs.toFixed(3)}/` +
      `${r.rtt?.p99Ms.toFixed(3)}/${r.rtt?.maxMs.toFixed(3)} ms; probe CPU ${cpuMs.toFixed(0)} ms (sender ${res.end?.cpuSenderMs?.toFixed(0)}, ` +
      `receiver ${res.end?.cpuReceiverMs?.toFixed(0)}) = ${(cpuMs / (DURATION_MS / 1000) / (RATE_PPS / 1000)).toFixed(2)} ms/s per kpps; ` +
      `load ${load.toFixed(2)}; health ${r.health.status} ${r.health.reasons.map((x) => x.detail).join('; ')}`,
  );
  expect(res.sender).toMatch(/^native udpprobe/);
  expect(refl.kind).toMatch(/^native udprefl/);
  expect(res.end).toMatchObject({ reason: 'complete', sent: { 1: RATE_PPS * (DURATION_MS / 1000) }, sendErrors: { 1: 0 }, invalid: 0 });
  expect(res.end?.rxStampFallbacks, 'every echo stamped by the kernel').toBe(0);
  expect(r.counts.lost, 'false loss on an idle path').toBe(0);
  expect(r.counts.duplicates).toBe(0);
});
