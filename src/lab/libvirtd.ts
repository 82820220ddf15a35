/**
 * Starts one private libvirtd: its own copies of /etc/libvirt, /run/libvirt, /var/lib/libvirt,
 * /var/log/libvirt and /var/cache/libvirt, bind-mounted in a private mount namespace (plus a UTS
 * namespace when a hostname is given, and a network namespace when `netns` is given). The system's
 * libvirt configuration is never read or written. Used by the integration specs and the emulated lab.
 *
 * Layout of `dir` (the controller reaches the daemon through the backing paths):
 *   etc/{libvirtd.conf,qemu.conf,libvirt.conf}  run/libvirt-sock  run/libvirtd.pid  run/qemu/*.pid
 *   lib/  log/libvirtd.log  log/qemu/  cache/ (QEMU capabilities: keep `dir` between runs → 0.1 s instead of ~8 s)
 *   libvirtd.out (stdout/stderr of the daemon)
 * A start wipes only run/; etc/ is rewritten; lib/ (persistent domain definitions), log/ and cache/ are
 * kept when the caller reuses `dir`. Needs root; for driver 'qemu' also the `libvirt-qemu` user.
 *
 * /dev/kvm is masked inside the daemon's mount namespace (an empty root-only file bound over it) unless
 * `kvm` is set: guests here are TCG (`<domain type='qemu'>`), and with qemu.conf `user = "libvirt-qemu"`
 * an unmasked root-only /dev/kvm made every define re-probe QEMU (~40 s): libvirt's capability probe saw
 * KVM as usable while its cache check, run as the QEMU user, did not, so the cache was never valid
 * (libvirtd.log: "KVM was enabled when probing …, but it is not available now"). Masked, both agree.
 * API stability: the lab builds on StartLibvirtdOptions / LibvirtdHandle; extend them, do not change them.
 */
