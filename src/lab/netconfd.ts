/**
 * Starts one emulated NETCONF switch: Debian's netconfd (yuma123) in NOSIL mode behind a private
 * OpenSSH sshd whose `netconf` subsystem relays to netconfd's unix socket. Used by the integration
 * tests and by the emulated lab; the API below is stable.
 *
 * Layout under `dir` (absolute, made root-only: 0700): sshd_config, startup-cfg.xml, data/, ncxserver.sock,
 * netconfd.log, sshd.log, sshd.pid, netconfd.pid. Needs root (mount namespace for NOSIL, sshd privsep).
 * Gotchas handled: yuma-home/data must exist; `--port` must equal the sshd port; the subsystem takes
 * `--ncxserver-sockname=<port>@<path>`; `sshd -f` must be absolute; /run/sshd must exist;
 * iana-if-type is loaded explicitly (no SIL); `--target=candidate`.
 */
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { LabError } from '../errors/classes.js';
import { runChecked } from '../exec/local.js';
import { pollUntil, sleep, throwIfAborted } from '../util/abort.js';
import { nacmAnchors, nacmXml } from './nacm.js';
import { SSHD_SESSION_ENV_LINES } from './sshd-env.js';

export { generateLabKeys, writeKnownHosts, type LabKeys, type KnownHostsEntry } from './netconfd-keys.js';

export interface NetconfSwitchOptions {
  /** Absolute working directory of this switch (created). */
  readonly dir: string;
  readonly name: string;
  /** Network namespace to run in (absent: host namespace, e.g. loopback tests). */
  readonly netns?: string;
  /** Argv prefix for netconfd and its sshd, e.g. a scheduling priority (`chrt --rr 10`); default none. */
  readonly launchPrefix?: readonly string[];
  readonly listenAddr: string;
  /** sshd port; netconfd accepts only sessions relayed for this port. */
  readonly port: number;
  /** Directory with host_ed25519 and host_rsa (see generateLabKeys). */
  readonly hostKeyDir: string;
  readonly authorizedKeysFile: string;
  /** Limit for the whole start (ms, default 10 000). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Extra YANG modules to load (beyond the IETF set). */
  readonly extraModules?: readonly string[];
  /** Datastore edits go to (default `candidate`; `running` = writable-running, no candidate). */
  readonly target?: 'candidate' | 'running';
  /** netconfd --log-level (default `info`). */
  readonly logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /**
   * A NETCONF user other than root (an existing system user, see ensureNetconfUser): sshd lets it in only
   * to netconf-subsystem (ForceCommand), and the switch's directory is opened to its group alone so that
   * subsystem reaches netconfd's socket. A startup datastore written here grants it the NACM rules of
   * nacm.ts; a caller's own startup-cfg.xml must carry them (the lab's does).
   */
  readonly nacmUser?: NetconfUser;
}

/** A system account a NETCONF user logs in as. */
export interface NetconfUser {
  readonly name: string;
  readonly gid: number;
}

export interface NetconfSwitch {
  readonly netconfdPid: number;
  readonly sshdPid: number;
  /** Stops sshd (and its session children) and netconfd; idempotent. */
  stop(): Promise<void>;
}

const SIL_DIR = '/usr/lib/x86_64-linux-gnu/yuma';
const MODULES = ['iana-if-type', 'ietf-interfaces', 'ietf-ip', 'ietf-system', 'ietf-routing',
  'ietf-ipv4-unicast-routing', 'ietf-ipv6-unicast-routing', 'ietf-netconf-notifications'];

