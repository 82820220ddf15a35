import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test, expect } from '@playwright/test';
import { loadTestbed } from '../inventory/load.js';
import { ensureLabPki, hvCertAddresses, labPkiComplete, serverExtensions } from './lab-pki.js';
import { controllerPkiDir, hvPkiDir, labPkiDir } from './lab-pki-paths.js';
import { planLab, type LabPlan } from './topology.js';

const run = promisify(execFile);
const LOCAL = new URL('../../testbeds/local.yaml', import.meta.url).pathname;
let dir = '';
let plan: LabPlan;

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmmi-pki-'));
  plan = planLab(await loadTestbed(LOCAL, { labPrefix: 'vmmiu', labDir: dir, env: {} }), { assetsDir: '/a' });
});
test.afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a hypervisor certificate names its lab address and its management address', () => {
  const hv1 = plan.hypervisors.find((h) => h.name === 'hv1');
  if (hv1 === undefined) throw new Error('no hv1');
  expect(hvCertAddresses(plan, hv1)).toEqual(['198.18.10.11', '198.19.0.26']);
  expect(serverExtensions(['198.18.10.11', '198.19.0.26'])).toBe(
    'subjectAltName=IP:198.18.10.11,IP:198.19.0.26\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
});

test('ensureLabPki makes one CA, server and client identities that verify against it, keys 0600; a second call keeps them', async () => {
  expect(await labPkiComplete(plan)).toBe(false);
  expect(await ensureLabPki(plan, { timeoutMs: 60_000 })).toBe(true);
  expect(await labPkiComplete(plan)).toBe(true);
  const ca = join(labPkiDir(plan), 'ca', 'cacert.pem');
  const serials = new Set<string>();
  const verify = async (cert: string) => (await run('openssl', ['verify', '-CAfile', ca, cert], { timeout: 10_000 })).stdout;
  for (const hv of plan.hypervisors) {
    const d = hvPkiDir(hv);
    expect(await verify(join(d, 'servercert.pem'))).toContain(': OK');
    expect(await verify(join(d, 'clientcert.pem'))).toContain(': OK');
    const text = (await run('openssl', ['x509', '-in', join(d, 'servercert.pem'), '-noout', '-ext', 'subjectAltName'],
      { timeout: 10_000 })).stdout;
    expect(text).toContain(`IP Address:${hv.address}`);
    // Leaves are no CA (libvirtd refuses a server certificate whose basic constraints show one).
    for (const c of ['servercert.pem', 'clientcert.pem']) {
      const x = await run('openssl', ['x509', '-in', join(d, c), '-noout', '-ext', 'basicConstraints', '-serial'],
        { timeout: 10_000 });
      expect(x.stdout, c).toMatch(/CA:FALSE/);
      serials.add(/serial=(\w+)/.exec(x.stdout)?.[1] ?? '');
    }
    for (const f of ['serverkey.pem', 'clientkey.pem']) expect((await stat(join(d, f))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(d, 'cacert.pem'), 'utf8')).toBe(await readFile(ca, 'utf8'));
  }
  expect(serials.size).toBe(2 * plan.hypervisors.length); // random serials, issued in parallel: all distinct
  expect(await verify(join(controllerPkiDir(plan), 'clientcert.pem'))).toContain(': OK');
  expect((await stat(join(labPkiDir(plan), 'ca', 'cakey.pem'))).mode & 0o777).toBe(0o600);
  const before = await readFile(ca, 'utf8');
  expect(await ensureLabPki(plan, { timeoutMs: 60_000 })).toBe(false);
  expect(await readFile(ca, 'utf8')).toBe(before);
  // A missing piece replaces the whole set (a new CA): no identity of an old CA survives next to a new one.
  await rm(join(hvPkiDir(plan.hypervisors[0] as LabPlan['hypervisors'][number]), 'clientkey.pem'));
  expect(await ensureLabPki(plan, { timeoutMs: 60_000 })).toBe(true);
  expect(await readFile(ca, 'utf8')).not.toBe(before);
});
