import { expect, test } from '@playwright/test';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
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
  type CalibrationRun,
  type NetnsPair,
  type ProbeSender,
} from './probe-support.js';
import { dirname } from 'node:path';

/**
 * Calibration: outages of known length D are injected on the path (an nftables drop rule in the
 * reflector's namespace, switched in-process by lab-assets/nftinject.c, each edge bracketed by
 * CLOCK_MONOTONIC stamps taken right around the ruleset change) while a vmmi probe and
 * `ping -i 0.01` measure them side by side. The reference length is the difference of the bracket
 * midpoints; its uncertainty (half the summed bracket widths) is printed per row. The path is a
 * parameter: the lab's client path plugs in through CalibrationPath (probe placement, ping runner,
 * target, injector).
 *
 * Each rate runs the native probe (lab-assets/udpprobe.c, the default sender; asserted) and the
 * TypeScript agent (VMMI_PROBE_SENDER=node's sender; printed for comparison, not asserted) against the
 * native reflector, each beside its own ping; the last test prints the three side by side with ratios.
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
const RATES_PPS = [1000, 10_000, 100_000];
/** The strict criterion: |error| ≤ 1/R + 0.1 ms against the reference length. */
const STRICT_EXTRA_MS = 0.1;
const toleranceOf = (ratePps: number): number => 1000 / ratePps + STRICT_EXTRA_MS;

/**
 * Probe, reflector and this controller run at raised priority so the probe's pacing does not absorb
 * host load (the machine is shared). The injector runs SCHED_FIFO above the native probe's threads
 * (30/29) and reflector (28): below them its edge brackets widened to ±0.2–0.5 ms around the probe's
 * wake-ups at 10 and 100 kpps (measured), above them they stay at ±0.05–0.07 ms.
 */
const NICE = -10;
const INJECTOR_FIFO = 40;
test.setTimeout(170_000);
let ownAutogroupNice: string | undefined;
const AUTOGROUP = '/proc/self/autogroup';

let pair: NetnsPair | undefined;
let injectorBin: string | undefined;
let stopReflector: (() => Promise<unknown>) | undefined;
const all: CalibrationRow[] = [];
/** Every run's rows by sender, for the side-by-side table at the end. */
const bySender: Record<ProbeSender, CalibrationRow[]> = { native: [], node: [] };

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
    { host: '::', udpPort: 7, lifetimeMs: 900_000 },
  );
  console.log(`reflector: ${refl.kind}`);
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

