/**
 * Verdicts reach CI, on the emulated lab described as hardware (its hardware.yaml, so the run touches
 * the lab only the way it would touch a physical testbed): `vmmi run` of a one-move suite
 * (suites/lab/verdict-suite) exits 1 when the testbed's threshold cannot be met, with the JUnit
 * failure naming the threshold, the value, the method and the resolution; and exits 3 with ERRORED
 * when the probe host's link is down (a measurement that could not be made is not a finding).
 * Prefix `vmmiv` and management addresses 198.19.5.x, so no other lab is touched.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ownLabTestbed, REPO, runCommand, vmmi as vmmiIn, why, type OwnLab } from './own-lab.js';

const WORK = mkdtempSync(join(tmpdir(), 'vmmiv-'));
const SUITE = join(REPO, 'suites/lab/verdict-suite/playwright.config.ts');
let lab: OwnLab;

test.describe.configure({ mode: 'serial' });
test.skip(process.getuid?.() !== 0, 'the lab needs root');

const vmmi = (args: readonly string[], timeoutMs = 600_000) => vmmiIn(args, { cwd: WORK, timeoutMs });
const ip = (args: readonly string[]) => runCommand(['ip', ...args], { cwd: WORK, timeoutMs: 10_000 });

/** hardware.yaml with other thresholds, written beside it (its key and known_hosts paths stay valid). */
async function hardwareWith(name: string, thresholds: string): Promise<string> {
  const text = await readFile(join(lab.dir, 'hardware.yaml'), 'utf8');
  const m = /^( *)thresholds:.*\n(?:\1 {2}.*\n)*/m.exec(text);
  expect(m, 'hardware.yaml has a thresholds entry').not.toBeNull();
  const file = join(lab.dir, name);
  await writeFile(file, text.replace(m?.[0] ?? '', `${m?.[1] ?? ''}thresholds: ${thresholds}\n`));
  return file;
}

test.beforeAll(async () => {
  test.setTimeout(900_000);
  lab = await ownLabTestbed(WORK, 'vmmiv', 5);
  const doctor = await vmmi(['lab', 'doctor', '--testbed', lab.testbed], 300_000);
  expect(doctor.code, why('lab doctor', doctor)).toBe(0);
  const up = await vmmi(['lab', 'up', '--testbed', lab.testbed], 600_000);
  expect(up.code, why('lab up', up)).toBe(0);
});

test.afterAll(async () => {
  test.setTimeout(300_000);
  if (lab === undefined) return;
  await ip(['-n', `${lab.prefix}-client`, 'link', 'set', 'eth0', 'up']);
  await vmmi(['lab', 'down', '--testbed', lab.testbed], 300_000);
  rmSync(WORK, { recursive: true, force: true });
});

test('an impossible threshold makes vmmi run exit 1; JUnit names the threshold, the value, the method and the resolution', async () => {
  test.setTimeout(900_000);
  const tb = await hardwareWith('hardware-impossible.yaml',
    '{ maxOutageMs: 1, maxLossPct: 100, maxReconvergenceMs: 100000, maxRttStepMs: 1000 }');
  const out = join(WORK, 'reports-impossible');
  const r = await vmmi(['run', '--config', SUITE, '--testbed', tb, '--out', out]);
  expect(r.code, why('vmmi run', r)).toBe(1);
  expect(r.out).toMatch(/THRESHOLD FAILED: .*threshold maxOutageMs/);
  const junit = await readFile(join(out, 'junit.xml'), 'utf8');
  expect(junit).toMatch(/<failure /);
  expect(junit).toMatch(/threshold maxOutageMs \(loss_derived_ms ≤ 1 ms, testbed defaults\.thresholds\.maxOutageMs\) FAILED: loss_derived_ms = \d+(\.\d+)? ms &gt; 1 ms/);
  expect(junit).toMatch(/method loss-derived[^,]*, resolution [\d.]+ ms, clock /);
  const verdicts = (await readFile(join(out, readdirSync(out).find((d) => /^\d{4}-/.test(d)) ?? '', 'verdicts.csv'),
    'utf8')).trim().split('\n');
  expect(verdicts[0]).toMatch(/^scope,scenario,run_id/);
  expect(verdicts.filter((l) => l.includes(',maxOutageMs,') && l.includes(',fail,')).length).toBeGreaterThanOrEqual(2);
});

test('a probe host whose link is down makes vmmi run exit 3 with ERRORED', async () => {
  test.setTimeout(900_000);
  const down = await ip(['-n', `${lab.prefix}-client`, 'link', 'set', 'eth0', 'down']);
  expect(down.code, why('ip link set down', down)).toBe(0);
  try {
    const out = join(WORK, 'reports-link-down');
    const r = await vmmi(['run', '--config', SUITE, '--testbed', join(lab.dir, 'hardware.yaml'), '--out', out]);
    expect(r.code, why('vmmi run', r)).toBe(3);
    expect(r.out).toMatch(/ERRORED: .*ERRORED measurement/);
    expect(r.out).not.toMatch(/THRESHOLD FAILED/);
    const junit = await readFile(join(out, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/ERRORED measurement/);
  } finally {
    await ip(['-n', `${lab.prefix}-client`, 'link', 'set', 'eth0', 'up']);
  }
});
