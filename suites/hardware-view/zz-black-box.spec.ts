/**
 * The last spec of the `hardware-view` project: the emulated lab driven as a black box. `vmmi migrate`
 * on the lab's hardware.yaml runs one measured migration through management interfaces only and
 * prints one JSON object; and no vmmi process of this project tried to enter a network namespace
 * (the run-time guard refuses and records every attempt in VMMI_NETNS_AUDIT, also in child processes
 * and where a caller swallowed the refusal).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { expect, namespaceEntryForbidden, refusedNamespaceEntries, test } from '../../src/index.js';
import { hardwareTestbedFile } from './hardware-file.js';

interface MigrateJson {
  verdict: string;
  runId: string;
  timelineFile: string;
  families: Record<string, Record<string, { value: number | null; method: string; resolutionMs: number | null }>>;
}

/** `vmmi ARGS` from the built package (bin/vmmi.js), as a user runs it; resolves with exit code and output. */
function vmmi(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/vmmi.js', ...args], { timeout: 300_000, maxBuffer: 16 << 20 }, (e, stdout, stderr) =>
      resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : 1, stdout, stderr }));
  });
}

test('vmmi migrate vm1 --to hv3 on hardware.yaml: one JSON object, migrated, per-family gap_tx_ms', async ({
  testbed, opened, migrate, locate,
}) => {
  expect(testbed.lab, 'the project runs on the lab described as hardware').toBeUndefined();
  expect(opened.access.via).toMatch(/management interfaces/);
  expect(namespaceEntryForbidden(), 'the guard is armed while the hardware testbed is open').toBe(true);
  if ((await locate('vm1')) === 'hv3') {
    expect((await migrate({ vm: 'vm1', to: 'hv1', strategy: 'host-route-static' })).result.verdict).toBe('migrated');
  }
  const r = await vmmi(['migrate', 'vm1', '--to', 'hv3', '--testbed', hardwareTestbedFile(), '--json']);
  expect(r.code, r.stderr.slice(-2000)).toBe(0);
  const out = JSON.parse(r.stdout) as MigrateJson;
  expect(out.verdict).toBe('migrated');
  for (const family of ['4', '6']) {
    const gap = out.families[family]?.gap_tx_ms;
    expect(gap?.value, `IPv${family} gap_tx_ms`).toEqual(expect.any(Number));
    expect(gap?.method).toMatch(/\S/);
    expect(gap?.resolutionMs).toEqual(expect.any(Number));
  }
  const timeline = JSON.parse(await readFile(out.timelineFile, 'utf8')) as { runId: string; events: unknown[] };
  expect(timeline.runId).toBe(out.runId);
  expect(timeline.events.length).toBeGreaterThan(10);
  expect((await migrate({ vm: 'vm1', to: 'hv1', strategy: 'host-route-static' })).result.verdict).toBe('migrated');
});

test('no vmmi process of this project entered a network namespace', async ({ opened }) => {
  void opened;
  expect(refusedNamespaceEntries()).toBe(0);
  const audit = process.env.VMMI_NETNS_AUDIT;
  expect(audit, 'the project sets VMMI_NETNS_AUDIT').toMatch(/\S/);
  const lines = await readFile(audit as string, 'utf8').then((t) => t.trim().split('\n').filter((l) => l !== ''),
    () => [] as string[]);
  expect(lines, 'namespace entries refused while a hardware testbed was open').toEqual([]);
});
