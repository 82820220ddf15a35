/**
 * Verdicts reach CI, on the emulated lab described as hardware (its hardware.yaml, so the run touches
 * the lab only the way it would touch a physical testbed): `vmmi run` of a one-move suite
 * (suites/lab/verdict-suite) exits 1 when the testbed's threshold cannot be met, with the JUnit
 * failure naming the threshold, the value, the method and the resolution; and exits 3 with ERRORED
 * when the probe host's link is down (a measurement that could not be made is not a finding).
 * Prefix `vmmiv` and management addresses 198.19.5.x, so no other lab is touched.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const REPO = new URL('../..', import.meta.url).pathname;
const PREFIX = 'vmmiv';
const DIR = `/var/lib/vmmi/lab/${PREFIX}`;
const WORK = mkdtempSync(join(tmpdir(), 'vmmiv-'));
const LAB_TB = join(WORK, 'local.yaml');
const SUITE = join(REPO, 'suites/lab/verdict-suite/playwright.config.ts');

test.describe.configure({ mode: 'serial' });
test.skip(process.getuid?.() !== 0, 'the lab needs root');

interface Run { code: number | null; out: string }
function run(argv: readonly string[], timeoutMs: number, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(argv[0] as string, argv.slice(1), { cwd: WORK, env: { ...process.env, ...env, VMMI_PROGRESS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => (clearTimeout(t), done({ code, out })));
  });
}
const vmmi = (args: readonly string[], timeoutMs = 600_000): Promise<Run> =>
  run([process.execPath, join(REPO, 'bin/vmmi.js'), ...args], timeoutMs);

/** hardware.yaml with other thresholds, written beside it (its key and known_hosts paths stay valid). */
async function hardwareWith(name: string, thresholds: string): Promise<string> {
  const text = await readFile(join(DIR, 'hardware.yaml'), 'utf8');
  const m = /^( *)thresholds:.*\n(?:\1 {2}.*\n)*/m.exec(text);
  expect(m, 'hardware.yaml has a thresholds entry').not.toBeNull();
  const file = join(DIR, name);
  await writeFile(file, text.replace(m?.[0] ?? '', `${m?.[1] ?? ''}thresholds: ${thresholds}\n`));
  return file;
}

test.beforeAll(async () => {
  test.setTimeout(900_000);
  const text = await readFile(join(REPO, 'testbeds/local.yaml'), 'utf8');
  for (const s of ['  prefix: vmmi\n', '  dir: /var/lib/vmmi/lab/vmmi\n', '198.19.0.']) expect(text).toContain(s);
  await writeFile(LAB_TB, text.replace('  prefix: vmmi\n', `  prefix: ${PREFIX}\n`)
    .replace('  dir: /var/lib/vmmi/lab/vmmi\n', `  dir: ${DIR}\n`).replaceAll('198.19.0.', '198.19.5.'));
  const doctor = await vmmi(['lab', 'doctor', '--testbed', LAB_TB], 300_000);
  expect(doctor.code, doctor.out).toBe(0);
  const up = await vmmi(['lab', 'up', '--testbed', LAB_TB], 600_000);
  expect(up.code, up.out).toBe(0);
});

test.afterAll(async () => {
  test.setTimeout(300_000);
  await run(['ip', '-n', `${PREFIX}-client`, 'link', 'set', 'eth0', 'up'], 10_000);
  await vmmi(['lab', 'down', '--testbed', LAB_TB], 300_000);
  rmSync(WORK, { recursive: true, force: true });
});

test('an impossible threshold makes vmmi run exit 1; JUnit names the threshold, the value, the method and the resolution', async () => {
  test.setTimeout(900_000);
  const tb = await hardwareWith('hardware-impossible.yaml',
    '{ maxOutageMs: 1, maxLossPct: 100, maxReconvergenceMs: 100000, maxRttStepMs: 1000 }');
  const out = join(WORK, 'reports-impossible');
  const r = await vmmi(['run', '--config', SUITE, '--testbed', tb, '--out', out]);
  expect(r.code, r.out).toBe(1);
  expect(r.out).toMatch(/THRESHOLD FAILED: .*threshold maxOutageMs/);
  const junit = await readFile(join(out, 'junit.xml'), 'utf8');
  expect(junit).toMatch(/<failure /);
  expect(junit).toMatch(/threshold maxOutageMs \(loss_derived_ms ≤ 1 ms, testbed defaults\.thresholds\.maxOutageMs\) FAILED: loss_derived_ms = \d+(\.\d+)? ms &gt; 1 ms/);
  expect(junit).toMatch(/method loss-derived[^,]*, resolution [\d.]+ ms, clock /);
  const verdicts = (await readFile(join(out, (await import('node:fs')).readdirSync(out)
    .find((d) => /^\d{4}-/.test(d)) ?? '', 'verdicts.csv'), 'utf8')).trim().split('\n');
  expect(verdicts[0]).toMatch(/^scope,scenario,run_id/);
  expect(verdicts.filter((l) => l.includes(',maxOutageMs,') && l.includes(',fail,')).length).toBeGreaterThanOrEqual(2);
});

test('a probe host whose link is down makes vmmi run exit 3 with ERRORED', async () => {
  test.setTimeout(900_000);
  const down = await run(['ip', '-n', `${PREFIX}-client`, 'link', 'set', 'eth0', 'down'], 10_000);
  expect(down.code, down.out).toBe(0);
  try {
    const out = join(WORK, 'reports-link-down');
    const r = await vmmi(['run', '--config', SUITE, '--testbed', join(DIR, 'hardware.yaml'), '--out', out]);
    expect(r.code, r.out).toBe(3);
    expect(r.out).toMatch(/ERRORED: .*ERRORED measurement/);
    expect(r.out).not.toMatch(/THRESHOLD FAILED/);
    const junit = await readFile(join(out, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/ERRORED measurement/);
  } finally {
    await run(['ip', '-n', `${PREFIX}-client`, 'link', 'set', 'eth0', 'up'], 10_000);
  }
});
