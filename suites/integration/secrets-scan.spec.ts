/**
 * A secret placed in a testbed by reference (`${env:…}` and `${file:…}`) never appears in the output of
 * `vmmi testbed show|validate`, in the errors of failing connections that use it (closed loopback port;
 * a real sshd that rejects the password), in logs (the sshd log, the CLI's stderr, the errors as a log
 * line would print them) or in any file the report writer puts under a temporary reports dir. Every
 * output file is scanned byte-wise for the secret in UTF-8, UTF-16LE, hex and base64.
 */
import { expect, test } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { sampleRecord } from '../../test/fixtures/report/sample-records.js';
/* eslint-disable no-restricted-imports -- internals checked directly, outside the public API (src/index.ts) */
import { runLocal } from '../../src/exec/local.js';
import { isVmmiError } from '../../src/errors/vmmi-error.js';
import { freePort, startPrivateSshd, type PrivateSshd } from '../../test/helpers/private-sshd.js';
import { loadTestbed } from '../../src/inventory/load.js';
import type { Switch, Testbed } from '../../src/model/testbed.js';
import { collectControllerManifest } from '../../src/playwright/manifest.js';
import { buildReportModel } from '../../src/report/model.js';
import { mergeManifestFacts } from '../../src/report/record.js';
import { writeReport } from '../../src/report/write.js';
import { insecureHostKeyConnections, sshConnect } from '../../src/transports/ssh.js';
/* eslint-enable no-restricted-imports */

const REPO = join(import.meta.dirname, '../..');
const SECRET_ENV = `vmmiEnvSecret${randomBytes(12).toString('hex')}`;
const SECRET_FILE = `vmmiFileSecret${randomBytes(12).toString('hex')}`;

