/**
 * A change point found in a real lab history: six short suite runs (`vmmi run` of a one-scenario suite,
 * suites/lab/trend-suite) write one history; the WAN's one-way delay is raised before the fourth.
 * `vmmi report --per run --window 3 --fail-on-change-point` exits 1 and names the shift: the metric,
 * the scenario and the run it starts at. Prefix `vmmiw` and management addresses 198.19.6.x.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ownLabTestbed, REPO, vmmi as vmmiIn, why, type OwnLab } from './own-lab.js';

const WORK = mkdtempSync(join(tmpdir(), 'vmmiw-'));
const SUITE = join(REPO, 'suites/lab/trend-suite/playwright.config.ts');
const NIGHTS = [2, 2, 2, 80, 80, 80] as const;
let lab: OwnLab;

test.describe.configure({ mode: 'serial' });
test.skip(process.getuid?.() !== 0, 'the lab needs root');

const vmmi = (args: readonly string[], timeoutMs: number, env: Record<string, string> = {}) =>
  vmmiIn(args, { cwd: WORK, timeoutMs, env });

test.beforeAll(async () => {
  test.setTimeout(900_000);
  lab = await ownLabTestbed(WORK, 'vmmiw', 6);
  const doctor = await vmmi(['lab', 'doctor', '--testbed', lab.testbed], 300_000);
  expect(doctor.code, why('lab doctor', doctor)).toBe(0);
});

test.afterAll(async () => {
  test.setTimeout(300_000);
  if (lab !== undefined) await vmmi(['lab', 'down', '--testbed', lab.testbed], 300_000);
  rmSync(WORK, { recursive: true, force: true });
});

test('six short runs, the WAN delay raised before the fourth: the report exits 1 naming the shift', async () => {
  test.setTimeout(2_400_000);
  const reports = join(WORK, 'reports');
  const starts: number[] = [];
  for (const [i, delay] of NIGHTS.entries()) {
    starts.push(Date.now());
    const r = await vmmi(['run', '--config', SUITE, '--testbed', lab.testbed, '--out', reports], 600_000,
      { VMMI_TREND_WAN_DELAY_MS: String(delay) });
    expect(r.code, why(`run ${i + 1} (WAN ${delay} ms)`, r)).toBe(0);
  }
  const history = join(reports, 'history.sqlite');
  const steady = await vmmi(['report', '--history', history, '--out', join(WORK, 'r0'), '--per', 'run', '--window', '3',
    '--fail-on-change-point', '--since', new Date((starts[3] as number) - 1000).toISOString()], 120_000);
  // the last three runs alone are too short a series to judge: no shift, exit 0
  expect(steady.code, why('vmmi report --since', steady)).toBe(0);
  expect(steady.out).toMatch(/no change point/);
  const r = await vmmi(['report', '--history', history, '--out', join(WORK, 'r1'), '--per', 'run', '--window', '3',
    '--fail-on-change-point'], 120_000);
  expect(r.code, why('vmmi report', r)).toBe(1);
  const lines = r.out.split('\n').filter((l) => l.startsWith('change point: '));
  const rtt = lines.find((l) => /^change point: rtt_after_ms in cross-subnet\/host-route-static\/ipv4 from the run of /.test(l));
  expect(rtt, r.out).toBeDefined();
  for (const l of lines) console.log(l); // what a nightly job would print
  const at = Date.parse(/from the run of (\S+):/.exec(rtt ?? '')?.[1] ?? '');
  // named at the fourth run: the first with the longer WAN
  expect(at).toBeGreaterThanOrEqual(starts[3] as number);
  expect(at).toBeLessThan(starts[4] as number);
  expect(rtt).toMatch(/median [\d.]+ ms → [\d.]+ ms \(\+[\d.]+ ms, 6 runs\)/);
});
