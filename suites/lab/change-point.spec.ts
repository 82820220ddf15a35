/**
 * A change point found in a real lab history: six short suite runs (`vmmi run` of a one-scenario suite,
 * suites/lab/trend-suite) write one history; the WAN's one-way delay is raised before the fourth.
 * `vmmi report --per run --window 3 --fail-on-change-point` exits 1 and names the shift: the metric,
 * the scenario and the run it starts at. Prefix `vmmiw` and management addresses 198.19.6.x.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const REPO = new URL('../..', import.meta.url).pathname;
const PREFIX = 'vmmiw';
const DIR = `/var/lib/vmmi/lab/${PREFIX}`;
const WORK = mkdtempSync(join(tmpdir(), 'vmmiw-'));
const LAB_TB = join(WORK, 'local.yaml');
const SUITE = join(REPO, 'suites/lab/trend-suite/playwright.config.ts');
const NIGHTS = [2, 2, 2, 80, 80, 80] as const;

test.describe.configure({ mode: 'serial' });
test.skip(process.getuid?.() !== 0, 'the lab needs root');

interface Run { code: number | null; out: string }
function vmmi(args: readonly string[], timeoutMs: number, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/vmmi.js'), ...args], { cwd: WORK,
      env: { ...process.env, ...env, VMMI_PROGRESS: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => (clearTimeout(t), done({ code, out })));
  });
}

test.beforeAll(async () => {
  test.setTimeout(900_000);
  const text = await readFile(join(REPO, 'testbeds/local.yaml'), 'utf8');
  for (const s of ['  prefix: vmmi\n', '  dir: /var/lib/vmmi/lab/vmmi\n', '198.19.0.']) expect(text).toContain(s);
  await writeFile(LAB_TB, text.replace('  prefix: vmmi\n', `  prefix: ${PREFIX}\n`)
    .replace('  dir: /var/lib/vmmi/lab/vmmi\n', `  dir: ${DIR}\n`).replaceAll('198.19.0.', '198.19.6.'));
  const doctor = await vmmi(['lab', 'doctor', '--testbed', LAB_TB], 300_000);
  expect(doctor.code, doctor.out).toBe(0);
});

test.afterAll(async () => {
  test.setTimeout(300_000);
  await vmmi(['lab', 'down', '--testbed', LAB_TB], 300_000);
  rmSync(WORK, { recursive: true, force: true });
});

test('six short runs, the WAN delay raised before the fourth: the report exits 1 naming the shift', async () => {
  test.setTimeout(2_400_000);
  const reports = join(WORK, 'reports');
  const starts: number[] = [];
  for (const [i, delay] of NIGHTS.entries()) {
    starts.push(Date.now());
    const r = await vmmi(['run', '--config', SUITE, '--testbed', LAB_TB, '--out', reports], 600_000,
      { VMMI_TREND_WAN_DELAY_MS: String(delay) });
    expect(r.code, `run ${i + 1} (WAN ${delay} ms): ${r.out.slice(-3000)}`).toBe(0);
  }
  const history = join(reports, 'history.sqlite');
  const steady = await vmmi(['report', '--history', history, '--out', join(WORK, 'r0'), '--per', 'run', '--window', '3',
    '--fail-on-change-point', '--since', new Date((starts[3] as number) - 1000).toISOString()], 120_000);
  // the last three runs alone are too short a series to judge: no shift, exit 0
  expect(steady.code, steady.out).toBe(0);
  expect(steady.out).toMatch(/no change point/);
  const r = await vmmi(['report', '--history', history, '--out', join(WORK, 'r1'), '--per', 'run', '--window', '3',
    '--fail-on-change-point'], 120_000);
  expect(r.code, r.out).toBe(1);
  const lines = r.out.split('\n').filter((l) => l.startsWith('change point: '));
  const rtt = lines.find((l) => /^change point: rtt_after_ms in cross-subnet\/host-route-static\/ipv4 from the run of /.test(l));
  expect(rtt, r.out).toBeDefined();
  const at = Date.parse(/from the run of (\S+):/.exec(rtt ?? '')?.[1] ?? '');
  // named at the fourth run: the first with the longer WAN
  expect(at).toBeGreaterThanOrEqual(starts[3] as number);
  expect(at).toBeLessThan(starts[4] as number);
  expect(rtt).toMatch(/median [\d.]+ ms → [\d.]+ ms \(\+[\d.]+ ms, 6 runs\)/);
});
