import { expect, test } from '@playwright/test';
import Database from 'better-sqlite3';
import { gunzipSync } from 'node:zlib';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EVIL, MALFORMED_SPEC, cleanup, runGeneratedProject, runVmmiReport, type GeneratedRun,
} from './generated-project.js';

/**
 * Runs Playwright on a generated project whose specs record RunRecords through vmmi's attachments API
 * and checks what vmmi's reporter wrote: CSV columns and values, the HTML, the manifest, the history.
 */

test.describe.configure({ mode: 'serial' });

let gen: GeneratedRun | undefined;

test.beforeAll(async () => {
  test.setTimeout(150_000);
  gen = await runGeneratedProject();
});
test.afterAll(async () => {
  await cleanup(gen?.dir);
});

/** Minimal RFC 4180 reader (quoted fields, doubled quotes, \n records). */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries((head ?? []).map((h, i) => [h, r[i] ?? ''])));
}

async function csvOf(name: string): Promise<{ header: string[]; rows: Record<string, string>[] }> {
  const text = await readFile(join((gen as GeneratedRun).reportDir, name), 'utf8');
  return { header: (text.split('\n')[0] ?? '').split(','), rows: parseCsv(text) };
}

test('the reporter writes one report folder and says where it is', async () => {
  const g = gen as GeneratedRun;
  expect(g.exitCode, `stdout:\n${g.stdout}\nstderr:\n${g.stderr}`).toBe(0);
  expect((await readdir(g.reportDir)).sort()).toEqual([
    'episodes.csv',
    'index.html',
    'manifest.json',
    'runs.csv',
    'statistics.csv',
    'timeline.csv',
    'verdicts.csv',
  ]);
  expect(g.stdout).toContain(`HTML     ${join(g.reportDir, 'index.html')}`);
  expect(g.stdout).toContain(`CSV      ${join(g.reportDir, 'runs.csv')}`);
  expect(g.stderr).not.toContain('vmmi reporter:');
});

test('runs.csv: stable columns and one row per migration attempt, retries shown', async () => {
  const { header, rows } = await csvOf('runs.csv');
  expect(header.slice(0, 11)).toEqual([
    'run_id',
    'started_wall',
    'scenario',
    'strategy',
    'vm',
    'source',
    'destination',
    'address_family',
    'hypervisor_downtime_ms',
    'hypervisor_downtime_ms_method',
    'hypervisor_downtime_ms_resolution_ms',
  ]);
  expect(header).toContain('iterations_resolution_ms');
  expect(header.slice(-18)).toEqual(['verdict', 'reported_verdict', 'health', 'health_reasons', 'attempt', 'attempt_of',
    'unstable', 'conformance_ok', 'conformance_violations', 'decomposition', 'episodes', 'error',
    'memory_integrity', 'memory_integrity_detail', 'thresholds', 'path_via_old_site', 'path_hops', 'arp_nd_suppression']);
  expect(rows.map((r) => r.run_id)).toEqual(['cur-same', 'cur-evil', 'cur-wan-0', 'cur-wan-1', 'cur-errored']);
  const by = Object.fromEntries(rows.map((r) => [r.run_id, r]));
  expect(by['cur-same']).toMatchObject({
    scenario: 'same-subnet/l2/ipv4',
    strategy: 'l2',
    hypervisor_downtime_ms: '190.5',
    hypervisor_downtime_ms_method: 'qemu-job-stats',
    hypervisor_downtime_ms_resolution_ms: '1',
    loss_derived_ms: '193.5',
    verdict: 'pass',
    health: 'ok',
    attempt: '1',
    attempt_of: '1',
    unstable: 'false',
  });
  expect(by['cur-evil']).toMatchObject({ source: EVIL, scenario: 'cross-subnet/host-route-static/ipv4' });
  expect(by['cur-wan-0']).toMatchObject({ scenario: 'wan/host-route-bgp/ipv6/wan_delay_ms=30', address_family: 'ipv6',
    verdict: 'fail', attempt: '1', attempt_of: '2', unstable: 'true' });
  expect(by['cur-wan-1']).toMatchObject({ verdict: 'pass', attempt: '2', attempt_of: '2', unstable: 'true' });
  expect(by['cur-errored']).toMatchObject({ verdict: 'errored', reported_verdict: 'pass', health: 'errored',
    health_reasons: 'flow peer-a → vm: no baseline traffic before the trigger' });
});

