import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds and runs a small Playwright project in a temp dir whose specs record synthetic but structurally
 * real RunRecords through vmmi's attachments API, with vmmi's reporter configured. A global setup seeds
 * the history database with 14 earlier nightly runs (a downtime shift at night 8) so trends and change
 * points are exercised. The project references vmmi's sources by absolute path (it is generated, not
 * part of the suite), and its node_modules is a link to the repository's.
 */

export const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const EVIL = '<script>alert(1)</script>';

const src = (p: string): string => JSON.stringify(join(REPO, p));

const CONFIG = `import { defineConfig } from '@playwright/test';
export default defineConfig({
  testDir: '.', testMatch: '*.spec.ts', workers: 1, retries: 1, timeout: 30000,
  globalSetup: './seed-history.ts',
  reporter: [[${src('src/playwright/reporter.ts')}, { outputDir: 'out', historyFile: 'out/history.sqlite',
    title: 'generated project report', testbedFile: 'testbed.yaml' }]],
});
`;

const SEED = `import { HistoryStore } from ${src('src/report/history.js')};
import { sampleRecord } from ${src('test/fixtures/report/sample-records.js')};
export default function seed(): void {
  const h = HistoryStore.open('out/history.sqlite');
  const day = 86400000;
  for (let i = 0; i < 14; i++) {
    h.append(sampleRecord({
      runId: 'night-' + String(i + 1).padStart(2, '0'),
      startedWall: new Date(Date.now() - (15 - i) * day).toISOString(),
      params: { topology: 'same-subnet', strategy: 'l2', addressFamily: 'ipv4' },
      downtimeMs: (i < 7 ? 180 : 320) + ((i * 7) % 5) * 3, networkMs: 3,
    }), 'seed');
  }
  h.close();
}
`;

/** A spec that attaches a measurement that is not a valid RunRecord (a broken fixture). */
export const MALFORMED_SPEC = `import { test } from '@playwright/test';
import { MEASUREMENT_CONTENT_TYPE } from ${src('src/playwright/attachments.js')};
test('broken fixture', async ({}, testInfo) => {
  await testInfo.attach('bad', { body: Buffer.from('{"runId":"x"}'), contentType: MEASUREMENT_CONTENT_TYPE });
});
`;

const SPEC = `import { test } from '@playwright/test';
import { recordManifestFacts, recordRun } from ${src('src/playwright/attachments.js')};
import { sampleRecord } from ${src('test/fixtures/report/sample-records.js')};
const EVIL = ${JSON.stringify(EVIL)};
const now = Date.now();
const at = (s: number): string => new Date(now + s * 1000).toISOString();

test('same subnet', async ({}, testInfo) => {
  await recordManifestFacts(testInfo, {
    devices: [{ device: EVIL, role: 'switch', versions: { nos: 'frr 8.4.4' } },
      { device: 'hv1', role: 'hypervisor', versions: { libvirt: '9.0.0', qemu: '7.2.0', kernel: '6.1.0' } }],
    migrationParameters: { max_downtime_ms: 300, bandwidth_mib_s: 4096 }, probeParameters: { rate_pps: 1000 },
    insecureHostKeys: ['torA'],
  });
  await recordRun(testInfo, sampleRecord({ runId: 'cur-same', startedWall: at(1), downtimeMs: 190.5, networkMs: 3,
    params: { topology: 'same-subnet', strategy: 'l2', addressFamily: 'ipv4' } }));
});

test('cross subnet from a device with a hostile name', async ({}, testInfo) => {
  await recordRun(testInfo, sampleRecord({ runId: 'cur-evil', startedWall: at(2), source: EVIL, downtimeMs: 201 }));
});

test('wan bgp ipv6, flaky first attempt', async ({}, testInfo) => {
  await recordRun(testInfo, sampleRecord({ runId: 'cur-wan-' + testInfo.retry, startedWall: at(3 + testInfo.retry),
    params: { topology: 'wan', strategy: 'host-route-bgp', addressFamily: 'ipv6', variant: { wan_delay_ms: 30 } },
    downtimeMs: 210, networkMs: 230, verdict: testInfo.retry === 0 ? 'fail' : 'pass' }));
  if (testInfo.retry === 0) throw new Error('guest unresponsive after migration (synthetic)');
});

test('no baseline traffic', async ({}, testInfo) => {
  await recordRun(testInfo, sampleRecord({ runId: 'cur-errored', startedWall: at(6), verdict: 'pass', health: 'errored',
    healthReasons: ['flow peer-a → vm: no baseline traffic before the trigger'],
    params: { topology: 'cross-subnet', strategy: 'host-route-bgp', addressFamily: 'ipv4' } }));
});
`;

export interface GeneratedRun {
  readonly dir: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The single report folder the reporter wrote under `<dir>/out`. */
  readonly reportDir: string;
  readonly historyFile: string;
}

function run(
  argv: readonly string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  // A clean environment: the outer Playwright run's worker variables must not leak into the inner one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(PW_|PLAYWRIGHT_|TEST_)/.test(k)));
  return new Promise((done) => {
    execFile(
      argv[0] as string,
      argv.slice(1),
      { cwd, env, timeout: timeoutMs, maxBuffer: 8 << 20 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        done({ code, stdout, stderr });
      },
    );
  });
}

export interface GeneratedOptions {
  /** Spec file text replacing the default specs. */
  readonly spec?: string;
  readonly timeoutMs?: number;
}

/** Generates the project in a fresh temp dir and runs it; the caller removes `dir` (see `cleanup`). */
export async function runGeneratedProject(o: GeneratedOptions = {}): Promise<GeneratedRun> {
  const timeoutMs = o.timeoutMs ?? 100_000;
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-report-e2e-'));
  await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await mkdir(join(dir, 'out'));
  await writeFile(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  await writeFile(join(dir, 'testbed.yaml'), 'name: generated\n');
  await writeFile(join(dir, 'playwright.config.ts'), CONFIG);
  await writeFile(join(dir, 'seed-history.ts'), SEED);
  await writeFile(join(dir, 'record.spec.ts'), o.spec ?? SPEC);
  const cli = join(REPO, 'node_modules', '@playwright', 'test', 'cli.js');
  const r = await run([process.execPath, cli, 'test', '-c', join(dir, 'playwright.config.ts')], dir, timeoutMs);
  const folders = (await readdir(join(dir, 'out'), { withFileTypes: true })).filter((d) => d.isDirectory());
  if (folders.length !== 1) {
    throw new Error(`expected one report folder, found ${folders.length}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  return {
    dir,
    exitCode: r.code,
    stdout: r.stdout,
    stderr: r.stderr,
    reportDir: join(dir, 'out', (folders[0] as { name: string }).name),
    historyFile: join(dir, 'out', 'history.sqlite'),
  };
}

/** Runs `vmmi report` (the repository's bin) with the given arguments. */
export function runVmmiReport(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return run([process.execPath, join(REPO, 'bin', 'vmmi.js'), 'report', ...args], cwd, 60_000);
}

export async function cleanup(dir: string | undefined): Promise<void> {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}
