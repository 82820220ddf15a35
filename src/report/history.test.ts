import { expect, test } from '@playwright/test';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleManifest, sampleRecord } from '../../test/fixtures/report/sample-records.js';
import { HISTORY_SCHEMA_VERSION, HistoryStore, SqliteHistory } from './history.js';

let dir = '';
test.beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'vmmi-history-')); });
test.afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

test('appended runs are visible to a second connection at once and come back in time order', () => {
  const file = join(dir, 'sub', 'history.sqlite');
  const w = HistoryStore.open(file);
  w.append(sampleRecord({ runId: 'b', startedWall: '2026-11-02T06:00:00.000Z' }), 'suite-1');
  w.append(sampleRecord({ runId: 'a', startedWall: '2026-11-01T06:00:00.000Z' }), 'suite-1');
  // a reader opened while the writer is still open (a crash would leave exactly this on disk)
  const r = HistoryStore.open(file);
  expect(r.query().records.map((x) => x.runId)).toEqual(['a', 'b']);
  expect(r.query({ sinceMs: Date.parse('2026-11-02T00:00:00Z') }).records.map((x) => x.runId)).toEqual(['b']);
  expect(r.query({ scenario: 'nope' }).records).toEqual([]);
  expect(r.query().records[0]).toEqual(sampleRecord({ runId: 'a', startedWall: '2026-11-01T06:00:00.000Z' }));
  r.close();
  w.close();
});

test('the same run id + attempt replaces; suites keep their manifest', () => {
  const file = join(dir, 'h.sqlite');
  const s = HistoryStore.open(file);
  s.append(sampleRecord({ runId: 'a' }));
  s.append(sampleRecord({ runId: 'a', verdict: 'fail' }));
  s.append(sampleRecord({ runId: 'a', attempt: 2, attemptOf: 2 }));
  expect(s.query().records.map((r) => `${r.attempt}:${r.verdict}`)).toEqual(['1:fail', '2:pass']);
  s.putSuite('suite-1', sampleManifest({ endedWall: null }));
  s.putSuite('suite-1', sampleManifest());
  expect(s.suites()).toHaveLength(1);
  expect(s.suites()[0]!.manifest.endedWall).toBe('2026-11-25T06:20:00.000Z');
  expect(s.schemaVersion()).toBe(HISTORY_SCHEMA_VERSION);
  s.close();
});

test('a corrupt row is reported as skipped, not dropped silently', () => {
  const file = join(dir, 'h.sqlite');
  const s = HistoryStore.open(file);
  s.append(sampleRecord({ runId: 'good' }));
  s.close();
  const raw = new Database(file);
  raw.prepare(`INSERT INTO runs (run_id, attempt, started_wall, started_ms, scenario, strategy, vm, verdict, health,
    record_json) VALUES ('bad', 1, '2026-11-25T06:00:00Z', 0, 's', 's', 'v', 'pass', 'ok', '{"runId":"bad"}')`).run();
  raw.close();
  const q = HistoryStore.open(file).query();
  expect(q.records.map((r) => r.runId)).toEqual(['good']);
  expect(q.skipped).toHaveLength(1);
  expect(q.skipped[0]!.error).toMatch(/params: expected an object/);
});

test('a history file from a newer schema is refused with a typed error', () => {
  const file = join(dir, 'h.sqlite');
  const raw = new Database(file);
  raw.exec(
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '99')",
  );
  raw.close();
  expect(() => HistoryStore.open(file)).toThrow(/schema version 99 is newer/);
  try {
    HistoryStore.open(join(dir, 'missing-dir-is-created', 'x.sqlite')).close();
    // parent "directory" is a regular file: open must fail with a typed error
    HistoryStore.open(join(file, 'h.sqlite'));
  } catch (e) {
    expect((e as { code?: string }).code).toBe('REPORT');
    return;
  }
  throw new Error('expected a ReportError');
});

test('read-only: reads a file a writer holds open, never creates one, refuses a file that is no history', async () => {
  const file = join(dir, 'h.sqlite');
  const w = HistoryStore.open(file);
  w.append(sampleRecord({ runId: 'a' }), 'suite-1');
  const r = await SqliteHistory.open(file, { readonly: true });
  expect((await r.query()).records.map((x) => x.runId)).toEqual(['a']);
  await expect(r.append(sampleRecord({ runId: 'b' }))).rejects.toThrow(/readonly/);
  expect(r.target).toBe(file);
  await r.close();
  w.close();
  expect(() => HistoryStore.open(join(dir, 'missing.sqlite'), { readonly: true })).toThrow(/cannot open history/);
  const other = join(dir, 'other.sqlite');
  new Database(other).exec('CREATE TABLE x (a)');
  expect(() => HistoryStore.open(other, { readonly: true })).toThrow(/not a vmmi history file/);
});
