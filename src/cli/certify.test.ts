import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repo } from '../../test/helpers/vmmi-cli.js';
import { writeSums } from '../certify/bundle.js';
import { signFile } from '../certify/ssh-sign.js';
import { createCertifyCommand } from './certify.js';

let root = '';
test.beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmmi-certify-cli-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ci@vmmi', '-f', join(root, 'key')]);
  await writeFile(join(root, 'allowed'), `ci@vmmi ${(await readFile(join(root, 'key.pub'), 'utf8')).trim()}\n`);
});
test.afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The command with an opener that must never be reached, its console captured. */
async function certify(args: string[]): Promise<{ code: number; out: string; err: string; opened: boolean }> {
  let opened = false;
  const cmd = createCertifyCommand(() => {
    opened = true;
    return Promise.reject(new Error('opened'));
  });
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await cmd.run(args), out: out.join('\n'), err: err.join('\n'), opened };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('usage: --profile and --sign-key are required, --scale takes only ci, a profile is NAME@VERSION', async () => {
  await expect(certify(['--sign-key', 'k'])).rejects.toThrow(/--profile NAME@VERSION and --sign-key KEY are required/);
  await expect(certify(['--profile', 'nvo3-vmmi@1', '--sign-key', 'k', '--scale', 'tiny']))
    .rejects.toThrow(/--scale "tiny": the only variant is ci/);
  await expect(certify(['--profile', 'nvo3-vmmi', '--sign-key', 'k'])).rejects.toThrow(/expected NAME@VERSION/);
  await expect(certify(['--profile', 'nvo3-vmmi@1', '--sign-key', 'k', '--bogus']))
    .rejects.toThrow(/unknown option --bogus; options: --profile, --testbed, --sign-key, --out, --scale, --help/);
  expect((await certify(['verify', join(root, 'x')])).code).toBe(2);
});

test('a testbed without what the profile requires is refused before anything moves, naming each gap', async () => {
  process.env.VMMI_TEST_PW = 'x';
  const tb = join(repo, 'test/fixtures/testbeds/good-mini.yaml');
  const r = certify(['--profile', 'nvo3-vmmi@1', '--testbed', tb, '--sign-key', join(root, 'key')]);
  await expect(r).rejects.toThrow(/testbed "mini" does not offer what nvo3-vmmi@1 requires \(nothing was moved\):\n {2}- IPv6: no IPv6 subnet at b\n {2}- a traffic host at the destination-site \(b\)/);
});

test('verify: an intact signed bundle exits 0; a changed file exits 1 and is named', async () => {
  const dir = join(root, 'bundle');
  await mkdir(join(dir, 'report'), { recursive: true });
  await writeFile(join(dir, 'report/runs.csv'), 'a,b\n1,2\n');
  await writeFile(join(dir, 'verdicts.csv'), 'x\n');
  await writeSums(dir);
  await signFile(join(dir, 'SHA256SUMS'), join(root, 'key'));
  const good = await certify(['verify', dir, '--allowed-signers', join(root, 'allowed')]);
  expect(good.code, good.out).toBe(0);
  expect(good.out).toContain('intact, 2 file(s) checked, signature good');
  await appendFile(join(dir, 'report/runs.csv'), '3,4\n');
  const bad = await certify(['verify', dir, '--allowed-signers', join(root, 'allowed')]);
  expect(bad.code).toBe(1);
  expect(bad.out).toContain('differs: report/runs.csv');
  expect(bad.opened).toBe(false);
});