import { access, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { LabError } from '../errors/classes.js';
import { spawnDetached } from '../exec/spawn.js';
import { sleep, throwIfAborted } from '../util/abort.js';
import { isAlive, readComm, readPidFile, terminate, verifiedPid } from './proc.js';

export interface StartLibvirtdOptions {
  /** Absolute directory holding this daemon's private state (created; `cache/` is kept across runs). */
  readonly dir: string;
  /** Run inside this (existing) network namespace. */
  readonly netns?: string;
  /** Hostname inside a private UTS namespace; libvirt refuses migration between equal hostnames. */
  readonly hostname?: string;
  /** TCP listen address (with `tcpPort`); default 127.0.0.1. */
  readonly listenAddr?: string;
  /** Listen on TCP (auth none: loopback or lab namespaces only). Without it only the unix socket. */
  readonly tcpPort?: number;
  /** Also listen on TLS (auth none: the client certificate is the credential), on `listenAddr`. */
  readonly tls?: {
    readonly port: number;
    readonly caFile: string;
    readonly certFile: string;
    readonly keyFile: string;
  };
  /** Distinct per daemon: machines with DMI give every daemon the same SMBIOS UUID otherwise. */
  readonly hostUuid: string;
  /** qemu.conf migration_address and migration_host (not 127.0.0.1, which libvirt rejects). */
  readonly migrationAddress?: string;
  /** Which hypervisor driver callers will use; 'qemu' checks the prerequisites QEMU needs. */
  readonly driver: 'qemu' | 'test';
  /** Readiness limit in ms (default 20 000). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Replace the generated libvirtd.conf / qemu.conf entirely (the lab renders its own). */
  readonly libvirtdConf?: string;
  readonly qemuConf?: string;
  /** Leave /dev/kvm visible to the daemon (default: masked, TCG guests only; see the file comment). */
  readonly kvm?: boolean;
  /**
   * Let QEMU (running as `libvirt-qemu`, group kvm) open /dev/userfaultfd, which postcopy migration needs
   * when the host keeps `vm.unprivileged_userfaultfd` at 0: a node of the same device, root:kvm 0660, is
   * bound over /dev/userfaultfd inside this daemon's mount namespace only. The host's node stays root's.
   */
  readonly userfaultfdForQemu?: boolean;
}

export interface LibvirtdHandle {
  /** PID of libvirtd itself (from its pid file, checked against /proc/PID/comm). */
  readonly pid: number;
  /** Unix socket as seen from the controller: `<dir>/run/libvirt-sock`. */
  readonly socketPath: string;
  readonly dir: string;
  /** URI for `driver` over the unix socket: `qemu+unix:///system?socket=…` or `test+unix:///default?socket=…`. */
  readonly unixUri: string;
  /** `qemu+tcp://addr:port/system` when listening on TCP. */
  readonly tcpUri?: string;
  /** `qemu+tls://addr:port/system` when listening on TLS (add `?pkipath=` for the client side). */
  readonly tlsUri?: string;
  /** Stops libvirtd (SIGTERM, then SIGKILL after 5 s) and any QEMU it left running. Idempotent. */
  stop(): Promise<void>;
}

const LIBVIRTD = '/usr/sbin/libvirtd';
const MOUNTS: ReadonlyArray<readonly [string, string]> = [
  ['etc', '/etc/libvirt'], ['run', '/run/libvirt'], ['lib', '/var/lib/libvirt'], ['log', '/var/log/libvirt'],
  ['cache', '/var/cache/libvirt'],
];

export function renderLibvirtdConf(o: StartLibvirtdOptions): string {
  const L = [`listen_tls = ${o.tls === undefined ? 0 : 1}`, `listen_tcp = ${o.tcpPort === undefined ? 0 : 1}`];
  if (o.tcpPort !== undefined || o.tls !== undefined) L.push(`listen_addr = "${o.listenAddr ?? '127.0.0.1'}"`);
  if (o.tcpPort !== undefined) L.push(`tcp_port = "${o.tcpPort}"`);
  if (o.tls !== undefined) {
    L.push(`tls_port = "${o.tls.port}"`, `ca_file = "${o.tls.caFile}"`, `cert_file = "${o.tls.certFile}"`,
      `key_file = "${o.tls.keyFile}"`, 'auth_tls = "none"');
  }
  L.push('auth_tcp = "none"', 'auth_unix_rw = "none"', 'auth_unix_ro = "none"', `host_uuid = "${o.hostUuid}"`,
    'log_level = 3', 'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"', '');
  return L.join('\n');
}

/**
 * QEMU runs as `libvirt-qemu` (group kvm), never root, as in the lab (configs.ts qemuConf): libvirtd opens
 * the serial and log files and hands QEMU descriptors (dynamic_ownership off, nothing gets chowned).
 */
export function renderQemuConf(o: StartLibvirtdOptions): string {
  const L = [
    'user = "libvirt-qemu"',
    'group = "kvm"',
    'dynamic_ownership = 0',
    'remember_owner = 0',
    'security_driver = "none"',
    'cgroup_controllers = [ ]',
    'namespaces = [ ]',
    'stdio_handler = "file"',
  ];
  if (o.migrationAddress !== undefined) {
    L.push(`migration_address = "${o.migrationAddress}"`, `migration_host = "${o.migrationAddress}"`);
  }
  L.push('');
  return L.join('\n');
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

async function checkPrerequisites(o: StartLibvirtdOptions): Promise<void> {
  if (!(await exists(LIBVIRTD))) {
    throw new LabError(`${LIBVIRTD} not found`, { hint: 'run scripts/setup as root (installs libvirt-daemon)' });
  }
  if (process.getuid?.() !== 0)
    throw new LabError('starting libvirtd needs root', { hint: 'run the lab or integration specs as root' });
  if (
    o.driver === 'qemu' &&
    !(await readFile('/etc/passwd', 'utf8')).split('\n').some((l) => l.startsWith('libvirt-qemu:'))
  ) {
    throw new LabError("user 'libvirt-qemu' is missing: the QEMU driver refuses to initialise without it", {
      hint: 'run scripts/setup, or: useradd --system --gid kvm libvirt-qemu',
    });
  }
  if (o.hostname !== undefined && !/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(o.hostname)) {
    throw new TypeError(`startLibvirtd: invalid hostname ${JSON.stringify(o.hostname)}`);
  }
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function tail(path: string, n = 1500): Promise<string> {
  const t = await readFile(path, 'utf8').catch(() => '');
  return t.slice(-n).trim();
}

/** Stops a libvirtd left running in `dir` by an earlier run (verified by comm), and its QEMUs. */
export async function stopLibvirtdIn(dir: string): Promise<void> {
  const pid = await verifiedPid(join(dir, 'run', 'libvirtd.pid'), ['libvirtd']);
  if (pid !== undefined) await terminate([pid], 5_000);
  const qemuDir = join(dir, 'run', 'qemu');
  const files = await readdir(qemuDir).catch(() => [] as string[]);
  const qemus: number[] = [];
  for (const f of files.filter((x) => x.endsWith('.pid'))) {
    const q = await readPidFile(join(qemuDir, f));
    if (q !== undefined && (await isAlive(q)) && ((await readComm(q)) ?? '').startsWith('qemu-system')) qemus.push(q);
  }
  if (qemus.length > 0) await terminate(qemus, 2_000);
}

export async function startLibvirtd(o: StartLibvirtdOptions): Promise<LibvirtdHandle> {
  await checkPrerequisites(o);
  throwIfAborted(o.signal);
  const d = o.dir;
  const pidFile = join(d, 'run', 'libvirtd.pid');
  if ((await verifiedPid(pidFile, ['libvirtd'])) !== undefined) {
    throw new LabError(`a libvirtd is already running with state in ${d}`, {
      code: 'LAB_BUSY', hint: 'stop it first (stopLibvirtdIn) or use another dir',
    });
  }
  await stopLibvirtdIn(d); // stray QEMUs of a crashed run
  await rm(join(d, 'run'), { recursive: true, force: true });
  for (const sub of ['etc', 'run', 'lib', 'log/qemu', 'cache']) await mkdir(join(d, sub), { recursive: true });
  const kvmMask = join(d, 'run', 'kvm-masked');
  await writeFile(kvmMask, '', { mode: 0o000 });
  await writeFile(join(d, 'etc', 'libvirtd.conf'), o.libvirtdConf ?? renderLibvirtdConf(o));
  await writeFile(join(d, 'etc', 'qemu.conf'), o.qemuConf ?? renderQemuConf(o));
  await writeFile(join(d, 'etc', 'libvirt.conf'), '');

  // Paths go in as positional args ($1…), never spliced into the script text.
  const binds = MOUNTS.map(([, target], i) => `mkdir -p ${target} && mount --bind "$${i + 1}" ${target}`).join(' && ');
  const mask = o.kvm === true ? '' : 'if [ -e /dev/kvm ]; then mount --bind "$7" /dev/kvm; fi; ';
  const uffd = o.userfaultfdForQemu !== true ? '' : 'if [ -c /dev/userfaultfd ]; then '
    + 'mknod -m 0660 "$8" c "0x$(stat -c %t /dev/userfaultfd)" "0x$(stat -c %T /dev/userfaultfd)" && '
    + 'chgrp kvm "$8" && mount --bind "$8" /dev/userfaultfd; fi; ';
  const script =
    `set -e; ${o.hostname === undefined ? '' : `hostname "$6" && `}${binds}; ${mask}${uffd}` +
    `exec ${LIBVIRTD} ${o.tcpPort === undefined && o.tls === undefined ? '' : '--listen '}--pid-file /run/libvirt/libvirtd.pid`;
  const argv = [
    ...(o.netns === undefined ? [] : ['ip', 'netns', 'exec', o.netns]),
    'unshare', '--mount', ...(o.hostname === undefined ? [] : ['--uts']), '--propagation', 'private',
    'sh', '-c', script, 'vmmi-libvirtd', ...MOUNTS.map(([sub]) => join(d, sub)), o.hostname ?? '', kvmMask,
    join(d, 'run', 'userfaultfd'),
  ];
  const out = join(d, 'libvirtd.out');
  const spawned = spawnDetached(argv, out);

  const socketPath = join(d, 'run', 'libvirt-sock');
  const timeoutMs = o.timeoutMs ?? 20_000;
  const end = Date.now() + timeoutMs;
  let pid: number | undefined;
  for (;;) {
    pid ??= await verifiedPid(pidFile, ['libvirtd']);
    // The socket file appears at bind(), before listen(): only an accepted connection means ready.
    if (pid !== undefined && (await canConnect(socketPath))) break;
    const why = o.signal?.aborted === true ? 'aborted' : Date.now() > end ? `not ready after ${timeoutMs} ms`
      : pid === undefined && !(await isAlive(spawned)) ? 'exited during start' : undefined;
    if (why !== undefined) {
      await stopLibvirtdIn(d);
      throw new LabError(`libvirtd in ${d} ${why}: ${await tail(out)}\n${await tail(join(d, 'log', 'libvirtd.log'))}`, {
        hint: `see ${out} and ${join(d, 'log', 'libvirtd.log')}`,
      });
    }
    await sleep(20);
  }

  const path = o.driver === 'qemu' ? '/system' : '/default';
  const addr = o.listenAddr ?? '127.0.0.1';
  const hostPart = addr.includes(':') ? `[${addr}]` : addr;
  let stopped: Promise<void> | undefined;
  return {
    pid, socketPath, dir: d,
    unixUri: `${o.driver}+unix://${path}?socket=${socketPath}`,
    ...(o.tcpPort === undefined ? {} : { tcpUri: `${o.driver}+tcp://${hostPart}:${o.tcpPort}${path}` }),
    ...(o.tls === undefined ? {} : { tlsUri: `${o.driver}+tls://${hostPart}:${o.tls.port}${path}` }),
    stop: () => (stopped ??= stopLibvirtdIn(d)),
  };
}
