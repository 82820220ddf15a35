import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleRecord } from '../../test/fixtures/report/sample-records.js';
import { repo } from '../../test/helpers/vmmi-cli.js';
import type { RunManifest } from '../report/record.js';
import { listBundle } from './bundle.js';
import { verifyBundle } from './bundle-verify.js';
import { statementOf, writeBundle, type Certificate } from './bundle-write.js';
import { loadProfile } from './profile-load.js';
import { atScale } from './profile-types.js';
import { decide, verdictRows } from './verdicts.js';

let root = '';
test.beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmmi-bundle-write-'));
});
test.afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const counts = { failed: 0, inconclusive: 0, notMeasured: 0, passed: 9 };

test('the statement: only the full, published profile with every row passed is a certificate', () => {
  const base = { profile: 'nvo3-vmmi@1', scale: 'full' as const, profilePublished: true, result: 'pass' as const, counts };
  expect(statementOf(base)).toBe('certified: nvo3-vmmi@1, every threshold passed');
  expect(statementOf({ ...base, result: 'inconclusive', counts: { ...counts, inconclusive: 2, notMeasured: 1 } }))
    .toBe('not certified: 2 inconclusive, 1 not measured');
  expect(statementOf({ ...base, scale: 'ci' })).toBe('CI variant of nvo3-vmmi@1: pass; not a certificate');
  expect(statementOf({ ...base, profilePublished: false })).toMatch(/draft \(unpublished\) profile: not a certificate/);
});

test('writeBundle: report, verdicts, profile, certificate, SHA256SUMS and a signature that verify accepts', async () => {
  const loaded = await loadProfile('nvo3-vmmi@1', join(repo, 'profiles'));
  const profile = atScale(loaded.profile, 'ci');
  const params = (fam: 'ipv4' | 'ipv6') => ({ topology: 'cross-subnet', strategy: 'host-route-static',
    addressFamily: fam, variant: { profile: 'nvo3-vmmi@1', scenario: 'cross-subnet' } });
  const records = [sampleRecord({ params: params('ipv4') }), sampleRecord({ params: params('ipv6'), downtimeMs: 200 })];
  const run = { records, expectations: [], broken: [] };
  const rows = verdictRows(profile, run);
  const { result, ...c } = decide(rows);
  const certificate: Certificate = {
    schema: 'vmmi.certificate/1', profile: 'nvo3-vmmi@1', profileSha256: loaded.sha256, profilePublished: true,
    scale: 'ci', variant: 'ci', testbed: { name: 't', file: null, sha256: null }, startedWall: '2026-12-07T15:00:00Z',
    endedWall: '2026-12-07T15:05:00Z', result, counts: c, granted: false,
    statement: statementOf({ profile: 'nvo3-vmmi@1', scale: 'ci', profilePublished: true, result, counts: c }),
  };
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'w@vmmi', '-f', join(root, 'key')]);
  await writeFile(join(root, 'allowed'), `w@vmmi ${(await readFile(join(root, 'key.pub'), 'utf8')).trim()}\n`);
  const dir = await writeBundle({ outDir: join(root, 'out'), loaded, scale: 'ci', records,
    manifest: null as unknown as RunManifest, rows, certificate, signKey: join(root, 'key'),
    now: new Date('2026-12-07T15:05:00Z') });
  expect(dir).toBe(join(root, 'out', 'nvo3-vmmi@1-ci-2026-12-07T15-05-00Z'));
  const files = (await listBundle(dir)).files;
  expect(files).toEqual(expect.arrayContaining(['SHA256SUMS', 'SHA256SUMS.sig', 'certificate.json', 'profile.yaml',
    'report/episodes.csv', 'report/index.html', 'report/manifest.json', 'report/runs.csv', 'report/timeline.csv',
    'verdicts.csv']));
  expect(await readdir(join(root, 'out'))).toEqual(['nvo3-vmmi@1-ci-2026-12-07T15-05-00Z']);
  expect(await readFile(join(dir, 'profile.yaml'), 'utf8')).toBe(loaded.text);
  expect(await readFile(join(dir, 'report/index.html'), 'utf8')).toContain('CI variant, not a certificate');
  const v = await verifyBundle(dir, join(root, 'allowed'));
  expect(v.ok, v.lines.join('\n')).toBe(true);
  expect(v.files?.checked).toBe(files.length - 2);
});