function pathOf(p: NetnsPair, sender: ProbeSender): CalibrationPath {
  return {
    probeAt: { kind: 'netns', netns: p.client, nice: NICE, sender },
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

const f = (x: number | undefined, d = 2): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const meanAbs = (xs: readonly (number | undefined)[]): number | undefined => {
  const v = xs.filter((x): x is number => x !== undefined).map(Math.abs);
  return v.length === 0 ? undefined : v.reduce((a, b) => a + b, 0) / v.length;
};
const inBounds = (r: CalibrationRow): boolean => {
  const tol = toleranceOf(r.ratePps);
  const v = r.vmmiMs;
  return r.vmmiGaps === 1 && v !== undefined && v >= r.outage.minMs - tol && v <= r.outage.maxMs + tol;
};
const strictOk = (r: CalibrationRow): boolean =>
  r.vmmiErrMs !== undefined && Math.abs(r.vmmiErrMs) <= toleranceOf(r.ratePps);

function print(rate: number, sender: ProbeSender, run: CalibrationRun): void {
  const cc = run.injector.clockCheck;
  console.log(
    `R=${rate} pps ${sender}: ${run.probe.health.status}; injector clock ${f(cc.injectorMs - cc.sentMs, 3)} ms after the ` +
      `controller's send, ${f(cc.receivedMs - cc.injectorMs, 3)} ms before its receive (same CLOCK_MONOTONIC); ` +
      `probe CPU ${f(run.probeCpuMs, 0)} ms; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  );
  console.log(`  D_req  injected ±ref  vmmi downtime_tx    err    edges_tx | ping gap−10ms   err   strict ±${f(toleranceOf(rate))}`);
  for (const r of run.rows) {
    console.log(
      `  ${String(r.outage.requestedMs).padStart(5)}  ${f(r.outage.injectedMs, 3).padStart(8)} ±${f(r.outage.uncertaintyMs, 3)}  ` +
        `${f(r.vmmiMs, 3).padStart(14)}  ${f(r.vmmiErrMs, 3).padStart(6)} ` +
        `${(r.vmmiEdgeTxMs ?? []).map((w) => f(w, 3)).join('/').padStart(11)} | ` +
        `${f(r.pingMs).padStart(12)}  ${f(r.pingErrMs).padStart(6)}  ${strictOk(r) ? 'ok' : 'MISS'}${r.vmmiGaps === 1 ? '' : ` (${r.vmmiGaps} gaps)`}`,
    );
  }
  const onGrid = run.rows.filter((r) => OUTAGES_MS.includes(r.outage.requestedMs));
  const offGrid = run.rows.filter((r) => !OUTAGES_MS.includes(r.outage.requestedMs));
  console.log(
    `  error ratio ping/${sender}: ${f(errorRatio(run.rows), 1)}× over all rows; ${f(errorRatio(onGrid), 1)}× on ping's grid, ` +
      `${f(errorRatio(offGrid), 1)}× off it; health reasons: ${run.probe.health.reasons.map((x) => x.detail).join('; ') || 'none'}`,
  );
}

for (const rate of RATES_PPS) {
  test(`injected outages ${ALL_MS.join('/')} ms measured within 1/R + ${STRICT_EXTRA_MS} ms at ${rate} pps by the native probe; TypeScript probe and ping side by side`, async () => {
    // A sender pause on this shared 2-core host can land on an outage edge; the gap then holds it and
    // the row cannot meet the tolerance whatever the network did. Such a row (an edge's send interval
    // wider than the tolerance) is measured once more, and both attempts are printed; a miss with
    // steady edges is not retried.
    const tol = toleranceOf(rate);
    const pausedOnEdge = (r: CalibrationRow): boolean => (r.vmmiEdgeTxMs ?? [0, 0]).some((w) => w > tol);
    let run = await runCalibration(pathOf(pair as NetnsPair, 'native'), { ratePps: rate, outagesMs: ALL_MS });
    const missed = run.rows.filter((r) => !inBounds(r));
    if (missed.length > 0 && missed.every(pausedOnEdge)) {
      print(rate, 'native', run);
      console.log(`R=${rate} pps native attempt 1: sender paused on an outage edge (edge wider than ±${f(tol)} ms): measuring again`);
      run = await runCalibration(pathOf(pair as NetnsPair, 'native'), { ratePps: rate, outagesMs: ALL_MS });
    }
    all.push(...run.rows);
    bySender.native.push(...run.rows);
    print(rate, 'native', run);
    // The TypeScript probe on the same path, for the side-by-side table (not asserted: at 100 kpps it
    // loses packets, which is what the comparison shows).
    const ts = await runCalibration(pathOf(pair as NetnsPair, 'node'), { ratePps: rate, outagesMs: ALL_MS });
    bySender.node.push(...ts.rows);
    print(rate, 'node', ts);
    expect(ts.injector.exit, 'the injector deleted its table on exit').toEqual({ reason: 'quit', cleaned: true });

    expect(run.injector.exit, 'the injector deleted its table on exit').toEqual({ reason: 'quit', cleaned: true });
    expect(run.probe.health.status, run.probe.health.reasons.map((x) => x.detail).join('; ')).not.toBe('errored');
    expect(run.probe.episodes).toHaveLength(ALL_MS.length);
    for (const r of run.rows) {
      expect(r.vmmiGaps, `one gap per injected outage (D=${r.outage.requestedMs})`).toBe(1);
      // Strict criterion (|err| ≤ 1/R + 0.1 ms against the reference length) is printed per row; the
      // assertion also admits the reference's own uncertainty (the injector's edge brackets).
      expect(r.vmmiMs, `measured downtime for D=${r.outage.requestedMs} ms`).toBeGreaterThanOrEqual(r.outage.minMs - tol);
      expect(r.vmmiMs, `measured downtime for D=${r.outage.requestedMs} ms`).toBeLessThanOrEqual(r.outage.maxMs + tol);
    }
  });
}

test('side by side: mean |error| of the native probe, the TypeScript probe and ping per rate, with ratios', () => {
  test.skip(bySender.native.length === 0, 'the rate tests did not run');
  console.log('  rate  native |err|  TypeScript |err|  ping |err|  ping/native  TypeScript/native  native max |err|  1/R+0.1');
  for (const rate of RATES_PPS) {
    const n = bySender.native.filter((r) => r.ratePps === rate);
    const t = bySender.node.filter((r) => r.ratePps === rate);
    const nErr = meanAbs(n.map((r) => r.vmmiErrMs));
    const tErr = meanAbs(t.map((r) => r.vmmiErrMs));
    const pErr = meanAbs(n.map((r) => r.pingErrMs));
    const maxErr = Math.max(...n.map((r) => Math.abs(r.vmmiErrMs ?? Infinity)));
    const ratio = (a: number | undefined, b: number | undefined): string =>
      f(a === undefined || b === undefined ? undefined : a / b, 1);
    console.log(
      `${String(rate).padStart(6)}  ${f(nErr, 3).padStart(12)}  ${f(tErr, 3).padStart(16)}  ${f(pErr, 2).padStart(10)}  ` +
        `${ratio(pErr, nErr).padStart(10)}×  ${ratio(tErr, nErr).padStart(16)}×  ${f(maxErr, 3).padStart(16)}  ${f(toleranceOf(rate), 2).padStart(7)}`,
    );
  }
  expect(bySender.native.every(inBounds), 'every native row within 1/R + 0.1 ms of the reference (with its uncertainty)').toBe(true);
});
