/**
 * The executor's view of a measured flow (pure): measure/'s result placed on the controller clock, with
 * the few facts the timeline, health and recovery metrics need. No measurement math here.
 */
import type { FlowMeasurement, FlowResultLike } from './types.js';
import { defined } from '../model/defined.js';

const nsOf = (baseMonoMs: number, ms: number): bigint => BigInt(Math.round((baseMonoMs + ms) * 1e6));

export function flowView(m: FlowMeasurement): FlowResultLike {
  const r = m.result;
  const base = m.baseMonoMs;
  const failed = m.failed
    ?? (r.health.status === 'errored' ? r.health.reasons.map((x) => x.detail).join('; ') : undefined);
  return {
    flow: m.spec.name, family: m.spec.family, ratePps: m.spec.ratePps, achievedPps: r.achievedRatePps,
    sent: r.counts.sent, received: r.counts.received,
    episodes: r.episodes.map((e) => ({
      firstSeq: e.firstSeq, lost: e.lost, startNs: nsOf(base, e.startMs), endNs: nsOf(base, e.endMs),
    })),
    baselineReplies: r.baseline?.received ?? 0,
    lossBeforeTrigger: r.baseline?.lost ?? 0,
    maxSenderPauseMs: r.maxTxIntervalMs,
    lossNearSenderPause: r.baselineLossNearPause,
    ...(r.baselineBurst === undefined ? {} : { lossBurstBeforeTrigger: {
      lost: r.baselineBurst.lost, endedBeforeTriggerMs: r.baselineBurst.endedBeforeTriggerMs } }),
    ...(r.baselineLossSpan === undefined ? {} : { lossSpanBeforeTrigger: r.baselineLossSpan }),
    ...(r.firstReplyAfterMs === undefined ? {} : { firstReplyAfterNs: nsOf(base, r.firstReplyAfterMs) }),
    ...(r.rate?.recoveryMs === undefined ? {} : { stableAfterNs: nsOf(base, r.rate.recoveryMs) }),
    ...(r.rttStep === undefined ? {} : { rttBeforeMs: r.rttStep.beforeMs, rttAfterMs: r.rttStep.afterMs }),
    ...defined({ failed, tcp: m.tcp }),
  };
}