function sshdConfig(o: NetconfSwitchOptions, sock: string): string {
  const subsystem = `/usr/sbin/netconf-subsystem --ncxserver-sockname=${o.port}@${sock}`;
  return [
    `Port ${o.port}`,
    `ListenAddress ${o.listenAddr}`,
    `HostKey ${join(o.hostKeyDir, 'host_ed25519')}`,
    `HostKey ${join(o.hostKeyDir, 'host_rsa')}`,
    `PidFile ${join(o.dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${o.authorizedKeysFile}`,
    'StrictModes no',
    'PermitRootLogin yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAcceptedAlgorithms +ssh-rsa',
    'UsePAM no',
    ...SSHD_SESSION_ENV_LINES,
    // Many sessions open at once (fan-out over the lab, suites/integration/netconf-concurrency.spec.ts):
    // OpenSSH's default MaxStartups 10:30:100 drops unauthenticated connections beyond 10 (30 %,
    // rising to all at 100), which a client sees as a reset during the handshake. MaxSessions bounds
    // the channels of one connection (pooled SSH connections). netconfd's --max-sessions is 1024.
    'MaxSessions 50',
    'MaxStartups 100:30:200',
    `Subsystem netconf ${subsystem}`,
    // Root is the superuser (the switch's own agent); the NETCONF user gets the subsystem and nothing else,
    // whatever it asks for: no shell, no command, no forwarding.
    `AllowUsers root${o.nacmUser === undefined ? '' : ` ${o.nacmUser.name}`}`,
    ...(o.nacmUser === undefined ? [] : [
      `Match User ${o.nacmUser.name}`,
      // sshd reads a user's authorized keys as that user: root's copy (in the root-only keys dir) is unreadable.
      `  AuthorizedKeysFile ${userKeysFile(o)}`,
      `  ForceCommand ${subsystem}`,
      '  PermitTTY no',
      '  AllowTcpForwarding no',
      '  AllowStreamLocalForwarding no',
      '  AllowAgentForwarding no',
      '  X11Forwarding no',
      '  PermitTunnel no',
    ]),
    '',
  ].join('\n');
}

/** The NETCONF user's copy of the authorized keys: in the switch's directory, readable by its group. */
const userKeysFile = (o: NetconfSwitchOptions): string => join(o.dir, 'netconf_authorized_keys');

/** Background launcher: `$!` is the daemon itself because setsid/unshare/sh all exec in place. */
function launcher(o: NetconfSwitchOptions, out: string, pidFile: string, argv: readonly string[]): string[] {
  const ns = [...(o.launchPrefix ?? []), ...(o.netns === undefined ? [] : ['ip', 'netns', 'exec', o.netns])];
  return ['sh', '-c', 'out="$1"; pf="$2"; shift 2; "$@" </dev/null >"$out" 2>&1 & echo $! >"$pf"', 'sh', out, pidFile,
    ...ns, ...argv];
}

