/**
 * Measurement health (pure), measurement.md §6: a verdict separate from the test verdict; `errored`
 * overrides pass/fail. `assessFlowHealth` judges one probe flow from its samples; `assessHealth`
 * judges a whole run from its flows and the guest's state after the move.
 */
import type {
  BaselineLossSpan, FlowSpec, HealthReason, HealthStatus, LossEpisode, MeasurementHealth, ProbeEnd, ProbeSample,
} from './types.js';

/**
 * Achieved over configured send rate below which a flow's run is degraded (its resolution is then
 * recomputed from the achieved rate). One rule for the flow and the run: a sender whose span is a few
 * microseconds longer than planned is not a degraded measurement.
 */
export const MIN_RATE_RATIO = 0.98;

export interface FlowHealthInput {
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
export function assessFlowHealth(h: FlowHealthInput): MeasurementHealth {
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
  if (ratio < (h.minRateRatio ?? MIN_RATE_RATIO)) {
    deg(
      'rate-below-configured',
      `${name}: achieved ${h.achievedRatePps.toFixed(0)} pps of ${h.spec.ratePps} pps configured; ` +
        `resolution recomputed from the achieved rate`,
    );
  }
  const interval = 1000 / h.spec.ratePps;
  const stallLimit = Math.max(10 * interval, 5);
  if (h.maxTxIntervalMs > stallLimit) {
    deg(
      'sender-stall',
      `${name}: sender paused ${h.maxTxIntervalMs.toFixed(2)} ms (> ${stallLimit} ms); gaps may include it`,
    );
  }
  const open = h.episodes.find((e) => e.open && e.startMs >= (h.triggerMs ?? -Infinity));
  if (open !== undefined) {
    const msg = `${name}: no recovery: ${open.lost} packets lost from seq ${open.firstSeq} to the end of the probe`;
    if (h.guestHealthy === false) err('no-recovery', `${msg}; guest failed its health check (infrastructure)`);
    else deg('no-recovery', msg);
  }
  if (h.spec.remoteClock === true)
    deg('clock-unknown', `${name}: stamps from ${h.spec.clock}; cross-host values excluded`);
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

/** What the run-level assessment needs of one flow (the executor's per-flow view). */
export interface FlowHealthFacts {
  readonly flow: string;
  readonly ratePps: number;
  readonly achievedPps: number;
  /** Replies received before the trigger (0 → the flow's numbers are ERRORED). */
  readonly baselineReplies: number;
  readonly lossBeforeTrigger: number;
  /** The sender's longest pause between two sends, ms. */
  readonly maxSenderPauseMs?: number;
  /** Packets lost before the trigger within 100 ms of a sender pause over 10 ms. */
  readonly lossNearSenderPause?: number;
  /** The longest run of consecutive packets lost before the trigger. */
  readonly lossBurstBeforeTrigger?: { readonly lost: number; readonly endedBeforeTriggerMs: number };
  /**
   * Where the packets lost before the trigger were sent, as distances before the trigger (a clock every
   * flow shares), and the baseline's length: a stall concentrates its loss, a lossy path spreads it.
   */
  readonly lossSpanBeforeTrigger?: BaselineLossSpan;
  /** Set when the probe tool failed, was missing or stubbed. */
  readonly failed?: string;
  /** The flow's TCP session-survival probe, when it had one. */
  readonly tcp?: { readonly ok: true } | { readonly ok: false; readonly failure: string };
}

/** Health of a whole run, with every reason; `infrastructure` marks a guest that failed, not the network. */
export interface HealthVerdict {
  readonly health: HealthStatus;
  readonly reasons: readonly string[];
  /** The guest did not answer after the move: an infrastructure failure, not a network FAIL. */
  readonly infrastructure: boolean;
  /**
   * Set when the measurement broke because the controller was starved (loss before the trigger or a
   * failed flow, with the sender paused or the host overloaded), named for the record: an
   * infrastructure outcome that is re-measured, never a finding about the network.
   */
  readonly starved?: string;
}

/** The controller host's load when the attempt ended: 1-minute load average and usable cores. */
export interface HostLoad {
  readonly load1: number;
  readonly cores: number;
}

/** A sender pause above this, ms, is starvation evidence (the stall rule's limit at 1 kpps). */
export const STARVED_PAUSE_MS = 10;

export interface HealthInput {
  readonly flows: readonly FlowHealthFacts[];
  /** undefined when verify never ran (e.g. a rollback before the move). */
  readonly guestAnswered?: boolean;
  /** Host on which the guest was reset during the run (a reboot or panic): infrastructure failure. */
  readonly guestRebootedOn?: string;
  /** The controller host's load at the end of the attempt (starvation evidence). */
  readonly host?: HostLoad;
  /** Whether the cross-host values rest on known clock sync. */
  readonly clockSyncKnown: boolean;
  /** Observers were expected (a run that reached the migration). */
  readonly expectFlows: boolean;
  /** The guest's memory-integrity verdict after the move, when one was asked for. */
  readonly memoryIntegrity?: {
    readonly status: 'ok' | 'corrupt' | 'unchecked' | 'unknown';
    readonly detail: string;
    readonly method?: string;
    readonly firstBadPage?: number;
  };
}

/**
 * Health of a run: a flow with no baseline, loss before the trigger or a failed or stubbed probe, and
 * a guest that stops answering or is reset after the move (infrastructure failure, retried on a fresh
 * VM) are ERRORED; a low send rate, a session probe without a result, unknown clock sync and a memory
 * check without a verdict degrade it.
 */
export function assessHealth(input: HealthInput): HealthVerdict {
  const errored: string[] = [];
  const degraded: string[] = [];
  if (input.expectFlows && input.flows.length === 0) errored.push('no probe flow results');
  for (const f of input.flows) {
    if (f.failed !== undefined) errored.push(`${f.flow}: probe failed: ${f.failed}`);
    else if (f.baselineReplies === 0) errored.push(`${f.flow}: no baseline traffic before the trigger`);
    else if (f.lossBeforeTrigger > 0) {
      errored.push(`${f.flow}: ${f.lossBeforeTrigger} packet(s) lost before the trigger`);
    }
    if (f.achievedPps < f.ratePps * MIN_RATE_RATIO) {
      degraded.push(`${f.flow}: achieved ${f.achievedPps.toFixed(1)} pps < ${MIN_RATE_RATIO} × configured ${f.ratePps} pps`);
    }
    // The UDP figures stand without it; the run only lacks its session-survival figure.
    if (f.tcp?.ok === false) degraded.push(`${f.flow}: TCP session probe: ${f.tcp.failure}`);
  }
  const infrastructure = input.guestAnswered === false || input.guestRebootedOn !== undefined;
  if (input.guestRebootedOn !== undefined) {
    errored.push(`guest was reset on ${input.guestRebootedOn} during the run (infrastructure failure)`);
  } else if (infrastructure) {
    errored.push('guest does not answer its reflector after the move (infrastructure failure)');
  }
  if (!input.clockSyncKnown) degraded.push('clock sync unknown: cross-host values excluded from verdicts');
  // A checker that gave no verdict is a gap in what the run shows, never a silent ok.
  if (input.memoryIntegrity?.status === 'unknown') {
    degraded.push(`memory integrity unknown: ${input.memoryIntegrity.detail}`);
  }
  const health: HealthStatus = errored.length > 0 ? 'errored' : degraded.length > 0 ? 'degraded' : 'ok';
  const starved = infrastructure || input.memoryIntegrity?.status === 'corrupt' ? undefined : starvation(input);
  const reasons = [...(starved === undefined ? [] : [starved]), ...errored, ...degraded];
  return { health, reasons, infrastructure, ...(starved === undefined ? {} : { starved }) };
}

/** Consecutive packets lost before the trigger from which a single burst counts as a stall. */
export const STALL_MIN_PACKETS = 5;

/**
 * A stall before the move: every flow that lost packets before the trigger lost them in ONE burst of
 * at least {@link STALL_MIN_PACKETS} consecutive packets. A lossy path drops scattered packets (at 1 %
 * loss, five in a row is a one-in-ten-billion event); one burst before anything moved is the path or
 * the guest stopping for a moment (a descheduled emulated guest, a link flap), which the move did
 * not cause and which a second measurement does not repeat. Named, kept, and re-measured.
 */
function stallBeforeMove(input: HealthInput): string | undefined {
  const lossy = input.flows.filter((f) => f.lossBeforeTrigger > 0);
  if (lossy.length === 0) return undefined;
  // a path that never answered (a link down) has no stall to wait out: that is ERRORED as it stands
  const single = lossy.every((f) => f.baselineReplies > 0 && f.lossBurstBeforeTrigger !== undefined
    && f.lossBurstBeforeTrigger.lost === f.lossBeforeTrigger && f.lossBeforeTrigger >= STALL_MIN_PACKETS);
  if (!single) return sharedStall(lossy);
  const shown = lossy.map((f) => `${f.flow} ${f.lossBeforeTrigger} in a row, ending `
    + `${(f.lossBurstBeforeTrigger?.endedBeforeTriggerMs ?? 0).toFixed(0)} ms before the trigger`).join('; ');
  return `testbed stalled before the move: ${shown} (infrastructure: re-measured)`;
}

/** A shared stall spans at most this share of the baseline. */
export const STALL_MAX_BASELINE_SHARE = 0.25;

/**
 * A stall before the move seen by several flows at once: every lossy flow (at least two) lost at least
 * {@link STALL_MIN_PACKETS} baseline packets, all of them within a window of at most
 * {@link STALL_MAX_BASELINE_SHARE} of its baseline, and the flows' windows overlap. A guest that is
 * descheduled queues the replies of every flow and drops a few in short runs (the lab's mobility storm: IPv4
 * 23 and IPv6 25 packets); a lossy path scatters its loss over the whole baseline, independently per flow:
 * 5 random losses of one flow falling in a quarter of its baseline is a 2 % event, two flows' doing so
 * in the same window far rarer. Named, kept and re-measured like a single burst.
 */
function sharedStall(lossy: readonly HealthInput['flows'][number][]): string | undefined {
  if (lossy.length < 2) return undefined;
  const spans = lossy.map((f) => f.lossSpanBeforeTrigger);
  const concentrated = lossy.every((f) => {
    const s = f.lossSpanBeforeTrigger;
    return f.baselineReplies > 0 && f.lossBeforeTrigger >= STALL_MIN_PACKETS && s !== undefined
      && s.firstBeforeTriggerMs - s.lastBeforeTriggerMs <= STALL_MAX_BASELINE_SHARE * s.baselineMs;
  });
  if (!concentrated) return undefined;
  const defined = spans.filter((s): s is BaselineLossSpan => s !== undefined);
  // the window holding every flow's loss: from the earliest loss (furthest before the trigger) to the latest
  const from = Math.max(...defined.map((s) => s.firstBeforeTriggerMs));
  const to = Math.min(...defined.map((s) => s.lastBeforeTriggerMs));
  // intervals [last, first] before the trigger overlap when the latest start is before the earliest end
  if (Math.max(...defined.map((s) => s.lastBeforeTriggerMs)) > Math.min(...defined.map((s) => s.firstBeforeTriggerMs)))
    return undefined;
  const shown = lossy.map((f) => `${f.flow} ${f.lossBeforeTrigger}`).join(', ');
  return `testbed stalled before the move: every flow lost its baseline packets in the same ${(from - to).toFixed(0)} ms, ` +
    `${from.toFixed(0)}–${to.toFixed(0)} ms before the trigger (${shown}) (infrastructure: re-measured)`;
}

/**
 * Names a starved controller or a stalled testbed. Either some flow lost packets before the trigger
 * right around a sender pause, or a flow failed for another reason than baseline loss while the host
 * shows starvation (a sender pause over {@link STARVED_PAUSE_MS}, or a load average above its cores),
 * or the baseline loss is one burst per flow ({@link stallBeforeMove}). Scattered baseline loss away
 * from any pause (a lossy path, on an idle host or a busy one) is not starvation: that stays an
 * ERRORED measurement, and measuring it again would not help.
 */
function starvation(input: HealthInput): string | undefined {
  const pause = Math.max(0, ...input.flows.map((f) => f.maxSenderPauseMs ?? 0));
  const overloaded = input.host !== undefined && input.host.load1 > input.host.cores;
  const lossAtPause = input.flows.some((f) => (f.lossNearSenderPause ?? 0) > 0);
  const failedOtherwise = input.flows.some((f) => f.failed !== undefined && f.lossBeforeTrigger === 0);
  if (!lossAtPause && !(failedOtherwise && (pause > STARVED_PAUSE_MS || overloaded))) return stallBeforeMove(input);
  const load = input.host === undefined ? 'load unknown' : `load ${input.host.load1.toFixed(1)} on ${input.host.cores} cores`;
  return `controller overloaded: ${load}, sender paused ${pause.toFixed(0)} ms (infrastructure: re-measured)`;
}
