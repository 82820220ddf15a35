import { expect, test } from '@playwright/test';
import { exitFromOutcome } from '../cli/run.js';
import { ANNOTATION, formatOutcome, runOutcome, type FinishedTest } from './outcome.js';

const passed: FinishedTest = { title: 'a', status: 'passed', annotations: [] };
const threshold: FinishedTest = { title: 'b', status: 'failed', error: 'Error: threshold maxOutageMs ... FAILED',
  annotations: [{ type: ANNOTATION.threshold, description: 'threshold maxOutageMs (loss_derived_ms ≤ 1 ms) FAILED: 312 ms' }] };
const errored: FinishedTest = { title: 'c', status: 'failed', error: 'Error: ERRORED',
  annotations: [{ type: ANNOTATION.errored, description: 'ERRORED measurement: client→vm1 v4: no reply before the trigger' }] };
const infra: FinishedTest = { title: 'd', status: 'failed', annotations: [],
  error: 'LibvirtError: hv1: connect refused\n  at x' };
const plain: FinishedTest = { title: 'e', status: 'failed', annotations: [], error: 'Error: expect(received).toBe(expected)' };

test('exit 1 for a threshold or any other failure, 3 when only measurements or infrastructure broke, 0 otherwise', () => {
  expect(runOutcome([passed], []).exitCode).toBe(0);
  expect(runOutcome([passed, threshold, errored], []).exitCode).toBe(1);
  expect(runOutcome([passed, errored, infra], []).exitCode).toBe(3);
  expect(runOutcome([errored, plain], []).exitCode).toBe(1);
  // a statistic over repetitions fails the run although every test passed
  expect(runOutcome([passed], [{ outcome: 'fail', message: 'p95 over' }]).exitCode).toBe(1);
  expect(runOutcome([passed], [{ outcome: 'inconclusive', message: 'p95 near' }]).exitCode).toBe(0);
});

test('a test with a threshold failure counts as a threshold failure whatever else broke', () => {
  const both: FinishedTest = { ...threshold, annotations: [...threshold.annotations, ...errored.annotations] };
  expect(runOutcome([both], []).failures).toEqual([
    { title: 'b', kind: 'threshold', detail: 'threshold maxOutageMs (loss_derived_ms ≤ 1 ms) FAILED: 312 ms' }]);
  expect(runOutcome([infra], []).failures[0])
    .toEqual({ title: 'd', kind: 'errored', detail: 'infrastructure: LibvirtError: hv1: connect refused' });
});

test('the lines vmmi run prints name each failure by kind, each statistic that did not pass and each inconclusive figure', () => {
  const near: FinishedTest = { ...passed, annotations: [{ type: ANNOTATION.inconclusive, description: 'within 1 ms' }] };
  const o = runOutcome([threshold, errored, near], [{ outcome: 'fail', message: 'p95(loss_derived_ms) = 900 ms > 500 ms' },
    { outcome: 'pass', message: 'ok' }]);
  expect(formatOutcome(o)).toEqual([
    'THRESHOLD FAILED: b: threshold maxOutageMs (loss_derived_ms ≤ 1 ms) FAILED: 312 ms',
    'ERRORED: c: ERRORED measurement: client→vm1 v4: no reply before the trigger',
    'statistics: p95(loss_derived_ms) = 900 ms > 500 ms',
    'inconclusive: within 1 ms',
  ]);
});

test('vmmi run keeps Playwright\'s 0 and its code without an outcome; otherwise the outcome decides', () => {
  const o3 = runOutcome([errored], []);
  expect(exitFromOutcome(0, o3)).toBe(0);
  expect(exitFromOutcome(1, undefined)).toBe(1);
  expect(exitFromOutcome(1, o3)).toBe(3);
  expect(exitFromOutcome(1, runOutcome([threshold], []))).toBe(1);
  // Playwright failed for a reason the outcome did not see (a reporter error): not turned into a pass
  expect(exitFromOutcome(1, runOutcome([passed], []))).toBe(1);
});
