/**
 * Shards' blob reports merged by `playwright merge-reports` with vmmi's reporter: a tiny generated project
 * in a temp directory (node_modules linked to the repository's, vmmi's sources by absolute path) whose tests
 * attach synthetic records through the real attachment helpers (no lab) runs as shard 1/2 and 2/2, each
 * with only the blob reporter; merge-reports then replays both blobs through vmmi's reporter, which must
 * write one report and one history with both shards' records (a retried test's two attempts included).
 */
import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHistories } from './history-imports.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const src = (p: string): string => JSON.stringify(join(REPO, p));

const SHARD_CONFIG = `import { defineConfig } from '@playwright/test';
export default defineConfig({
  testDir: '.', testMatch: '*.spec.ts', workers: 1, retries: 1, timeout: 20000, fullyParallel: true,
  reporter: [['blob', { outputDir: process.env.BLOB_DIR }]],
});
`;

const MERGE_CONFIG = `export default {
  reporter: [[${src('src/playwright/reporter.ts')}, { outputDir: 'out', historyFile: 'out/history.sqlite' }]],
};
`;

const SPEC = `import { test } from '@playwright/test';
import { recordManifestFacts, recordRun } from ${src('src/playwright/attachments.js')};
import { sampleRecord } from ${src('test/fixtures/report/sample-records.js')};
const at = (m: number): string => new Date(Date.parse('2026-11-20T06:00:00.000Z') + m * 60000).toISOString();
const topologies = ['same-subnet', 'cross-subnet', 'wan', 'same-subnet'];
for (const [i, topology] of topologies.entries()) {
  test('move ' + i, async ({}, testInfo) => {
    await recordManifestFacts(testInfo, { migrationParameters: { max_downtime_ms: 300 } });
    await recordRun(testInfo, sampleRecord({ runId: 'move-' + i, startedWall: at(i * 10 + testInfo.retry),
      params: { topology, strategy: 'host-route-static', addressFamily: 'ipv4' }, downtimeMs: 180 + i,
      verdict: i === 3 && testInfo.retry === 0 ? 'fail' : 'pass' }));
    // the last test fails once: its two attempts must both reach the merged report
    if (i === 3 && testInfo.retry === 0) throw new Error('guest unresponsive after migration (synthetic)');
  });
}
`;

function run(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv):
  Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(argv[0] as string, argv.slice(1), { cwd, env, timeout: 60_000, maxBuffer: 8 << 20 },
      (err, stdout, stderr) => done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }));
  });
}

test('merge-reports over two shards\' blobs with vmmi\'s reporter: one report and one history with both shards', async () => {
  test.setTimeout(120_000);
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-merge-reports-'));
  try {
    await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await writeFile(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
    await writeFile(join(dir, 'playwright.config.ts'), SHARD_CONFIG);
    await writeFile(join(dir, 'merge.config.ts'), MERGE_CONFIG);
    await writeFile(join(dir, 'moves.spec.ts'), SPEC);
    // the outer run's worker variables and vmmi settings must not reach the inner runs
    const env = Object.fromEntries(Object.entries(process.env)
      .filter(([k]) => !/^(PW_|PLAYWRIGHT_|TEST_|VMMI_)/.test(k))) as NodeJS.ProcessEnv;
    const cli = join(REPO, 'node_modules', '@playwright', 'test', 'cli.js');
    await mkdir(join(dir, 'all-blobs'));
    for (const shard of [1, 2]) {
      const blobDir = join(dir, `blob-${shard}`);
      const r = await run([process.execPath, cli, 'test', '-c', 'playwright.config.ts', `--shard=${shard}/2`], dir,
        { ...env, BLOB_DIR: blobDir });
      // shard 2 holds the test that fails once and passes on retry (flaky: exit 0)
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      const blobs = (await readdir(blobDir)).filter((f) => f.endsWith('.zip'));
      expect(blobs).toHaveLength(1);
      await copyFile(join(blobDir, blobs[0] as string), join(dir, 'all-blobs', `shard-${shard}-${blobs[0] as string}`));
    }
    const merged = await run([process.execPath, cli, 'merge-reports', '-c', 'merge.config.ts', 'all-blobs'], dir, env);
    expect(merged.code, `${merged.stdout}\n${merged.stderr}`).toBe(0);
    expect(merged.stderr).not.toContain('vmmi reporter:');
    expect(merged.stdout).toContain('vmmi report (5 migration attempts)');
    const folders = (await readdir(join(dir, 'out'), { withFileTypes: true })).filter((d) => d.isDirectory());
    expect(folders).toHaveLength(1);
    const [header, ...rows] = (await readFile(join(dir, 'out', (folders[0] as { name: string }).name, 'runs.csv'),
      'utf8')).trim().split('\n').map((l) => l.split(','));
    const col = (name: string): number => (header as string[]).indexOf(name);
    // run id, attempt: every test of both shards, the retried one with both attempts
    expect(rows.map((c) => `${c[col('run_id')]}#${c[col('attempt')]}`).sort()).toEqual(['move-0#1', 'move-1#1', 'move-2#1', 'move-3#1', 'move-3#2']);
    const history = await readHistories([join(dir, 'out', 'history.sqlite')], undefined);
    expect(history.records.map((r) => `${r.runId}#${r.attempt}/${r.attemptOf}`).sort())
      .toEqual(['move-0#1/1', 'move-1#1/1', 'move-2#1/1', 'move-3#1/2', 'move-3#2/2']);
    expect(history.suites).toHaveLength(1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
