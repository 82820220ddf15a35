/**
 * The PostgreSQL history against a real server (history-pg-server.ts: initdb in a temp directory, unix
 * socket only, password authentication): concurrent labs lose no rows, and a report read from PostgreSQL
 * is the report read from SQLite holding the same records.
 */
import { expect, test } from '@playwright/test';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLEET_ATTEMPTS, FLEET_WRITERS, fleetRecord } from './history-fleet.js';
import {
  buildReportModel, HistoryStore, openHistory, readHistories, renderEpisodesCsv, renderRunsCsv, renderTimelineCsv,
  sampleManifest, sampleRecord, VmmiReporter,
} from './history-imports.js';
import { pgSkipReason, startPgServer, type PgServer } from './history-pg-server.js';

const skip = pgSkipReason();
test.skip(skip !== null, skip ?? '');
test.describe.configure({ mode: 'serial' });

const WRITER = fileURLToPath(new URL('./history-writer.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

let pg: PgServer | undefined;
test.beforeAll(async () => {
  test.setTimeout(90_000);
  pg = await startPgServer();
});
test.afterEach(async () => {
  const info = test.info();
  if (info.status !== info.expectedStatus && pg !== undefined) {
    const log = await pg.log();
    await info.attach('server.log', { body: log, contentType: 'text/plain' });
    console.error(`PostgreSQL server log:\n${log}`);
  }
});
test.afterAll(async () => {
  await pg?.stop();
});
const server = (): PgServer => pg as PgServer;

interface Writer { readonly child: ChildProcessWithoutNullStreams; stdout: string; stderr: string;
  readonly ready: Promise<void>; readonly done: Promise<number | null> }

/** One lab: a real node process writing through the store module (history-writer.ts). */
function startWriter(url: string, w: number): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, url, String(w), String(FLEET_ATTEMPTS)],
    { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  const state = { child, stdout: '', stderr: '' } as Writer;
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      state.stdout += d.toString();
      if (state.stdout.includes('ready\n')) resolve();
    });
    child.on('close', () => reject(new Error(`writer ${w} exited before it was ready: ${state.stderr}`)));
  });
  child.stderr.on('data', (d: Buffer) => (state.stderr += d.toString()));
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  return Object.assign(state, { ready, done });
}

test('4 labs × 200 attempts written at the same time: exactly 800 rows, none lost', async () => {
  test.setTimeout(120_000);
  await server().createDb('fleet');
  const url = server().url('fleet');
  // all four open (and race to migrate) the new database, then are released together
  const writers = Array.from({ length: FLEET_WRITERS }, (_, w) => startWriter(url, w));
  const kill = setTimeout(() => writers.forEach((x) => x.child.kill('SIGKILL')), 100_000);
  try {
    await Promise.all(writers.map((x) => x.ready));
    const t0 = Date.now();
    for (const x of writers) x.child.stdin.end('go\n');
    const codes = await Promise.all(writers.map((x) => x.done));
    const wallMs = Date.now() - t0;
    expect(codes, writers.map((x) => x.stderr).join('\n')).toEqual(Array(FLEET_WRITERS).fill(0));
    const reports = writers.map((x) => JSON.parse(x.stdout.split('\n').find((l) => l.startsWith('{')) as string) as
      { writer: number; appended: number; ms: number });
    const line = `${FLEET_WRITERS}×${FLEET_ATTEMPTS} appends in ${wallMs} ms (per writer: ${reports.map((r) => r.ms).join(', ')} ms)`;
    test.info().annotations.push({ type: 'writers', description: line });
    console.log(line);
  } finally {
    clearTimeout(kill);
  }
  const store = await openHistory(url, { readonly: true });
  try {
    const rows = await store.query();
    expect(rows.skipped).toEqual([]);
    expect(rows.records).toHaveLength(FLEET_WRITERS * FLEET_ATTEMPTS);
    expect(new Set(rows.records.map((r) => `${r.runId}#${r.attempt}`)).size).toBe(800);
    // every attempt arrived whole: exactly the records the writers built, in start-time order
    const expected = Array.from({ length: FLEET_ATTEMPTS }, (_, k) =>
      Array.from({ length: FLEET_WRITERS }, (_, w) => fleetRecord(w, k))).flat();
    expect(rows.records).toEqual(expected);
    expect((await store.suites()).map((s) => s.suiteId).sort()).toEqual(['suite-w0', 'suite-w1', 'suite-w2', 'suite-w3']);
  } finally {
    await store.close();
  }
  expect(await server().psql('fleet', "SELECT count(*) FROM runs")).toBe('800\n');
  expect(await server().psql('fleet', "SELECT value FROM meta WHERE key = 'schema_version'")).toBe('1\n');
});

