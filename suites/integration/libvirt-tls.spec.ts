/**
 * The tls transport against a real libvirtd (test driver) listening on TLS with a throw-away CA:
 * client certificate from `?pkipath=`, server identity checked against the CA and the IP SAN; a
 * wrong CA is refused unless `no_verify=1`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { type LibvirtdHandle, LibvirtRpcDriver, startLibvirtd } from './libvirt-imports.js';

test.describe.configure({ mode: 'serial' });
const run = promisify(execFile);
const TLS_PORT = 16611;
let root: string;
let daemon: LibvirtdHandle | undefined;

/** CA + leaf certificate signed by it (EC P-256: fast to generate). */
async function makeCa(dir: string, cn: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'cacert.pem'), '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}
async function makeLeaf(ca: string, dir: string, name: string, ext: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.ext`), ext);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, `${name}key.pem`), '-out', join(dir, `${name}.csr`), '-subj', `/CN=vmmi-${name}`]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    join(dir, `${name}.csr`),
    '-CA',
    join(ca, 'cacert.pem'),
    '-CAkey',
    join(ca, 'ca.key'),
    '-CAcreateserial',
    '-out',
    join(dir, `${name}cert.pem`),
    '-days',
    '2',
    '-extfile',
    join(dir, `${name}.ext`),
  ]);
}

test.beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vmmi-tls-'));
  const ca = join(root, 'ca');
  await makeCa(ca, 'vmmi test CA');
  await makeLeaf(ca, join(root, 'server'), 'server',
    'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
  await makeLeaf(ca, join(root, 'client'), 'client',
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
  await run('cp', [join(ca, 'cacert.pem'), join(root, 'client', 'cacert.pem')]);
  // A client whose CA does not match the server's.
  await makeCa(join(root, 'other'), 'other CA');
  await makeLeaf(join(root, 'other'), join(root, 'other'), 'client', 'extendedKeyUsage=clientAuth\n');
  daemon = await startLibvirtd({
    dir: join(root, 'daemon'), hostUuid: '6c61622d-6876-4000-8000-0000000000c1', driver: 'test',
    tls: { port: TLS_PORT, caFile: join(ca, 'cacert.pem'), certFile: join(root, 'server', 'servercert.pem'),
      keyFile: join(root, 'server', 'serverkey.pem') },
  });
});

test.afterAll(async () => {
  await daemon?.stop();
  if (root !== undefined) await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

test('tls with a client certificate from pkipath: handshake, calls and events work', async () => {
  expect(daemon?.tlsUri).toBe(`test+tls://127.0.0.1:${TLS_PORT}/default`);
  const d = await LibvirtRpcDriver.connect(`${daemon?.tlsUri}?pkipath=${join(root, 'client')}`, { host: 'tls' });
  try {
    expect(await d.state('test')).toMatchObject({ state: 'running' });
    expect(await d.libVersion()).toBeGreaterThan(0);
  } finally {
    await d.close();
  }
});

test('a server certificate from another CA is refused; no_verify=1 skips the check', async () => {
  const other = join(root, 'other');
  await expect(LibvirtRpcDriver.connect(`${daemon?.tlsUri}?pkipath=${other}`)).rejects.toMatchObject({
    code: 'CONNECTION',
  });
  // The server still verifies the client: present the right client certificate, skip only our check of the server.
  const d = await LibvirtRpcDriver.connect(`${daemon?.tlsUri}?pkipath=${join(root, 'client')}&no_verify=1`);
  await d.close();
  // no_verify does not make the daemon accept a client certificate from a foreign CA.
  const refused = await LibvirtRpcDriver.connect(`${daemon?.tlsUri}?pkipath=${other}&no_verify=1`, {
    timeoutMs: 10_000,
  }).catch((e: unknown) => e);
  expect(refused).toMatchObject({ code: 'CONNECTION' });
  console.log(`foreign client certificate: ${String(refused)}`);
});
