import type { CommandRunner } from '../../exec/types.js';
import { longestGap, type TimestampGap } from '../../measure/gap.js';
import type { FlowResult } from '../../measure/summarize.js';
import { sleep } from '../../util/abort.js';
import { monoMs, stamp } from '../../util/stamp.js';
import { pingResult, runPing } from '../icmp/run.js';
import { flowResults } from '../udp/results.js';
import { startUdpProbe, type ProbePlacement } from '../udp/run.js';
import {
  createOutageInjector, type InjectedOutage, type InjectorExit, type OutageInjector, type OutageInjectorOptions,
} from './nft-outage.js';

/** The measured path: where the probe and ping run, what they target, and where outages are injected. */
export interface CalibrationPath {
  readonly probeAt: ProbePlacement;
  /** Runs `ping` next to the probe (same namespace or host). */
  readonly pingRunner: CommandRunner;
  readonly target: string;
  readonly port: number;
  /** Where and how outages are injected; the injector's life bound is set by the run. */
  readonly injector: Omit<OutageInjectorOptions, 'limitMs'>;
}

export interface CalibrationOptions {
  readonly ratePps: number;
  /** Outage lengths to inject, ms. */
  readonly outagesMs: readonly number[];
  readonly baselineMs?: number;
  /** Quiet time after each outage, ms. */
  readonly spacingMs?: number;
  /** Ping interval of the side-by-side coarse method, ms (default 10). */
  readonly pingIntervalMs?: number;
}

export interface CalibrationRow {
  readonly ratePps: number;
  readonly outage: InjectedOutage;
  /** vmmi gap_tx downtime of the gap inside the outage window, ms; undefined = not found. */
  readonly vmmiMs: number | undefined;
  readonly vmmiErrMs: number | undefined;
  /** Allowed |error| against an exactly known outage: 1/R + 0.5 ms. */
  readonly toleranceMs: number;
  /**
   * Bounds of the measured value once the reference's own uncertainty is included: the true outage
   * lies in [outage.minMs, outage.maxMs] (from the injector's brackets); the bounds widen that by the
   * tolerance.
   */
  readonly lowMs: number;
  readonly highMs: number;
  /** |error| ≤ tolerance against the reference length `outage.injectedMs` (the strict criterion). */
  readonly strictOk: boolean;
  /** Gaps vmmi found in the window (1 expected). */
  readonly vmmiGaps: number;
  /**
   * Send-side widths of the measured gap's two edges, ms (1/R at steady pacing). An edge wider than
   * the tolerance means the probe's sender paused on it: that gap cannot meet the tolerance.
   */
  readonly vmmiEdgeTxMs: readonly [number, number] | undefined;
  readonly pingMs: number | undefined;
  readonly pingErrMs: number | undefined;
}

export interface CalibrationRun {
  readonly rows: readonly CalibrationRow[];
  readonly probe: FlowResult;
  readonly ping: FlowResult;
  /** Probe agent CPU (user + system), ms. */
  readonly probeCpuMs: number | undefined;
  /** The injector's clock check at start and how it ended (`cleaned`: its table was deleted). */
  readonly injector: {
    readonly clockCheck: OutageInjector['clockCheck'];
    readonly exit: InjectorExit;
  };
}

/**
 * Injects outages of known length on `path` while a vmmi probe at `ratePps` and `ping -i` run side by
 * side, and compares what each measured with the injected length. The injector stamps each edge on
 * CLOCK_MONOTONIC, the clock of the controller and of a local probe agent (checked at its start), and
 * every row carries the reference's own uncertainty.
 */
