/**
 * Measurement health of a run (pure), measurement.md §6: a verdict separate from the test verdict.
 * `errored` overrides pass/fail: a flow with no baseline, loss before the trigger, a failed or stubbed
 * probe, or a guest that stops answering after the move (infrastructure failure, retried on a fresh VM).
 */
import type { FlowResultLike, MemoryIntegrity } from './types.js';

export type Health = 'ok' | 'degraded' | 'errored';

export interface HealthVerdict {
  readonly health: Health;
  readonly reasons: readonly string[];
  /** The guest did not answer after the move: an infrastructure failure, not a network FAIL. */
  readonly infrastructure: boolean;
}

export interface HealthInput {
  readonly flows: readonly FlowResultLike[];
  /** undefined when verify never ran (e.g. a rollback before the move). */
  readonly guestAnswered?: boolean;
  /** Host on which the guest was reset during the run (a reboot or panic): infrastructure failure. */
  readonly guestRebootedOn?: string;
  /** Whether the cross-host values rest on known clock sync. */
  readonly clockSyncKnown: boolean;
  /** Observers were expected (a run that reached the migration). */
  readonly expectFlows: boolean;
  /** The guest's memory-integrity verdict after the move, when one was asked for. */
  readonly memoryIntegrity?: MemoryIntegrity;
}

export function assessHealth(input: HealthInput): HealthVerdict {
  const errored: string[] = [];
  const degraded: string[] = [];
  if (input.expectFlows && input.flows.length === 0) errored.push('no probe flow results');
  for (const f of input.flows) {
    if (f.failed !== undefined) errored.push(`${f.flow}: probe failed: ${f.failed}`);
    else if (f.baselineReplies === 0) errored.push(`${f.flow}: no baseline traffic before the trigger`);
    else if (f.lossBeforeTrigger > 0) errored.push(`${f.flow}: ${f.lossBeforeTrigger} packet(s) lost before the trigger`);
    if (f.achievedPps < f.ratePps) degraded.push(`${f.flow}: achieved ${f.achievedPps} pps < configured ${f.ratePps} pps`);
    // The UDP figures stand without it; the run only lacks its session-survival figure.
    if (f.tcp?.ok === false) degraded.push(`${f.flow}: TCP session probe: ${f.tcp.failure}`);
  }
  const infrastructure = input.guestAnswered === false || input.guestRebootedOn !== undefined;
  if (input.guestRebootedOn !== undefined) errored.push(`guest was reset on ${input.guestRebootedOn} during the run (infrastructure failure)`);
  else if (infrastructure) errored.push('guest does not answer its reflector after the move (infrastructure failure)');
  if (!input.clockSyncKnown) degraded.push('clock sync unknown: cross-host values excluded from verdicts');
  // A checker that gave no verdict is a gap in what the run shows, never a silent ok.
  if (input.memoryIntegrity?.status === 'unknown') degraded.push(`memory integrity unknown: ${input.memoryIntegrity.detail}`);
  const health: Health = errored.length > 0 ? 'errored' : degraded.length > 0 ? 'degraded' : 'ok';
  return { health, reasons: [...errored, ...degraded], infrastructure };
}
