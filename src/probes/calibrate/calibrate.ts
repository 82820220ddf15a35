import type { CommandRunner } from '../../exec/types.js';
import type { TimestampGap } from '../../measure/gap.js';
import type { FlowResult } from '../../measure/summarize.js';
import { sleep } from '../../util/abort.js';
import { monoMs, stamp } from '../../util/stamp.js';
import { pingResult, runPing } from '../icmp/run.js';
import { flowResults } from '../udp/results.js';
import { startUdpProbe, type ProbePlacement } from '../udp/run.js';
import { createOutageInjector, type InjectedOutage, type OutageInjectorOptions } from './nft-outage.js';

/** The measured path: where the probe and ping run, what they target, and where outages are injected. */
export interface CalibrationPath {
  readonly probeAt: ProbePlacement;
  /** Runs `ping` next to the probe (same namespace or host). */
  readonly pingRunner: CommandRunner;
  readonly target: string;
  readonly port: number;
  readonly injector: OutageInjectorOptions;
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
   * Bounds of the measured value once the reference's own uncertainty is included: the rule went
   * active within [addSent, addDone] and inactive within [delSent, delDone], so the true outage lies in
   * [injected − delete latency, injected + add latency]; the bounds widen that by the tolerance.
   */
  readonly lowMs: number;
  readonly highMs: number;
  /** |error| ≤ tolerance against the stamped injected length (the strict criterion). */
  readonly strictOk: boolean;
  /** Gaps vmmi found in the window (1 expected). */
  readonly vmmiGaps: number;
  readonly pingMs: number | undefined;
  readonly pingErrMs: number | undefined;
}

export interface CalibrationRun {
  readonly rows: readonly CalibrationRow[];
  readonly probe: FlowResult;
  readonly ping: FlowResult;
  /** Probe agent CPU (user + system), ms. */
  readonly probeCpuMs: number | undefined;
}

/**
 * Injects outages of known length on `path` while a vmmi probe at `ratePps` and `ping -i` run side by
 * side, and compares what each measured with the injected length (stamped on the controller's
 * monotonic clock, which the local agent shares).
 */
export async function runCalibration(path: CalibrationPath, o: CalibrationOptions): Promise<CalibrationRun> {
  const baselineMs = o.baselineMs ?? 1000;
  const spacingMs = o.spacingMs ?? 700;
  const pingIv = o.pingIntervalMs ?? 10;
  const totalMs = baselineMs + o.outagesMs.reduce((a, d) => a + d + spacingMs + 60, 0) + 500;
  const injector = await createOutageInjector(path.injector);
  try {
    const cfg = { flows: [{ id: 1, name: `cal-${o.ratePps}pps`, target: path.target, port: path.port, ratePps: o.ratePps, durationMs: totalMs }], drainMs: 500 };
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
      const v = gapsIn(flow.gaps, out.addSentMs - 100, out.delDoneMs + 5);
      const p = gapsIn(ping.gaps, out.addSentMs + wallOffsetMs - 100, out.delDoneMs + wallOffsetMs + 5);
      const vmmiMs = longest(v, 'tx');
      const pingMs = longest(p, 'rx');
      const lowMs = out.injectedMs - (out.delDoneMs - out.delSentMs) - tol;
      const highMs = out.injectedMs + (out.addDoneMs - out.addSentMs) + tol;
      return {
        ratePps: o.ratePps, outage: out, vmmiMs, toleranceMs: tol, vmmiGaps: v.length, pingMs, lowMs, highMs,
        strictOk: vmmiMs !== undefined && Math.abs(vmmiMs - out.injectedMs) <= tol,
        vmmiErrMs: vmmiMs === undefined ? undefined : vmmiMs - out.injectedMs,
        pingErrMs: pingMs === undefined ? undefined : pingMs - out.injectedMs,
      };
    });
    const cpu = res.end === undefined ? undefined : res.end.cpuUserMs + res.end.cpuSystemMs;
    return { rows, probe: flow, ping, probeCpuMs: cpu };
  } finally {
    await injector.close();
  }
}

function gapsIn(gaps: readonly TimestampGap[], fromMs: number, toMs: number): TimestampGap[] {
  return gaps.filter((g) => g.startTxMs >= fromMs && g.startTxMs <= toMs);
}

function longest(gaps: readonly TimestampGap[], basis: 'tx' | 'rx'): number | undefined {
  if (gaps.length === 0) return undefined;
  return Math.max(...gaps.map((g) => (basis === 'tx' ? g.downtimeTxMs : g.downtimeRxMs)));
}

/** Mean |error| of ping over mean |error| of vmmi across rows with both values (higher = vmmi better). */
export function errorRatio(rows: readonly CalibrationRow[]): number | undefined {
  const both = rows.filter((r) => r.vmmiErrMs !== undefined && r.pingErrMs !== undefined);
  if (both.length === 0) return undefined;
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return mean(both.map((r) => Math.abs(r.pingErrMs as number))) / mean(both.map((r) => Math.abs(r.vmmiErrMs as number)));
}