export async function runCalibration(path: CalibrationPath, o: CalibrationOptions): Promise<CalibrationRun> {
  const baselineMs = o.baselineMs ?? 1000;
  const spacingMs = o.spacingMs ?? 700;
  const pingIv = o.pingIntervalMs ?? 10;
  const totalMs = baselineMs + o.outagesMs.reduce((a, d) => a + d + spacingMs + 60, 0) + 500;
  // The injector outlives the run by a margin only; it removes its table when this bound passes.
  const injector = await createOutageInjector({ ...path.injector, limitMs: totalMs + 30_000 });
  let finished: Omit<CalibrationRun, 'injector'>;
  let exit: InjectorExit;
  try {
    const cfg = {
      flows: [
        {
          id: 1,
          name: `cal-${o.ratePps}pps`,
          target: path.target,
          port: path.port,
          ratePps: o.ratePps,
          durationMs: totalMs,
        },
      ],
      drainMs: 500,
    };
    const probe = startUdpProbe(path.probeAt, cfg);
    await probe.started;
    const pingOpts = { target: path.target, intervalMs: pingIv, count: Math.floor(totalMs / pingIv), name: 'ping' };
    const pinging = runPing(path.pingRunner, pingOpts);
    const s0 = stamp();
    const wallOffsetMs = s0.wallMs - Number(s0.monoNs) / 1e6;
    const triggerMs = monoMs() + baselineMs;
    await sleep(baselineMs);
    const outages: InjectedOutage[] = [];
    for (const d of o.outagesMs) {
      outages.push(await injector.inject(d));
      await sleep(spacingMs);
    }
    const [res, pingRun] = await Promise.all([probe.done, pinging]);
    const [flow] = flowResults(cfg, res, { triggerMs, minBaselineMs: baselineMs * 0.9 });
    if (flow === undefined) throw new Error('calibration probe returned no flow');
    const ping = pingResult(pingRun, pingOpts, triggerMs + wallOffsetMs);
    const tol = 1000 / o.ratePps + 0.5;
    const rows = outages.map((out): CalibrationRow => {
      const v = gapsIn(flow.gaps, out.on.beforeMs - 100, out.off.afterMs + 5);
      const p = gapsIn(ping.gaps, out.on.beforeMs + wallOffsetMs - 100, out.off.afterMs + wallOffsetMs + 5);
      const g = longestGap(v, 'tx');
      const vmmiMs = g?.downtimeTxMs;
      const pingMs = longestGap(p, 'rx')?.downtimeRxMs;
      const lowMs = out.minMs - tol;
      const highMs = out.maxMs + tol;
      return {
        ratePps: o.ratePps, outage: out, vmmiMs, toleranceMs: tol, vmmiGaps: v.length, pingMs, lowMs, highMs,
        vmmiEdgeTxMs: g === undefined ? undefined : [g.startEdgeTxMs, g.endEdgeTxMs],
        strictOk: vmmiMs !== undefined && Math.abs(vmmiMs - out.injectedMs) <= tol,
        vmmiErrMs: vmmiMs === undefined ? undefined : vmmiMs - out.injectedMs,
        pingErrMs: pingMs === undefined ? undefined : pingMs - out.injectedMs,
      };
    });
    const cpu = res.end === undefined ? undefined : res.end.cpuUserMs + res.end.cpuSystemMs;
    finished = { rows, probe: flow, ping, probeCpuMs: cpu };
  } finally {
    exit = await injector.close();
  }
  return { ...finished, injector: { clockCheck: injector.clockCheck, exit } };
}

function gapsIn(gaps: readonly TimestampGap[], fromMs: number, toMs: number): TimestampGap[] {
  return gaps.filter((g) => g.startTxMs >= fromMs && g.startTxMs <= toMs);
}

/**
 * Mean |error| of ping over mean |error| of vmmi across rows with both values (higher = vmmi better).
 */
export function errorRatio(rows: readonly CalibrationRow[]): number | undefined {
  const both = rows.filter((r) => r.vmmiErrMs !== undefined && r.pingErrMs !== undefined);
  if (both.length === 0) return undefined;
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return (
    mean(both.map((r) => Math.abs(r.pingErrMs as number))) / mean(both.map((r) => Math.abs(r.vmmiErrMs as number)))
  );
}
