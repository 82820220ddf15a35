/**
 * What kind of failure a run had (pure), for `vmmi run`'s exit code: 1 when a threshold failed (a
 * finding about the system under test) or a test failed for any reason that is not a broken
 * measurement; 3 when every failed test failed only because a measurement was ERRORED or the
 * infrastructure broke (exit-codes.ts). The reporter writes it as `outcome.json` next to the reports.
 */
export const OUTCOME_FILE = 'outcome.json';

/** Annotation types the fixture writes (verdicts.ts) and the reporter reads. */
export const ANNOTATION = {
  threshold: 'vmmi-threshold-failed',
  inconclusive: 'vmmi-inconclusive',
  errored: 'vmmi-errored',
} as const;

/** A finished test as the reporter sees it: its final status, annotations and first error line. */
export interface FinishedTest {
  readonly title: string;
  readonly status: 'passed' | 'failed' | 'timedOut' | 'skipped' | 'interrupted';
  readonly annotations: readonly { readonly type: string; readonly description?: string }[];
  readonly error?: string;
}

export type FailureKind = 'threshold' | 'errored' | 'failed';

export interface RunOutcome {
  readonly schema: 'vmmi.run-outcome/1';
  readonly tests: { readonly passed: number; readonly failed: number; readonly skipped: number };
  /** Failed tests by kind (a test with a threshold failure counts as `threshold` whatever else broke). */
  readonly failures: readonly { readonly title: string; readonly kind: FailureKind; readonly detail: string }[];
  /** Statistic thresholds judged over the run's repetitions (verdict/judge.ts judgeScenarios). */
  readonly statistics: { readonly fail: number; readonly inconclusive: number; readonly pass: number;
    readonly notMeasured: number; readonly messages: readonly string[] };
  /** Per-attempt judgements that were inconclusive (annotated on their tests). */
  readonly inconclusive: readonly string[];
  /** The exit code this outcome asks for: 0, 1 or 3. */
  readonly exitCode: 0 | 1 | 3;
}

/**
 * Names of vmmi's error classes whose code exits 3 (exit-codes.ts): a test that failed with one of
 * them at the top of its error, with no threshold failed, broke on the infrastructure.
 */
const INFRASTRUCTURE_ERRORS = /^(?:ConnectionError|AuthError|HostKeyError|TimeoutError|CommandError|ProtocolError|LabError|LibvirtError|NetconfRpcError)\b/;

function kindOf(t: FinishedTest): { kind: FailureKind; detail: string } {
  const of = (type: string): string[] => t.annotations.filter((a) => a.type === type).map((a) => a.description ?? '');
  const threshold = of(ANNOTATION.threshold);
  if (threshold.length > 0) return { kind: 'threshold', detail: threshold.join(' | ') };
  const errored = of(ANNOTATION.errored);
  if (errored.length > 0) return { kind: 'errored', detail: errored.join(' | ') };
  const first = (t.error ?? '').split('\n')[0] ?? '';
  if (INFRASTRUCTURE_ERRORS.test(first)) return { kind: 'errored', detail: `infrastructure: ${first}` };
  return { kind: 'failed', detail: first };
}

export function runOutcome(tests: readonly FinishedTest[], statistics: readonly {
  readonly outcome: 'pass' | 'fail' | 'inconclusive' | 'not-measured'; readonly message: string }[]): RunOutcome {
  const failed = tests.filter((t) => t.status === 'failed' || t.status === 'timedOut' || t.status === 'interrupted');
  const failures = failed.map((t) => ({ title: t.title, ...kindOf(t) }));
  const count = (o: string): number => statistics.filter((s) => s.outcome === o).length;
  const stats = {
    fail: count('fail'), inconclusive: count('inconclusive'), pass: count('pass'), notMeasured: count('not-measured'),
    messages: statistics.filter((s) => s.outcome !== 'pass').map((s) => s.message),
  };
  const exitCode: 0 | 1 | 3 = stats.fail > 0 || failures.some((f) => f.kind !== 'errored') ? 1
    : failures.length > 0 ? 3 : 0;
  return {
    schema: 'vmmi.run-outcome/1',
    tests: { passed: tests.filter((t) => t.status === 'passed').length, failed: failed.length,
      skipped: tests.filter((t) => t.status === 'skipped').length },
    failures, statistics: stats,
    inconclusive: tests.flatMap((t) => t.annotations.filter((a) => a.type === ANNOTATION.inconclusive)
      .map((a) => a.description ?? '')),
    exitCode,
  };
}

/** The lines `vmmi run` prints about the outcome (nothing for a clean pass). */
export function formatOutcome(o: RunOutcome): string[] {
  const lines: string[] = [];
  for (const f of o.failures) {
    const label = f.kind === 'threshold' ? 'THRESHOLD FAILED' : f.kind === 'errored' ? 'ERRORED' : 'FAILED';
    lines.push(`${label}: ${f.title}: ${f.detail}`);
  }
  for (const m of o.statistics.messages) lines.push(`statistics: ${m}`);
  for (const m of o.inconclusive) lines.push(`inconclusive: ${m}`);
  return lines;
}