test('the report from PostgreSQL is the report from SQLite holding the same records', async () => {
  // tmpfs where there is one: 800 appends each fsynced (synchronous=FULL) cost ~1.5 s on disk, nothing here
  const dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'vmmi-pg-vs-sqlite-'));
  try {
    const file = join(dir, 'history.sqlite');
    const sqlite = HistoryStore.open(file);
    for (let k = 0; k < FLEET_ATTEMPTS; k++) for (let w = 0; w < FLEET_WRITERS; w++) sqlite.append(fleetRecord(w, k), `suite-w${w}`);
    for (let w = 0; w < FLEET_WRITERS; w++)
      sqlite.putSuite(`suite-w${w}`, sampleManifest({ startedWall: fleetRecord(w, 0).startedWall }));
    sqlite.close();
    const url = server().url('fleet');
    const fromPg = await readHistories([url], undefined);
    const fromSqlite = await readHistories([file], undefined);
    expect(fromPg.records).toHaveLength(800);
    expect(fromPg.records).toEqual(fromSqlite.records);
    expect(fromPg.suites).toEqual(fromSqlite.suites);
    const since = Date.parse('2026-11-10T00:00:00Z');
    expect((await readHistories([url], since)).records).toEqual((await readHistories([file], since)).records);
    const model = (m: typeof fromPg) => buildReportModel(m.records, { generatedWall: '2026-12-01T00:00:00.000Z',
      manifest: m.suites[0]?.manifest ?? null, history: [], title: 'fleet' });
    const a = model(fromPg);
    const b = model(fromSqlite);
    expect(a).toEqual(b);
    expect(a.scenarios.length).toBeGreaterThan(3);
    expect(renderRunsCsv(a.runs)).toBe(renderRunsCsv(b.runs));
    expect(renderRunsCsv(a.runs).trim().split('\n')).toHaveLength(801);
    expect(renderEpisodesCsv(a.runs)).toBe(renderEpisodesCsv(b.runs));
    expect(renderTimelineCsv(a.runs)).toBe(renderTimelineCsv(b.runs));
    // both at once: every attempt is in both stores, so each counts once
    const both = await readHistories([url, file], undefined);
    expect(both.records).toEqual(fromSqlite.records);
    expect(both.duplicates).toBe(800);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the reporter writes to the store VMMI_HISTORY_URL names', async () => {
  await server().createDb('reporter');
  const url = server().url('reporter');
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-pg-reporter-'));
  const before = process.env.VMMI_HISTORY_URL;
  process.env.VMMI_HISTORY_URL = url;
  try {
    const r = new VmmiReporter({ outputDir: dir });
    type Args<K extends 'onBegin' | 'onTestEnd' | 'onEnd'> = Parameters<VmmiReporter[K]>;
    r.onBegin({ version: 'test', workers: 1, shard: null, projects: [] } as unknown as Args<'onBegin'>[0],
      {} as Args<'onBegin'>[1]);
    const t = { id: 't1', titlePath: () => ['t1'] } as unknown as Args<'onTestEnd'>[0];
    r.onTestEnd(t, { retry: 0, attachments: [{ name: 'run', contentType: 'application/vnd.vmmi.measurement+json',
      body: Buffer.from(JSON.stringify(sampleRecord({ runId: 'via-env' }))) }] } as unknown as Args<'onTestEnd'>[1]);
    expect(await r.onEnd({ status: 'passed' } as Args<'onEnd'>[0])).toBeUndefined();
    await r.onExit();
    const rows = await readHistories([url], undefined);
    expect(rows.records.map((x) => x.runId)).toEqual(['via-env']);
    expect(rows.suites).toHaveLength(1);
  } finally {
    if (before === undefined) delete process.env.VMMI_HISTORY_URL;
    else process.env.VMMI_HISTORY_URL = before;
    await rm(dir, { recursive: true, force: true });
  }
});

test('a wrong password is refused without printing either password; a newer schema is refused', async () => {
  const wrong = 'not-the-Password-4711';
  const url = server().url('fleet').replace(encodeURIComponent(server().password), wrong);
  const e = await openHistory(url, { connectTimeoutMs: 10_000 }).then(() => null, (x: unknown) => x) as
    Error & { code?: string } | null;
  expect(e?.code).toBe('CONNECTION');
  expect(e?.message).toMatch(/password authentication failed/);
  expect(e?.message).toContain('postgresql://vmmi:***@/fleet');
  for (const secret of [wrong, server().password]) {
    expect(e?.message).not.toContain(secret);
    expect(String(e?.stack)).not.toContain(secret);
  }
  await server().createDb('future');
  await (await openHistory(server().url('future'))).close();
  await server().psql('future', "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
  await expect(openHistory(server().url('future'))).rejects
    .toThrow(/history schema version 99 is newer than this vmmi supports \(1\)/);
  await expect(openHistory(server().url('future'), { readonly: true })).rejects.toThrow(/version 99 is newer/);
});
