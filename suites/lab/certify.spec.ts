/**
 * `vmmi certify` on the emulated lab, as root: the CI variant of nvo3-vmmi@1 (every scenario of the
 * profile, each repeated as its `ci:` section says) writes a signed bundle; `vmmi certify verify`
 * passes on it; one byte changed in runs.csv makes verify fail naming runs.csv; an allowed-signers file
 * holding another key makes it fail on the signature. The lab gets its own prefix `vmmic` and
 * management addresses 198.19.4.x, so no other lab is touched; it is taken down afterwards.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { ownLabTestbed } from './own-lab.js';

const REPO = new URL('../..', import.meta.url).pathname;
const PREFIX = 'vmmic';
const DIR = `/var/lib/vmmi/lab/${PREFIX}`;
const WORK = mkdtempSync(join(tmpdir(), 'vmmic-certify-'));
const TB_FILE = join(WORK, 'local.yaml');
const OUT = join(WORK, 'certificates');

test.describe.configure({ mode: 'serial' });
test.skip(process.getuid?.() !== 0, 'the lab needs root');

interface Run { code: number | null; out: string; err: string; ms: number }

/** `vmmi ARGS` from the build (bin/vmmi.js), this lab's directory in the environment. */
function vmmi(args: readonly string[], timeoutMs: number): Promise<Run> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [`${REPO}/bin/vmmi.js`, ...args],
    { cwd: REPO, env: { ...process.env, VMMI_LAB_DIR: DIR }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('close', (code) => (clearTimeout(t), resolve({ code, out, err, ms: Date.now() - t0 })));
  });
}
const why = (what: string, r: Run): string => `${what} exited ${String(r.code)}\n${r.out}\n${r.err.slice(-4000)}`;
const lab = (sub: string, timeoutMs = 600_000): Promise<Run> =>
  vmmi(['lab', sub, '--testbed', TB_FILE, '--prefix', PREFIX], timeoutMs);

let bundle = '';

test.beforeAll(async () => {
  test.setTimeout(900_000);
  await ownLabTestbed(WORK, PREFIX, 4); // writes TB_FILE
  for (const k of ['signer', 'other']) {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${k}@vmmi-lab`, '-f', join(WORK, k)]);
    const pub = (await readFile(join(WORK, `${k}.pub`), 'utf8')).trim();
    await writeFile(join(WORK, `${k}.allowed`), `${k}@vmmi-lab namespaces="vmmi-certificate" ${pub}\n`);
  }
  const doctor = await lab('doctor');
  expect(doctor.code, why('lab doctor', doctor)).toBe(0);
  const up = await lab('up');
  expect(up.code, why('lab up', up)).toBe(0);
  test.info().annotations.push({ type: 'lab up', description: `${up.ms} ms` });
});

test.afterAll(async () => {
  test.setTimeout(600_000);
  try {
    const down = await lab('down');
    expect(down.code, why('lab down', down)).toBe(0);
  } finally {
    await rm(WORK, { recursive: true, force: true });
  }
});

test('certify --scale ci runs nvo3-vmmi@1 on the lab and writes a signed CI bundle', async () => {
  test.setTimeout(1_500_000);
  const r = await vmmi(['certify', '--profile', 'nvo3-vmmi@1', '--scale', 'ci', '--testbed', TB_FILE,
    '--sign-key', join(WORK, 'signer'), '--out', OUT], 1_400_000);
  test.info().annotations.push({ type: 'vmmi certify --scale ci', description: `${r.ms} ms, exit ${String(r.code)}` });
  console.log(r.out);
  // 0: every row passed; 1: a row failed or was inconclusive (named on the terminal). Either way a bundle.
  expect([0, 1], why('vmmi certify', r)).toContain(r.code);
  expect(r.out).toMatch(/^CI variant of nvo3-vmmi@1: (pass|fail|inconclusive).*; not a certificate$/m);
  const folders = await readdir(OUT);
  expect(folders, 'one bundle').toHaveLength(1);
  bundle = join(OUT, folders[0] as string);
  expect(folders[0]).toMatch(/^nvo3-vmmi@1-ci-/);
  for (const f of ['report/index.html', 'report/runs.csv', 'report/episodes.csv', 'report/timeline.csv',
    'report/manifest.json', 'verdicts.csv', 'profile.yaml', 'certificate.json', 'SHA256SUMS', 'SHA256SUMS.sig']) {
    expect(existsSync(join(bundle, f)), f).toBe(true);
  }
  const cert = JSON.parse(await readFile(join(bundle, 'certificate.json'), 'utf8')) as Record<string, unknown>;
  expect(cert).toMatchObject({ profile: 'nvo3-vmmi@1', scale: 'ci', granted: false, profilePublished: true });
  expect(await readFile(join(bundle, 'profile.yaml'), 'utf8'))
    .toBe(await readFile(join(REPO, 'profiles/nvo3-vmmi/1.yaml'), 'utf8'));
  const verdicts = (await readFile(join(bundle, 'verdicts.csv'), 'utf8')).trim().split('\n');
  console.log(verdicts.join('\n'));
  for (const t of ['outage-median', 'outage-p95', 'downtime-median', 'wan-rtt-step', 'roundabout-detour',
    'expect:refused-address-conflict']) {
    expect(verdicts.some((l) => l.includes(`,${t},`)), `a verdict row for ${t}`).toBe(true);
  }
  // The old site's roundabout is seen: from the new site's client the RTT after the tunnel's move carries two
  // WAN crossings (2 x 10 ms) that a local path would not.
  const detour = verdicts.find((l) => l.includes(',roundabout-detour,'))?.split(',')[5];
  expect(Number(detour), 'path RTT after the tunnel move, from the destination site').toBeGreaterThan(15);
  const runs = (await readFile(join(bundle, 'report/runs.csv'), 'utf8')).trim().split('\n');
  expect(runs.length, 'runs.csv: header and the attempts').toBeGreaterThan(8);
  expect(JSON.parse(await readFile(join(bundle, 'report/manifest.json'), 'utf8'))).toMatchObject({
    runner: { profile: 'nvo3-vmmi@1', scale: 'ci' } });
});

test('verify passes on the bundle; one changed byte of runs.csv is named; another key fails on the signature', async () => {
  test.setTimeout(120_000);
  test.skip(bundle === '', 'needs the bundle of the certify test');
  const verify = (signers: string): Promise<Run> =>
    vmmi(['certify', 'verify', bundle, '--allowed-signers', join(WORK, signers)], 60_000);
  const good = await verify('signer.allowed');
  expect(good.code, why('verify', good)).toBe(0);
  expect(good.out).toMatch(/signature: good \(signer@vmmi-lab\)/);
  const runsCsv = join(bundle, 'report/runs.csv');
  const original = await readFile(runsCsv);
  const changed = Buffer.from(original);
  changed[changed.length - 2] = (changed[changed.length - 2] as number) ^ 0x01;
  await writeFile(runsCsv, changed);
  const tampered = await verify('signer.allowed');
  expect(tampered.code, why('verify after the change', tampered)).toBe(1);
  expect(tampered.out).toContain('differs: report/runs.csv');
  expect(tampered.out).toMatch(/signature: good/);
  await writeFile(runsCsv, original);
  const other = await verify('other.allowed');
  expect(other.code, why('verify with another key', other)).toBe(1);
  expect(other.out).toMatch(/signature: BAD: /);
  expect(other.out).not.toMatch(/^(differs|missing|extra):/m);
});
