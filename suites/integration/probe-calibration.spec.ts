import { expect, test } from '@playwright/test';
import { readFile, writeFile } from 'node:fs/promises';
import {
  buildInjector,
  createNetnsPair,
  destroyNetnsPair,
  errorRatio,
  netnsRunner,
  runCalibration,
  spawnLocal,
  startReflectorAt,
  type CalibrationPath,
  type CalibrationRow,
  type NetnsPair,
} from './probe-support.js';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Calibration: outages of known length D are injected on the path (an nftables drop rule in the
 * reflector's namespace, switched in-process by lab-assets/nftinject.c, each edge bracketed by
 * CLOCK_MONOTONIC stamps taken right around the ruleset change) while a vmmi probe and
 * `ping -i 0.01` measure them side by side. The reference length is the difference of the bracket
 * midpoints; its uncertainty (half the summed bracket widths) is printed per row. The path is a
 * parameter: the lab's client path plugs in through CalibrationPath (probe placement, ping runner,
 * target, injector).
 */
const OUTAGES_MS = [20, 100, 500];
/**
 * The same lengths plus half of ping's 10 ms interval. For D a multiple of ping's interval the number
 * of lost pings is D/I whatever the phase, so ping's gap − I is exact whenever its pacing holds and
 * the error ratio only measures pacing luck; at D = kI + I/2 ping loses k or k+1 pings depending on
 * the phase and reads D ± I/2: the resolution difference the ratio is meant to show. Both sets are
 * held to the same strict bound for vmmi; the ratio is printed for each set and for all rows.
 */
const OFF_GRID_MS = OUTAGES_MS.map((d) => d + 5);
const ALL_MS = [...OUTAGES_MS, ...OFF_GRID_MS];
const RATES_PPS = [1000, 10_000];

/**
 * Probe, reflector and this controller run at raised priority so the probe's pacing does not absorb
 * host load (the machine is shared); the injector runs SCHED_FIFO so its stamps stay next to the commit.
 */
const NICE = -10;
const INJECTOR_FIFO = 10;
test.setTimeout(120_000);
let ownAutogroupNice: string | undefined;
const AUTOGROUP = '/proc/self/autogroup';

let pair: NetnsPair | undefined;
let injectorBin: string | undefined;
let stopReflector: (() => Promise<unknown>) | undefined;
const all: CalibrationRow[] = [];

test.beforeAll(async () => {
  // This controller stamps the injected outage: raise its session's autogroup for the run, restore after.
  // Best effort: a process in the root autogroup (autogroup disabled, or no session of its own, as
  // under some CI runners) gets EINVAL; the run then goes on at the inherited priority.
  const before = /nice (-?\d+)/.exec(await readFile(AUTOGROUP, 'utf8').catch(() => ''))?.[1];
  try {
    await writeFile(AUTOGROUP, String(NICE));
    ownAutogroupNice = before;
  } catch (e) {
    console.log(
      `controller autogroup nice not raised (${e instanceof Error ? e.message : String(e)}); running at the inherited priority`,
    );
  }
  injectorBin = await buildInjector();
  pair = await createNetnsPair(`c${process.pid % 100000}`);
  const refl = await startReflectorAt(
    { kind: 'netns', netns: pair.reflector, nice: NICE },
    { host: '::', udpPort: 7, lifetimeMs: 110_000 },
  );
  stopReflector = () => refl.stop();
});
test.afterAll(async () => {
  await stopReflector?.();
  if (pair !== undefined) await destroyNetnsPair(pair);
  if (injectorBin !== undefined) await rm(dirname(injectorBin), { recursive: true, force: true });
  if (ownAutogroupNice !== undefined) await writeFile(AUTOGROUP, ownAutogroupNice).catch(() => undefined);
  if (all.length > 0) {
    const off = all.filter((r) => !OUTAGES_MS.includes(r.outage.requestedMs));
    console.log(
      `error ratio ping/vmmi over all rows: ${errorRatio(all)?.toFixed(1)}× (target ≥ 10×; off ping's grid ${errorRatio(off)?.toFixed(1)}×)`,
    );
  }
});

function pathOf(p: NetnsPair): CalibrationPath {
  return {
    probeAt: { kind: 'netns', netns: p.client, nice: NICE },
    pingRunner: netnsRunner(p.client),
    target: p.reflectorV4,
    port: 7,
    injector: {
      spawner: spawnLocal,
      argvPrefix: ['ip', 'netns', 'exec', p.reflector],
      binary: injectorBin,
      fifoPriority: INJECTOR_FIFO,
      table: 'vmmiprb_cal',
      hook: 'input',
      matches: [`ip saddr ${p.clientV4}`],
    },
  };
}

