import { expect, test } from '@playwright/test';
import { readFile, writeFile } from 'node:fs/promises';
import {
  createNetnsPair, destroyNetnsPair, errorRatio, netnsRunner, runCalibration, spawnLocal, startReflectorAt,
  type CalibrationPath, type CalibrationRow, type NetnsPair,
} from './probe-support.js';

/**
 * Calibration: outages of known length D are injected on the path (an nftables drop rule in the
 * reflector's namespace, added and removed by the controller through one `nft -i`, stamped on the
 * controller's monotonic clock) while a vmmi probe and `ping -i 0.01` measure them side by side.
 * The injected length is the interval between the confirmed add and the confirmed delete; the rows
 * print the per-edge confirmation latency as its uncertainty. The path is a parameter: the lab's
 * client path plugs in through CalibrationPath (probe placement, ping runner, target, injector).
 */
const OUTAGES_MS = [20, 100, 500];
const RATES_PPS = [1000, 10_000];

/**
 * Probe, reflector, nft and this controller run at raised priority: the stamps of the injected
 * outage and the probe's pacing must not absorb host load (the machine is shared).
 */
const NICE = -10;
test.setTimeout(120_000);
let ownAutogroupNice: string | undefined;
const AUTOGROUP = '/proc/self/autogroup';

let pair: NetnsPair | undefined;
let stopReflector: (() => Promise<unknown>) | undefined;
const all: CalibrationRow[] = [];

test.beforeAll(async () => {
  // This controller stamps the injected outage: raise its session's autogroup for the run, restore after.
  ownAutogroupNice = /nice (-?\d+)/.exec(await readFile(AUTOGROUP, 'utf8'))?.[1];
  await writeFile(AUTOGROUP, String(NICE));
  pair = await createNetnsPair(`c${process.pid % 100000}`);
  const refl = await startReflectorAt({ kind: 'netns', netns: pair.reflector, nice: NICE }, { host: '::', udpPort: 7, lifetimeMs: 110_000 });
  stopReflector = () => refl.stop();
});
test.afterAll(async () => {
  await stopReflector?.();
  if (pair !== undefined) await destroyNetnsPair(pair);
  if (ownAutogroupNice !== undefined) await writeFile(AUTOGROUP, ownAutogroupNice);
  if (all.length > 0) console.log(`error ratio ping/vmmi over all rows: ${errorRatio(all)?.toFixed(1)}× (target ≥ 10×)`);
});

function pathOf(p: NetnsPair): CalibrationPath {
  return {
    probeAt: { kind: 'netns', netns: p.client, nice: NICE },
    pingRunner: netnsRunner(p.client),
    target: p.reflectorV4,
    port: 7,
    injector: { spawner: spawnLocal, argvPrefix: ['ip', 'netns', 'exec', p.reflector, 'setsid', 'nice', '-n', String(NICE)], table: 'vmmiprb_cal', hook: 'input', matches: [`ip saddr ${p.clientV4}`] },
  };
}

for (const rate of RATES_PPS) {
  test(`injected outages ${OUTAGES_MS.join('/')} ms measured within 1/R + 0.5 ms at ${rate} pps, ping side by side`, async () => {
    // A sender stall on this shared 2-core host (flagged by the probe's health as "sender paused") can
    // land inside an outage edge: then the calibration is measured once more, and both attempts are printed.
    const inBounds = (x: Awaited<ReturnType<typeof runCalibration>>): boolean =>
      x.rows.every((r) => r.vmmiGaps === 1 && r.vmmiMs !== undefined && r.vmmiMs >= r.lowMs && r.vmmiMs <= r.highMs);
    let run = await runCalibration(pathOf(pair as NetnsPair), { ratePps: rate, outagesMs: OUTAGES_MS });
    if (!inBounds(run) && run.probe.health.reasons.some((x) => x.rule === 'sender-stall')) {
      console.log(`R=${rate} pps attempt 1 out of bounds with a sender stall (${run.probe.health.reasons.map((x) => x.detail).join('; ')}): measuring again`);
      run = await runCalibration(pathOf(pair as NetnsPair), { ratePps: rate, outagesMs: OUTAGES_MS });
    }
    all.push(...run.rows);
    const f = (x: number | undefined, d = 2): string => (x === undefined ? '-' : x.toFixed(d));
    console.log(`R=${rate} pps  D_req  injected ±edge   vmmi gap_tx−1/R  err   | ping gap−10ms  err   (probe CPU ${f(run.probeCpuMs, 0)} ms, health ${run.probe.health.status})`);
    for (const r of run.rows) {
      console.log(`          ${String(r.outage.requestedMs).padStart(5)}  ${f(r.outage.injectedMs).padStart(8)} ±${f(r.outage.edgeUncertaintyMs)}  ` +
        `${f(r.vmmiMs).padStart(14)}  ${f(r.vmmiErrMs).padStart(6)} | ${f(r.pingMs).padStart(12)}  ${f(r.pingErrMs).padStart(6)}  ` +
        `strict(±${f(r.toleranceMs)}) ${r.strictOk ? 'ok' : 'MISS'}`);
    }
    console.log(`          error ratio ping/vmmi: ${errorRatio(run.rows)?.toFixed(1)}×; health reasons: ${run.probe.health.reasons.map((x) => x.detail).join('; ') || 'none'}`);
    expect(run.probe.health.status, run.probe.health.reasons.map((x) => x.detail).join('; ')).not.toBe('errored');
    expect(run.probe.episodes).toHaveLength(OUTAGES_MS.length);
    for (const r of run.rows) {
      expect(r.vmmiGaps, `one gap per injected outage (D=${r.outage.requestedMs})`).toBe(1);
      // Strict criterion (|err| ≤ 1/R + 0.5 ms against the stamped length) is printed per row; the
      // assertion also admits the reference's own uncertainty (nft add/delete confirmation latency).
      expect(r.vmmiMs, `measured downtime for D=${r.outage.requestedMs} ms`).toBeGreaterThanOrEqual(r.lowMs);
      expect(r.vmmiMs, `measured downtime for D=${r.outage.requestedMs} ms`).toBeLessThanOrEqual(r.highMs);
    }
  });
}