test('episodes.csv and timeline.csv: every episode and event', async () => {
  const eps = await csvOf('episodes.csv');
  expect(eps.header).toEqual([
    'run_id',
    'scenario',
    'attempt',
    'flow',
    'start_ms',
    'end_ms',
    'duration_ms',
    'first_seq',
    'last_seq',
    'lost',
  ]);
  expect(eps.rows).toHaveLength(10);
  expect(eps.rows.find((e) => e.run_id === 'cur-wan-1')).toMatchObject({
    start_ms: '620',
    end_ms: '1060',
    duration_ms: '440',
    attempt: '2',
  });
  const tl = await csvOf('timeline.csv');
  expect(tl.rows).toHaveLength(40);
  expect(tl.rows.filter((e) => e.kind === 'RESUMED').map((e) => e.t_ms)).toEqual(['810.5', '821', '830', '830', '800']);
});

interface ManifestJson {
  schema: string;
  vmmi: { version: string; gitCommit: string | null };
  testbed: { file: string | null; sha256: string | null };
  devices: { device: string }[];
  migrationParameters: Record<string, unknown>;
  insecureHostKeys: string[];
  endedWall: string | null;
  runner: Record<string, unknown>;
}

test('manifest.json: version, commit, testbed hash, device versions, parameters', async () => {
  const m = JSON.parse(await readFile(join((gen as GeneratedRun).reportDir, 'manifest.json'), 'utf8')) as ManifestJson;
  expect(m.schema).toBe('vmmi.run-manifest/1');
  expect(m.vmmi.version).toBe('0.1.0');
  expect(m.vmmi.gitCommit).toMatch(/^[0-9a-f]{40}$/);
  expect(m.testbed.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(m.testbed.file).toBe(join((gen as GeneratedRun).dir, 'testbed.yaml'));
  expect(m.devices.map((d) => d.device)).toEqual([EVIL, 'hv1']);
  expect(m.migrationParameters).toEqual({ max_downtime_ms: 300, bandwidth_mib_s: 4096 });
  expect(m.insecureHostKeys).toEqual(['torA']);
  expect(m.endedWall).not.toBeNull();
  expect(m.runner.status).toBe('passed');
});

test('index.html: scenario summary, attempts, escaped hostile name, change point from history', async () => {
  const h = await readFile(join((gen as GeneratedRun).reportDir, 'index.html'), 'utf8');
  expect(h).toContain('<h1>generated project report</h1>');
  expect(h.match(/<tr id="attempt-\d+" class="att row-/g)).toHaveLength(5);
  expect(h).not.toContain(EVIL);
  expect(h).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  expect(h).toContain('same-subnet/l2/ipv4');
  expect(h).toMatch(/first run after the shift: <strong>night-08<\/strong>/);
  // the drill-downs (with the retried attempt marked unstable) are stored gzip-compressed in the page
  const lazy = JSON.parse(/<script type="application\/json" id="vmmi-lazy">([\s\S]*?)<\/script>/.exec(h)?.[1] ?? 'null') as
    { encoding: string; chunks: string[] };
  expect(lazy.encoding).toBe('gzip');
  const drills = lazy.chunks.flatMap((c) => JSON.parse(gunzipSync(Buffer.from(c, 'base64')).toString('utf8')) as string[]);
  expect(drills).toHaveLength(5);
  expect(drills.join('')).toContain('unstable: attempt 1 of 2');
});

test('history keeps every attempt plus the seeded nights; vmmi report regenerates from it', async () => {
  const g = gen as GeneratedRun;
  const db = new Database(g.historyFile, { readonly: true });
  const n = db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number };
  db.close();
  expect(n.n).toBe(14 + 5);
  const r = await runVmmiReport(['--since', '10.5d', '--history', g.historyFile, '--out', join(g.dir, 'regen')], g.dir);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/vmmi report: 14 attempt\(s\)/);
  const folder = (await readdir(join(g.dir, 'regen')))[0] as string;
  const rows = parseCsv(await readFile(join(g.dir, 'regen', folder, 'runs.csv'), 'utf8'));
  // 9 seeded nights fall inside 10.5 days (nights 6..14, 10..2 days old), plus the 5 current attempts
  expect(rows.filter((x) => (x.run_id ?? '').startsWith('night-'))).toHaveLength(9);
  const bad = await runVmmiReport(['--since', 'last tuesday', '--history', g.historyFile], g.dir);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--since "last tuesday" is neither an ISO time nor an age');
});

test('a malformed measurement fails the run loudly instead of vanishing from the report', async () => {
  test.setTimeout(150_000);
  const bad = await runGeneratedProject({ spec: MALFORMED_SPEC });
  try {
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(
      /vmmi reporter: record\.spec\.ts › broken fixture: params: expected an object, got undefined/,
    );
    // the report is still written (with the valid data: none here)
    expect((await readdir(bad.reportDir)).sort()).toContain('runs.csv');
  } finally {
    await cleanup(bad.dir);
  }
});