/** Every encoding of a secret the scan looks for. */
function needles(secret: string): { name: string; bytes: Buffer }[] {
  return [
    { name: 'utf8', bytes: Buffer.from(secret, 'utf8') },
    { name: 'utf16le', bytes: Buffer.from(secret, 'utf16le') },
    { name: 'hex', bytes: Buffer.from(Buffer.from(secret).toString('hex')) },
    { name: 'base64', bytes: Buffer.from(Buffer.from(secret).toString('base64').replace(/=+$/, '').slice(0, -2)) },
  ];
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Byte-wise scan of every file under `dir`; returns `file: secret/encoding` for each hit. */
async function scan(dir: string): Promise<{ files: number; bytes: number; hits: string[] }> {
  const hits: string[] = [];
  let bytes = 0;
  const files = await filesUnder(dir);
  for (const f of files) {
    const b = await readFile(f);
    bytes += b.length;
    for (const [label, secret] of [['env', SECRET_ENV], ['file', SECRET_FILE]] as const) {
      for (const n of needles(secret)) if (b.includes(n.bytes)) hits.push(`${f}: ${label} secret as ${n.name}`);
    }
  }
  return { files: files.length, bytes, hits };
}

let work = '';
let outputs = '';
let sshd: PrivateSshd | undefined;

test.beforeAll(async () => {
  test.setTimeout(60_000);
  work = await mkdtemp(join(tmpdir(), 'vmmi-secrets-'));
  outputs = join(work, 'outputs');
  await runLocal(['mkdir', '-p', outputs]);
  sshd = await startPrivateSshd({ passwordAuth: true });
});

test.afterAll(async () => {
  await sshd?.stop();
  if (work !== '') await rm(work, { recursive: true, force: true });
});

async function writeTestbed(): Promise<string> {
  const mini = await readFile(join(REPO, 'test/fixtures/testbeds/good-mini.yaml'), 'utf8');
  await writeFile(join(work, 'switch-password'), `${SECRET_FILE}\n`, { mode: 0o600 });
  const text = mini
    .replace('${env:VMMI_TEST_PW}', '${env:VMMI_SECRET_PW}')
    .replace(
      'torB: { group: tors, site: b, address: 198.19.0.6 }',
      'torB: { group: tors, site: b, address: 198.19.0.6, credentials: { username: root, password: "${file:switch-password}" } }',
    );
  expect(text).toContain('${file:switch-password}');
  const file = join(work, 'secret-testbed.yaml');
  await writeFile(file, text);
  return file;
}

async function connectError(sw: Switch, port: number, sshdRef: PrivateSshd): Promise<Error> {
  const e = await sshConnect({ name: sw.name, host: '127.0.0.1', port, credentials: sw.credentials,
    hostKey: { kind: 'fingerprint', sha256: sshdRef.hostKey.fingerprint } }, { timeoutMs: 15_000 }).then(
    (c) => {
      c.close();
      throw new Error(`${sw.name}: connected although the password is wrong`);
    },
    (err: unknown) => err as Error,
  );
  expect(isVmmiError(e)).toBe(true);
  return e;
}

/** Everything a log line or a terminal could show of an error, cause chain included. */
function errorTexts(e: Error): string {
  return [e.message, String(e), e.stack ?? '', inspect(e, { depth: 10, showHidden: true }), JSON.stringify(e)].join(
    '\n---\n',
  );
}

test('a referenced secret never reaches CLI output, connection errors, logs or report files', async () => {
  test.setTimeout(60_000);
  const s = sshd as PrivateSshd;
  const file = await writeTestbed();
  const env = { VMMI_SECRET_PW: SECRET_ENV };

  // 1. vmmi testbed show / validate (a valid file) and show on a broken copy (issues on stderr).
  const cli = async (name: string, args: string[]): Promise<void> => {
    const r = await runLocal(['node', join(REPO, 'bin/vmmi.js'), 'testbed', ...args], { timeoutMs: 30_000, env });
    await writeFile(join(outputs, `${name}.stdout`), r.stdout);
    await writeFile(join(outputs, `${name}.stderr`), r.stderr);
  };
  await cli('show', ['show', file]);
  await cli('validate', ['validate', file]);
  const broken = join(work, 'broken.yaml');
  await writeFile(broken, (await readFile(file, 'utf8')).replace('address: 198.19.0.6', 'address: 198.19.0.300'));
  await cli('show-broken', ['show', broken]);
  const shown = await readFile(join(outputs, 'show.stdout'), 'utf8');
  expect(shown).toContain('${env:VMMI_SECRET_PW}');
  expect(shown).toContain('${file:switch-password}');
  expect(await readFile(join(outputs, 'show-broken.stderr'), 'utf8')).toContain('198.19.0.300');

  // 2. Failing connections using each secret: closed loopback port, then a real sshd rejecting it.
  const tb: Testbed = await loadTestbed(file, { env });
  const torA = tb.switches.find((x) => x.name === 'torA') as Switch;
  const torB = tb.switches.find((x) => x.name === 'torB') as Switch;
  expect(torA.credentials.password?.reveal()).toBe(SECRET_ENV);
  // The loader keeps the file's trailing newline in the revealed value (reported separately).
  expect(torB.credentials.password?.reveal()).toContain(SECRET_FILE);
  const closed = await freePort();
  const errors: Error[] = [];
  for (const sw of [torA, torB]) {
    const refused = await connectError(sw, closed, s);
    expect((refused as Error & { code: string }).code).toBe('CONNECTION');
    const rejected = await connectError(sw, s.port, s);
    expect((rejected as Error & { code: string }).code).toBe('AUTH');
    errors.push(refused, rejected);
  }
  await writeFile(join(outputs, 'errors.log'), errors.map(errorTexts).join('\n====\n'));
  await writeFile(join(outputs, 'sshd.log'), await readFile(s.logFile));
  expect(await readFile(s.logFile, 'utf8')).toMatch(/Failed password for root/);

  // 3. A report whose manifest carries the testbed (file, hash, devices, parameters, the resolved
  //    testbed itself) and whose errored run carries the authentication error.
  const base = await collectControllerManifest({ startedWall: '2026-11-25T06:00:00.000Z', testbedFile: file,
    runner: { testbed: JSON.stringify(tb), inspected: inspect(tb, { depth: 12 }) } });
  const manifest = mergeManifestFacts(base, {
    devices: tb.switches.map((sw, i) => ({
      device: sw.name,
      role: sw.role,
      versions: {},
      error: errors[i * 2 + 1]?.message ?? '',
    })),
    migrationParameters: { ...tb.migration },
    insecureHostKeys: [...insecureHostKeyConnections()],
  });
  const runs = [
    sampleRecord({ runId: 'run-ok' }),
    sampleRecord({
      runId: 'run-auth',
      verdict: 'errored',
      error: errors[1]?.message ?? '',
      startedWall: '2026-11-25T06:01:00.000Z',
    }),
  ];
  const model = buildReportModel(runs, { generatedWall: '2026-11-25T06:02:00.000Z', manifest });
  const paths = await writeReport(model, { outDir: join(outputs, 'reports'), now: new Date('2026-11-25T06:02:00Z') });
  expect(await readFile(paths.manifest, 'utf8')).toContain('secret-testbed.yaml');
  expect(await readFile(paths.html, 'utf8')).toContain('run-auth');

  // 4. Scan. A control file proves the scanner finds each secret in each encoding.
  const control = join(work, 'control');
  await runLocal(['mkdir', '-p', control]);
  for (const n of needles(SECRET_ENV))
    await writeFile(join(control, `env-${n.name}`), Buffer.concat([Buffer.from('x'), n.bytes]));
  expect((await scan(control)).hits).toHaveLength(4);
  const result = await scan(outputs);
  console.log(
    `secrets scan: ${result.files} files, ${result.bytes} bytes under ${outputs}, ${result.hits.length} hit(s)`,
  );
  expect(result.files).toBeGreaterThanOrEqual(13);
  expect(result.hits).toEqual([]);
});
