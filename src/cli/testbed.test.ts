import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const repo = join(import.meta.dirname, '../..');
const run = async (
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const r = await promisify(execFile)('node', [join(repo, 'bin/vmmi.js'), ...args], {
      cwd: repo,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
};

test('validate exits 0 for the shipped testbeds', async () => {
  for (const f of ['testbeds/local.yaml', 'testbeds/examples/physical.yaml']) {
    const r = await run(['testbed', 'validate', f]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('valid');
  }
});

test('validate exits 2 with file:line:col  path: message and no stack trace', async () => {
  const r = await run(['testbed', 'validate', 'test/fixtures/testbeds/bad/unknown-link-device.yaml'], {
    VMMI_TEST_PW: 'x-secret-x',
  });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/unknown-link-device\.yaml:\d+:\d+ {2}links\[1\]\.endpoints\[1\]: unknown device "leaf9"/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const missing = await run(['testbed', 'validate', 'no/such/file.yaml']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('cannot read testbed file');
});

test('show prints the resolved model with secrets as references only', async () => {
  const secret = 'SHOW-ME-NOT-9f8e7d';
  const r = await run(['testbed', 'show', 'test/fixtures/testbeds/good-mini.yaml'], { VMMI_TEST_PW: secret });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('${env:VMMI_TEST_PW}');
  expect(r.stdout + r.stderr).not.toContain(secret);
  expect(JSON.parse(r.stdout).switches[0].credentials.username).toBe('root');
});

test('help and usage errors', async () => {
  expect((await run(['--help'])).code).toBe(0);
  expect((await run(['testbed', '--help'])).stdout).toContain('vmmi testbed validate FILE');
  expect((await run(['testbed', 'frobnicate', 'x'])).code).toBe(2);
  expect((await run(['nosuchcommand'])).code).toBe(2);
  const schema = await run(['testbed', 'schema']);
  expect(JSON.parse(schema.stdout).type).toBe('object');
});
