import { expect, test } from '@playwright/test';
import { createNetnsPair, destroyNetnsPair, flowResults, runUdpProbe, startReflectorAt, type NetnsPair } from './probe-support.js';

// 60 s per family in CI; 10 s locally (the suite budget is 4 minutes for all probe specs).
const DURATION_MS = process.env.CI === 'true' ? 60_000 : 10_000;
const RATE_PPS = 10_000;

test.describe.configure({ mode: 'serial' });
test.setTimeout(2 * DURATION_MS + 60_000);

let pair: NetnsPair | undefined;
test.beforeAll(async () => {
  pair = await createNetnsPair(`n${process.pid % 100000}`);
});
test.afterAll(async () => {
  if (pair !== undefined) await destroyNetnsPair(pair);
});

for (const family of ['ipv4', 'ipv6'] as const) {
  test(`${family}: 10 kpps for ${DURATION_MS / 1000} s across a namespace pair with zero false loss`, async () => {
    const p = pair as NetnsPair;
    const refl = await startReflectorAt({ kind: 'netns', netns: p.reflector }, { host: '::', udpPort: 7, lifetimeMs: DURATION_MS + 30_000 });
    try {
      const target = family === 'ipv4' ? p.reflectorV4 : p.reflectorV6;
      const cfg = { flows: [{ id: 1, name: `netns-${family}`, target, port: 7, ratePps: RATE_PPS, durationMs: DURATION_MS }], drainMs: 500 };
      const res = await runUdpProbe({ kind: 'netns', netns: p.client }, cfg);
      expect(res.failure, res.stderr).toBeUndefined();
      expect(res.problems).toEqual([]);
      const [r] = flowResults(cfg, res);
      if (r === undefined) throw new Error('no flow result');
      const cpuMs = (res.end?.cpuUserMs ?? NaN) + (res.end?.cpuSystemMs ?? NaN);
      console.log(`${family}: sent ${r.counts.sent}, lost ${r.counts.lost}, dup ${r.counts.duplicates}, reordered ${r.counts.reordered}, ` +
        `achieved ${r.achievedRatePps.toFixed(1)} pps, rtt min/median/p99/max ${r.rtt?.minMs.toFixed(3)}/${r.rtt?.medianMs.toFixed(3)}/` +
        `${r.rtt?.p99Ms.toFixed(3)}/${r.rtt?.maxMs.toFixed(3)} ms; probe CPU ${cpuMs.toFixed(0)} ms ` +
        `(user ${res.end?.cpuUserMs.toFixed(0)}, sys ${res.end?.cpuSystemMs.toFixed(0)}) = ` +
        `${(cpuMs / (DURATION_MS / 1000) / (RATE_PPS / 1000)).toFixed(1)} ms CPU per s per kpps; health ${r.health.status} ` +
        `${r.health.reasons.map((x) => x.detail).join('; ')}`);
      expect(r.counts.sent).toBe((RATE_PPS * DURATION_MS) / 1000);
      expect(r.counts.lost).toBe(0);
      expect(r.counts.duplicates).toBe(0);
      expect(r.health.status).not.toBe('errored');
    } finally {
      await refl.stop();
    }
  });
}
