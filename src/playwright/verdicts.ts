/**
 * Verdicts reach the test (worker side): after a migration, every per-attempt threshold that failed
 * on the last attempt of each family fails the test through a soft assertion whose message names the
 * threshold, the value, the method and the resolution (so JUnit carries it), an ERRORED measurement
 * of a VM that moved fails it as ERRORED, and an inconclusive figure is annotated and printed, never
 * passed or failed silently. Annotations tell the reporter which kind of failure a test had
 * (outcome.ts): `vmmi run` exits 1 for a threshold, 3 when only measurements or infrastructure broke.
 */
import { expect, type TestInfo } from '@playwright/test';
import { effectiveVerdict } from '../report/model.js';
import type { RunRecord } from '../report/record.js';
import { ANNOTATION } from './outcome.js';


export interface VerdictInput {
  /** Whether the VM migrated (a refusal or a failed move is the spec's to assert). */
  readonly migrated: boolean;
  /** The last attempt's record of every family the move measured. */
  readonly records: readonly RunRecord[];
}

/** Soft assertions and annotations for one migration's verdicts (module comment). */
export function enforceVerdicts(v: VerdictInput, testInfo: TestInfo): void {
  for (const r of v.records) {
    if (effectiveVerdict(r) === 'errored' || r.health === 'errored') {
      const why = `ERRORED measurement (${r.scenario}, ${r.vm} ${r.source} → ${r.destination}): `
        + `${r.healthReasons.join('; ') || r.error || 'no reason given'}`;
      testInfo.annotations.push({ type: ANNOTATION.errored, description: why });
      // A move that did not happen is the spec's to judge (a refusal may be what it expects).
      if (v.migrated) expect.soft(r.health, why).not.toBe('errored');
      continue;
    }
    for (const j of r.judgements ?? []) {
      if (j.outcome === 'fail') {
        testInfo.annotations.push({ type: ANNOTATION.threshold, description: j.message });
        expect.soft(j.outcome, j.message).not.toBe('fail');
      } else if (j.outcome === 'inconclusive') {
        testInfo.annotations.push({ type: ANNOTATION.inconclusive, description: j.message });
        console.log(`vmmi: ${j.message}`);
      }
    }
  }
}

/** Infrastructure failures (exit code 3 classes) a spec's migration threw: annotated before they propagate. */
export function annotateInfrastructure(e: unknown, testInfo: TestInfo, infrastructure: (e: unknown) => boolean): void {
  if (!infrastructure(e)) return;
  testInfo.annotations.push({
    type: ANNOTATION.errored,
    description: `infrastructure: ${e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e)}`,
  });
}