/** Starts netconfd + sshd for one switch and waits until sshd accepts TCP connections. */
export async function startNetconfSwitch(o: NetconfSwitchOptions): Promise<NetconfSwitch> {
  if (!isAbsolute(o.dir)) throw new LabError(`switch dir must be absolute, got "${o.dir}"`, { device: o.name });
  const deadline = Date.now() + (o.timeoutMs ?? 10_000);
  const left = (): number => Math.max(1, deadline - Date.now());
  const ctx = { device: o.name, operation: 'start netconfd' };
  const sock = join(o.dir, 'ncxserver.sock');
  const empty = join(o.dir, 'nosil');
  await mkdir(join(o.dir, 'data'), { recursive: true });
  // netconfd's socket is created 0666, and netconfd believes the user name its client (normally
  // netconf-subsystem under sshd) writes in the ncx-connect message: any local user who reached the
  // socket could claim root. Only root may enter the switch's directory, so only root reaches it; with a
  // NETCONF user, its group may pass through too (0710: no listing), and that user runs nothing but the
  // subsystem sshd forces on it.
  if (o.nacmUser === undefined) await chmod(o.dir, 0o700);
  else {
    await chown(o.dir, 0, o.nacmUser.gid);
    await chmod(o.dir, 0o710);
    await writeFile(userKeysFile(o), await readFile(o.authorizedKeysFile), { mode: 0o640 });
    await chown(userKeysFile(o), 0, o.nacmUser.gid);
    await chmod(userKeysFile(o), 0o640);
  }
  await mkdir(empty, { recursive: true });
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  await rm(sock, { force: true });
  const startup = join(o.dir, 'startup-cfg.xml');
  const acm = o.nacmUser === undefined ? '' : `\n${nacmXml(o.nacmUser.name)}\n${nacmAnchors()}\n`;
  await writeFile(startup, `<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">${acm}</config>\n`,
    { flag: 'wx' }).catch(() => undefined);
  await writeFile(join(o.dir, 'sshd_config'), sshdConfig(o, sock));
  throwIfAborted(o.signal, ctx);

  const netconfd = [
    '/usr/sbin/netconfd',
    `--ncxserver-sockname=${sock}`,
    `--startup=${startup}`,
    '--with-startup=true',
    `--yuma-home=${o.dir}`,
    `--port=${o.port}`,
    '--superuser=root',
    // Enforced: root (the superuser) passes, every other user gets what the datastore's nacm grants.
    '--access-control=enforcing',
    `--target=${o.target ?? 'candidate'}`,
    ...[...MODULES, ...(o.extraModules ?? [])].map((m) => `--module=${m}`),
    `--log=${join(o.dir, 'netconfd.log')}`,
    `--log-level=${o.logLevel ?? 'info'}`,
  ];
  const nosil = ['setsid', 'unshare', '-m', '--propagation', 'private', 'sh', '-c',
    'mount --bind "$1" "$2" && shift 2 && exec "$@"', 'sh', empty, SIL_DIR, ...netconfd];
  const ncPidFile = join(o.dir, 'netconfd.pid');
  await runChecked(launcher(o, join(o.dir, 'netconfd.out'), ncPidFile, nosil), { timeoutMs: left(), ...sig(o) });
  const netconfdPid = await readPid(ncPidFile);
  const sw = { netconfdPid, sshdPid: 0, stop: () => stopAll(netconfdPid, 0) };
  try {
    await pollUntil(async () => ((await exists(sock)) ? true : aliveOrThrow(netconfdPid, o)), 'netconfd socket',
      { timeoutMs: left(), intervalMs: 10, ...sig(o) });
    const ns = [...(o.launchPrefix ?? []), ...(o.netns === undefined ? [] : ['ip', 'netns', 'exec', o.netns])];
    await runChecked([...ns, '/usr/sbin/sshd', '-f', join(o.dir, 'sshd_config'), '-E', join(o.dir, 'sshd.log')],
      { timeoutMs: left(), ...sig(o) });
    const sshdPid = await pollUntil(() => readPid(join(o.dir, 'sshd.pid')).catch(() => undefined), 'sshd pid file',
      { timeoutMs: left(), intervalMs: 10, ...sig(o) });
    if (o.netns === undefined) await waitTcp(o.listenAddr, o.port, left(), o.signal);
    return { netconfdPid, sshdPid, stop: () => stopAll(netconfdPid, sshdPid) };
  } catch (e) {
    await sw.stop();
    const log = await readFile(join(o.dir, 'netconfd.out'), 'utf8').catch(() => '');
    throw new LabError(`${(e as Error).message}${log === '' ? '' : `; netconfd output: ${log.slice(-400)}`}`, {
      ...ctx,
      cause: e,
    });
  }
}

function sig(o: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return o.signal === undefined ? {} : { signal: o.signal };
}

async function exists(p: string): Promise<boolean> {
  return readFile(p).then(() => true, (e: NodeJS.ErrnoException) => e.code === 'ENXIO' || e.code === 'EISDIR');
}

function aliveOrThrow(pid: number, o: NetconfSwitchOptions): undefined {
  if (!alive(pid))
    throw new LabError(`netconfd exited during start (see ${join(o.dir, 'netconfd.log')})`, { device: o.name });
  return undefined;
}

async function readPid(file: string): Promise<number> {
  const pid = Number((await readFile(file, 'utf8')).trim());
  if (!Number.isSafeInteger(pid) || pid <= 1) throw new LabError(`bad pid in ${file}`);
  return pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function waitTcp(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  return pollUntil(() => new Promise<boolean | undefined>((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => (s.destroy(), resolve(undefined)));
  }), `sshd listening on ${host}:${port}`, { timeoutMs, intervalMs: 10, ...(signal ? { signal } : {}) });
}

async function terminate(pid: number): Promise<void> {
  if (pid <= 1 || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 60 && alive(pid); i++) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

async function stopAll(netconfdPid: number, sshdPid: number): Promise<void> {
  if (sshdPid > 1 && alive(sshdPid)) {
    // Per-connection sshd children (and their netconf-subsystem) belong to this switch.
    await runChecked(['pkill', '-TERM', '-P', String(sshdPid)], { timeoutMs: 5_000 }).catch(() => undefined);
  }
  // netconfd leaves its select() loop up to ~2 s after SIGTERM: wait for both at once.
  await Promise.all([terminate(sshdPid), terminate(netconfdPid)]);
}
