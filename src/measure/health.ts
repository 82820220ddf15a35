import type { FlowSpec, HealthReason, LossEpisode, MeasurementHealth, ProbeEnd, ProbeSample } from './types.js';

export interface HealthInput {
  readonly spec: FlowSpec;
  /** How the probe ended; undefined = no probe result at all (missing, never started). */
  readonly end: ProbeEnd | undefined;
  readonly samples: readonly ProbeSample[];
  readonly episodes: readonly LossEpisode[];
  /** Trigger instant on the samples' clock, ms; undefined when the run has no trigger. */
  readonly triggerMs: number | undefined;
  readonly achievedRatePps: number;
  /** Largest interval between consecutive send stamps, ms. */
  readonly maxTxIntervalMs: number;
  /** Baseline the run was supposed to have before the trigger, ms (default 1000). */
  readonly minBaselineMs?: number;
  /** Result of the post-migration guest health check, when one ran. */
  readonly guestHealthy?: boolean;
  /** Achieved/configured rate ratio below which the flow is degraded (default 0.98). */
  readonly minRateRatio?: number;
}

/**
 * Measurement health of one flow (measurement.md §6). `errored` overrides pass/fail: a missing,
 * failed or stopped probe, an empty stream, a flow without baseline replies or with loss before the
 * trigger never yields a usable number.
 */
export function assessHealth(h: HealthInput): MeasurementHealth {
  const r: HealthReason[] = [];
  const err = (rule: HealthReason['rule'], detail: string): void => void r.push({ rule, status: 'errored', detail });
  const deg = (rule: HealthReason['rule'], detail: string): void => void r.push({ rule, status: 'degraded', detail });
  const name = h.spec.name;
  if (h.end === undefined) err('probe-failed', `${name}: no probe result (probe missing or never started)`);
  else if (h.end.reason === 'error') err('probe-failed', `${name}: probe failed: ${h.end.detail ?? 'unknown error'}`);
  else if (h.end.reason === 'aborted') err('stopped-early', `${name}: probe aborted after ${h.end.sent} packets`);
  if (h.end !== undefined && h.end.reason !== 'aborted' && h.end.sent < h.spec.plannedPackets) {
    err('stopped-early', `${name}: sent ${h.end.sent} of ${h.spec.plannedPackets} planned packets`);
  }
  if (h.samples.length === 0) {
    err('empty-stream', `${name}: no samples`);
    return finish(r);
  }
  const t = h.triggerMs ?? Infinity;
  let baseRx = 0;
  let baseLost = 0;
  let firstTx = Infinity;
  for (const s of h.samples) {
    firstTx = Math.min(firstTx, s.txMs);
    if (s.txMs >= t) continue;
    if (s.rxMs === undefined) baseLost++;
    else baseRx++;
  }
  if (h.triggerMs === undefined) {
    if (!h.samples.some((s) => s.rxMs !== undefined)) err('no-baseline', `${name}: no reply at all`);
  } else {
    if (baseRx === 0) err('no-baseline', `${name}: no reply before the trigger`);
    if (baseLost > 0) err('loss-before-trigger', `${name}: ${baseLost} packet(s) lost before the trigger`);
    const baseMs = h.triggerMs - firstTx;
    const minBase = h.minBaselineMs ?? 1000;
    if (baseMs < minBase) deg('no-baseline', `${name}: baseline ${baseMs.toFixed(1)} ms < ${minBase} ms`);
  }
  const ratio = h.achievedRatePps / h.spec.ratePps;
  if (ratio < (h.minRateRatio ?? 0.98)) {
    deg('rate-below-configured', `${name}: achieved ${h.achievedRatePps.toFixed(0)} pps of ${h.spec.ratePps} pps configured; ` +
      `resolution recomputed from the achieved rate`);
  }
  const interval = 1000 / h.spec.ratePps;
  const stallLimit = Math.max(10 * interval, 5);
  if (h.maxTxIntervalMs > stallLimit) {
    deg('sender-stall', `${name}: sender paused ${h.maxTxIntervalMs.toFixed(2)} ms (> ${stallLimit} ms); gaps may include it`);
  }
  const open = h.episodes.find((e) => e.open && e.startMs >= (h.triggerMs ?? -Infinity));
  if (open !== undefined) {
    const msg = `${name}: no recovery: ${open.lost} packets lost from seq ${open.firstSeq} to the end of the probe`;
    if (h.guestHealthy === false) err('no-recovery', `${msg}; guest failed its health check (infrastructure)`);
    else deg('no-recovery', msg);
  }
  if (h.spec.remoteClock === true) deg('clock-unknown', `${name}: stamps from ${h.spec.clock}; cross-host values excluded`);
  return finish(r);
}

/** The worst of several verdicts, with every reason kept. */
export function combineHealth(list: readonly MeasurementHealth[]): MeasurementHealth {
  return finish(list.flatMap((h) => h.reasons));
}

function finish(reasons: readonly HealthReason[]): MeasurementHealth {
  const status = reasons.some((x) => x.status === 'errored') ? 'errored' : reasons.length > 0 ? 'degraded' : 'ok';
  return { status, reasons };
}

/** True only for a usable measurement: errored never passes, whatever the numbers say. */
export function healthAllowsVerdict(h: MeasurementHealth): boolean {
  return h.status !== 'errored';
}