for (const rate of RATES_PPS) {
  test(`injected outages ${ALL_MS.join('/')} ms measured within 1/R + 0.5 ms at ${rate} pps, ping side by side`, async () => {
    // A sender pause on this shared 2-core host can land on an outage edge; the gap then holds it and
    // the row cannot meet the tolerance whatever the network did. Such a row (an edge's send interval
    // wider than the tolerance) is measured once more, and both attempts are printed; a miss with
    // steady edges is not retried.
    const inBounds = (r: CalibrationRow): boolean =>
      r.vmmiGaps === 1 && r.vmmiMs !== undefined && r.vmmiMs >= r.lowMs && r.vmmiMs <= r.highMs;
    const pausedOnEdge = (r: CalibrationRow): boolean => (r.vmmiEdgeTxMs ?? [0, 0]).some((w) => w > r.toleranceMs);
    let run = await runCalibration(pathOf(pair as NetnsPair), { ratePps: rate, outagesMs: ALL_MS });
    const missed = run.rows.filter((r) => !inBounds(r));
    if (missed.length > 0 && missed.every(pausedOnEdge)) {
      console.log(
        `R=${rate} pps attempt 1: ${missed
          .map(
            (r) =>
              `D=${r.outage.requestedMs} ms read ${r.vmmiMs?.toFixed(2)} ms with edge send intervals ` +
              `${r.vmmiEdgeTxMs?.map((w) => w.toFixed(2)).join('/')} ms`,
          )
          .join('; ')} (sender paused on an edge): measuring again`,
      );
      run = await runCalibration(pathOf(pair as NetnsPair), { ratePps: rate, outagesMs: ALL_MS });
    }
    all.push(...run.rows);
    const f = (x: number | undefined, d = 2): string => (x === undefined ? '-' : x.toFixed(d));
    const cc = run.injector.clockCheck;
    console.log(
      `R=${rate} pps  injector clock ${f(cc.injectorMs - cc.sentMs, 3)} ms after the controller's send, ${f(cc.receivedMs - cc.injectorMs, 3)} ms before its receive (same CLOCK_MONOTONIC)`,
    );
    console.log(
      `R=${rate} pps  D_req  injected ±ref  vmmi downtime_tx  err   edges_tx | ping gap−10ms  err   (probe CPU ${f(run.probeCpuMs, 0)} ms, health ${run.probe.health.status})`,
    );
    for (const r of run.rows) {
      console.log(
        `          ${String(r.outage.requestedMs).padStart(5)}  ${f(r.outage.injectedMs, 3).padStart(8)} ±${f(r.outage.uncertaintyMs, 3)}  ` +
          `${f(r.vmmiMs).padStart(14)}  ${f(r.vmmiErrMs).padStart(6)} ${(r.vmmiEdgeTxMs ?? [])
            .map((w) => f(w))
            .join('/')
            .padStart(9)} ` +
          `| ` +
          `${f(r.pingMs).padStart(12)}  ${f(r.pingErrMs).padStart(6)}  ` +
          `strict(±${f(r.toleranceMs)}) ${r.strictOk ? 'ok' : 'MISS'}`,
      );
    }
    const onGrid = run.rows.filter((r) => OUTAGES_MS.includes(r.outage.requestedMs));
    const offGrid = run.rows.filter((r) => !OUTAGES_MS.includes(r.outage.requestedMs));
    console.log(
      `          error ratio ping/vmmi: ${errorRatio(run.rows)?.toFixed(1)}× over all rows; ${errorRatio(onGrid)?.toFixed(1)}× at D on ping's grid, ` +
        `${errorRatio(offGrid)?.toFixed(1)}× off it; ` +
        `health reasons: ${run.probe.health.reasons.map((x) => x.detail).join('; ') || 'none'}`,
    );
    expect(run.injector.exit, 'the injector deleted its table on exit').toEqual({ reason: 'quit', cleaned: true });
    expect(run.probe.health.status, run.probe.health.reasons.map((x) => x.detail).join('; ')).not.toBe('errored');
    expect(run.probe.episodes).toHaveLength(ALL_MS.length);
    for (const r of run.rows) {
      expect(r.vmmiGaps, `one gap per injected outage (D=${r.outage.requestedMs})`).toBe(1);
      // Strict criterion (|err| ≤ 1/R + 0.5 ms against the reference length) is printed per row; the
      // assertion also admits the reference's own uncertainty (the injector's edge brackets).
      expect(r.vmmiMs, `measured downtime for D=${r.outage.requestedMs} ms`).toBeGreaterThanOrEqual(r.lowMs);
      expect(r.vmmiMs, `measured downtime for D=${r.outage.requestedMs} ms`).toBeLessThanOrEqual(r.highMs);
    }
  });
}
