import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sampleManifest, sampleRecord } from '../../test/fixtures/report/sample-records.js';
import { HistoryStore } from '../report/history.js';
import type { RunRecord } from '../report/record.js';
import { parseReportArgs, parseSince, readHistories, reportCommand, type ReportArgs } from './report.js';

const NOW = Date.parse('2026-11-25T07:00:00Z');

test('--since accepts ISO times and ages in days or hours', () => {
  expect(parseSince('7d', NOW)).toBe(NOW - 7 * 86_400_000);
  expect(parseSince('12h', NOW)).toBe(NOW - 12 * 3_600_000);
  expect(parseSince('2026-11-01', NOW)).toBe(Date.parse('2026-11-01'));
  expect(() => parseSince('last week', NOW)).toThrow(/neither an ISO time nor an age/);
});

test('options: defaults, --x=v and --x v forms, repeated --history, unknown options are usage errors', () => {
  expect(parseReportArgs([], NOW)).toEqual({ sinceMs: undefined, history: [resolve('reports/history.sqlite')],
    out: 'reports', failOnChangePoint: false, per: 'night', window: undefined });
  expect(parseReportArgs(['--since=1d', '--history', 'h.sqlite', '--out', 'o', '--fail-on-change-point'], NOW))
    .toEqual({ sinceMs: NOW - 86_400_000, history: [resolve('h.sqlite')], out: 'o', failOnChangePoint: true,
      per: 'night', window: undefined });
  expect(parseReportArgs(['--per', 'run', '--window', '3'], NOW)).toMatchObject({ per: 'run', window: 3 });
  expect(() => parseReportArgs(['--per', 'week'], NOW)).toThrow(/--per "week": takes night .* or run/);
  expect(() => parseReportArgs(['--window', '1'], NOW)).toThrow(/--window "1": takes the points on each side/);
  const url = 'postgresql://vmmi:pw@/vmmi?host=/run/pg';
  const stores = (args: string[], env = {}): unknown => (parseReportArgs(args, NOW, env) as ReportArgs).history;
  expect(stores(['--history', 'a.sqlite', '--history', url])).toEqual([resolve('a.sqlite'), url]);
  // VMMI_HISTORY_URL is the default store; an explicit --history wins
  expect(stores([], { VMMI_HISTORY_URL: url })).toEqual([url]);
  expect(stores(['--history', 'a.sqlite'], { VMMI_HISTORY_URL: url })).toEqual([resolve('a.sqlite')]);
  expect(parseReportArgs(['--help'], NOW)).toBe('help');
  expect(() => parseReportArgs(['--since'], NOW)).toThrow(/--since needs a value/);
  try {
    parseReportArgs(['--format', 'pdf'], NOW);
    throw new Error('expected a UsageError');
  } catch (e) {
    expect((e as { code?: string }).code).toBe('USAGE');
  }
});

let dir = '';
test.beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'vmmi-report-cli-')); });
test.afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

function history(name: string, records: readonly RunRecord[], suite?: string): string {
  const file = join(dir, name);
  const h = HistoryStore.open(file);
  for (const r of records) h.append(r, suite ?? null);
  if (suite !== undefined) h.putSuite(suite, sampleManifest({ startedWall: records[0]?.startedWall ?? '' }));
  h.close();
  return file;
}

/** Runs the command with console output captured. */
async function vmmiReport(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await reportCommand.run(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

test('two shards\' files merge into one report; an attempt in both counts once; a missing file is named', async () => {
  const shared = sampleRecord({ runId: 'shared', startedWall: '2026-11-20T06:00:00.000Z' });
  const a = history('a.sqlite', [sampleRecord({ runId: 'a1', startedWall: '2026-11-20T05:00:00.000Z' }), shared],
    'suite-a');
  const b = history('b.sqlite', [shared, sampleRecord({ runId: 'b1', startedWall: '2026-11-21T05:00:00.000Z' }),
    sampleRecord({ runId: 'b1', attempt: 2, attemptOf: 2, startedWall: '2026-11-21T05:10:00.000Z' })], 'suite-b');
  const merged = await readHistories([a, b], undefined);
  expect(merged.records.map((r) => `${r.runId}#${r.attempt}`)).toEqual(['a1#1', 'shared#1', 'b1#1', 'b1#2']);
  expect(merged.duplicates).toBe(1);
  expect(merged.suites.map((s) => s.suiteId)).toEqual(['suite-b', 'suite-a']);
  const r = await vmmiReport(['--history', a, '--history', b, '--out', join(dir, 'out')]);
  expect(r.code).toBe(0);
  expect(r.out).toContain(`4 attempt(s) from ${a} + ${b} (all history, 1 duplicate(s) counted once)`);
  const csv = readFileSync(/CSV {2}(\S+)/.exec(r.out)?.[1] as string, 'utf8').trim().split('\n');
  expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(['a1', 'shared', 'b1', 'b1']);
  const missing = join(dir, 'nope.sqlite');
  await expect(vmmiReport(['--history', a, '--history', missing])).rejects
    .toMatchObject({ code: 'USAGE', message: expect.stringContaining(`history file ${missing} does not exist`) });
});

/** 14 nights of 3 attempts each; from night `stepAt` on the hypervisor downtime is `after` ms. */
function nights(stepAt: number | null, after = 420): RunRecord[] {
  const out: RunRecord[] = [];
  for (let n = 0; n < 14; n++) {
    const day = `2026-11-${String(10 + n).padStart(2, '0')}`;
    for (let k = 0; k < 3; k++) {
      const jitter = ((n * 7 + k * 3) % 5) - 2; // ±2 ms night-to-night noise
      out.push(sampleRecord({ runId: `r${n}-${k}`, startedWall: `${day}T0${k + 1}:00:00.000Z`,
        downtimeMs: (stepAt !== null && n >= stepAt ? after : 180) + jitter }));
    }
  }
  return out;
}

test('--fail-on-change-point: a step in the nightly medians exits 1 naming metric, scenario and night', async () => {
  const file = history('step.sqlite', nights(9), 'suite-1');
  const r = await vmmiReport(['--history', file, '--out', join(dir, 'out'), '--fail-on-change-point']);
  expect(r.code).toBe(1);
  const lines = r.out.split('\n').filter((l) => l.startsWith('change point: '));
  expect(lines).toContainEqual(expect.stringMatching(
    /^change point: hypervisor_downtime_ms in cross-subnet\/host-route-static\/ipv4 from night 2026-11-19: median 18\d ms → 4[12]\d ms \(\+2\d\d ms, 14 nights\)$/));
  expect(r.out).not.toContain('no change point');
  // without the flag the same history is only a report
  expect((await vmmiReport(['--history', file, '--out', join(dir, 'out')])).code).toBe(0);
});

test('--fail-on-change-point: flat nights exit 0 and say "no change point"', async () => {
  const file = history('flat.sqlite', nights(null), 'suite-1');
  const r = await vmmiReport(['--history', file, '--out', join(dir, 'out'), '--fail-on-change-point']);
  expect(r.code).toBe(0);
  expect(r.out).toContain(`vmmi report: no change point in ${file} (all history)`);
  expect(r.out).not.toContain('change point: ');
});
