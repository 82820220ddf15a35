/**
 * The lab's TLS identities for libvirt: a CA made at `lab up` (one per lab, removed with the lab's state
 * by `lab down`), a server and a client certificate per hypervisor, and a client certificate for the
 * controller. The hypervisors' libvirtds listen only on TLS (libvirtd.conf from configs.ts): a
 * connection without a certificate signed by this CA is refused, whoever can reach the port.
 *
 * Layout (the directory names are libvirt's `pkipath` layout: cacert.pem, clientcert.pem, clientkey.pem):
 *   <lab dir>/pki/ca/{cacert.pem,cakey.pem}                 the CA (its key never leaves this directory)
 *   <lab dir>/pki/client/{cacert.pem,clientcert.pem,clientkey.pem}   the controller (hardware.yaml's pkipath)
 *   <hv dir>/etc/pki/{cacert.pem,servercert.pem,serverkey.pem,clientcert.pem,clientkey.pem}
 * A hypervisor's `etc/` is its libvirtd's /etc/libvirt, so inside its mount namespace these are
 * HV_PKI_PATH: libvirtd.conf names the server files there, and a peer-to-peer migration URI names it as
 * `?pkipath=` (the source libvirtd is the client of the destination's).
 *
 * Server certificates carry the host's lab address (peers migrate to it) and its management address
 * (the controller's hardware view) as IP SANs: libvirt's client and vmmi's both check the address the
 * URI names against them. Keys are EC P-256 (a few ms each), mode 0600, valid 7 days.
 */
import { randomBytes } from 'node:crypto';
import { access, chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../errors/classes.js';
import { runLocal } from '../exec/local.js';
import type { IoOptions } from '../util/abort.js';
import { HV_PKI_PATH } from './configs.js';
import { controllerPkiDir, hvPkiDir, labPkiDir } from './lab-pki-paths.js';
import type { HypervisorPlan, LabPlan } from './topology.js';

export { HV_PKI_PATH };

const DAYS = '7';
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const CLIENT_EXT = 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n';

/** Extension text of a hypervisor's server certificate: its addresses as IP SANs. Pure. */
export function serverExtensions(addresses: readonly string[]): string {
  return `subjectAltName=${addresses.map((a) => `IP:${a}`).join(',')}\n` +
    'extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n';
}

/** The addresses a hypervisor's server certificate names: lab address, then management address(es). */
export function hvCertAddresses(plan: Pick<LabPlan, 'mgmtHosts'>, hv: Pick<HypervisorPlan, 'name' | 'address'>): string[] {
  const mgmt = plan.mgmtHosts.filter((h) => h.kind === 'hypervisor' && h.serves.includes(hv.name)).map((h) => h.address);
  return [hv.address, ...mgmt];
}

async function openssl(args: readonly string[], what: string, opts: IoOptions): Promise<void> {
  const r = await runLocal(['openssl', ...args], { timeoutMs: 15_000, ...opts });
  if (r.failed) {
    // stderr of openssl names files and options, never key material.
    throw new LabError(`openssl failed making ${what}: ${r.stderr.trim().slice(0, 300) || `exit ${r.exitCode}`}`, {
      operation: 'make the lab CA', hint: 'the lab needs openssl (scripts/setup installs it)',
    });
  }
}

/**
 * A key and a certificate signed by the CA in `ca`, written as `<dir>/<name>{key,cert}.pem`, in one
 * openssl run (`req -x509 -CA`, OpenSSL 3). The serial is random rather than from a serial file, so
 * identities are issued in parallel: the whole set is on the way of the guest's boot at `lab up`.
 */
async function issue(ca: string, dir: string, name: 'server' | 'client', cn: string, ext: string,
  opts: IoOptions): Promise<void> {
  const key = join(dir, `${name}key.pem`);
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // a positive 128-bit serial (RFC 5280 §4.1.2.2)
  // `req -x509` also applies openssl.cnf's CA extensions (v3_ca: CA:TRUE); a leaf says it is none.
  const addext = [...ext.trim().split('\n'), 'basicConstraints=critical,CA:FALSE'].flatMap((line) => ['-addext', line]);
  await openssl(['req', '-x509', '-CA', join(ca, 'cacert.pem'), '-CAkey', join(ca, 'cakey.pem'), ...EC,
    '-keyout', key, '-out', join(dir, `${name}cert.pem`), '-subj', `/O=vmmi lab/CN=${cn}`, '-days', DAYS,
    '-set_serial', `0x${serial.toString('hex')}`, ...addext], `${cn} certificate`, opts);
  await chmod(key, 0o600);
}

async function makeCa(dir: string, cn: string, opts: IoOptions): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await openssl(['req', '-x509', ...EC, '-keyout', join(dir, 'cakey.pem'), '-out', join(dir, 'cacert.pem'),
    '-days', DAYS, '-subj', `/O=vmmi lab/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], 'the CA', opts);
  await chmod(join(dir, 'cakey.pem'), 0o600);
}

const present = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/** True when the CA and every identity of the lab are in place. */
export async function labPkiComplete(plan: LabPlan): Promise<boolean> {
  const files = [join(labPkiDir(plan), 'ca', 'cacert.pem'), join(controllerPkiDir(plan), 'clientkey.pem'),
    ...plan.hypervisors.flatMap((hv) => ['serverkey.pem', 'clientkey.pem'].map((f) => join(hvPkiDir(hv), f)))];
  return (await Promise.all(files.map(present))).every(Boolean);
}

/**
 * Makes the lab's CA and identities unless all are there (an `up` over a running lab keeps them: its
 * daemons hold them). Returns true when it made them. A partial set is replaced whole.
 */
export async function ensureLabPki(plan: LabPlan, opts: IoOptions = {}): Promise<boolean> {
  if (await labPkiComplete(plan)) return false;
  const root = labPkiDir(plan);
  await rm(root, { recursive: true, force: true });
  const ca = join(root, 'ca');
  await makeCa(ca, `vmmi lab ${plan.prefix} CA`, opts);
  const caCert = join(ca, 'cacert.pem');
  const client = controllerPkiDir(plan);
  await mkdir(client, { recursive: true, mode: 0o700 });
  await Promise.all([
    (async () => {
      await issue(ca, client, 'client', `vmmi controller (${plan.prefix})`, CLIENT_EXT, opts);
      await copyFile(caCert, join(client, 'cacert.pem'));
    })(),
    ...plan.hypervisors.map(async (hv) => {
      const dir = hvPkiDir(hv);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await Promise.all([
        issue(ca, dir, 'server', `${hv.name} (${plan.prefix})`, serverExtensions(hvCertAddresses(plan, hv)), opts),
        issue(ca, dir, 'client', `${hv.name} libvirtd (${plan.prefix})`, CLIENT_EXT, opts),
      ]);
      await copyFile(caCert, join(dir, 'cacert.pem'));
    }),
  ]);
  return true;
}
