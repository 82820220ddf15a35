/**
 * `frr-ssh`: a Linux box running FRRouting, reached over SSH. Routing through vtysh (interactive
 * CLI session, config mode), bridge/VXLAN ports through iproute2 exec, tables through
 * `vtysh … json`, `ip -j neigh` and `bridge -j fdb`.
 *
 * No candidate datastore: every change is checkpointed (running-config snapshot), applied, verified,
 * and on failure undone with the inverse commands. This is NOT crash-safe: if vmmi dies mid-change
 * the change stays; teardown diffs show it as residue.
 */
import { ConfigRejectedError, UnsupportedError } from '../../errors/classes.js';
import { frrVtysh } from '../../platforms/frr-vtysh.js';
import { FRR_SHOW_VERSION } from '../../platforms/show-version.js';
import { CliSession } from '../../transports/cli-session.js';
import type { SshConnection } from '../../transports/ssh.js';
import type { IoOptions } from '../../util/abort.js';
import { diffText, type ConfigDiff } from './config-diff.js';
import type { ChangeOp } from './netconf-driver.js';
import { parseFrrRoutes, parseIpNeigh, parseBridgeFdb } from './frr-parse.js';
import {
  parsePrefix, type HostRoute, type HostRouteCapable, type Segment, type SegmentCapable, type SwitchDriver,
  type TunnelCapable, type TunnelEndpoint,
} from './types.js';
import { showVersionFacts, type VersionFacts } from './version-parse.js';

export { parseFrrRoutes, parseIpNeigh, parseBridgeFdb };

/** vtysh config-mode lines for a static host route. */
export function frrHostRouteCommands(r: HostRoute, op: ChangeOp): string[] {
  const { family, addr, len } = parsePrefix(r.prefix);
  const via = [r.nextHop === undefined ? undefined : canonicalIp(r.nextHop), r.device].filter(
    (x): x is string => x !== undefined,
  );
  if (via.length === 0) throw new TypeError(`host route ${r.prefix} needs a nextHop or a device`);
  for (const v of via) if (!/^[\w.:/-]+$/.test(v)) throw new TypeError(`bad next hop or device "${v}"`);
  // FRR prints addresses canonically; emitting them the same way keeps verify and undo exact.
  const line = `${family === 4 ? 'ip' : 'ipv6'} route ${canonicalIp(addr)}/${len} ${via.join(' ')}`;
  return [op === 'add' ? line : `no ${line}`];
}

/** RFC 5952 form of an IPv6 address (via the WHATWG URL serialiser); IPv4 and names unchanged. */
export function canonicalIp(a: string): string {
  if (!a.includes(':')) return a;
  try {
    return new URL(`http://[${a}]/`).hostname.slice(1, -1);
  } catch {
    throw new TypeError(`not an IPv6 address: "${a}"`);
  }
}

/** iproute2 argv lists attaching/detaching a port to/from a bridge (and VLAN when given). */
export function linuxSegmentArgv(s: Segment, op: ChangeOp): string[][] {
  const bridge = s.bridge ?? 'br0';
  if (op === 'remove') return [['ip', 'link', 'set', 'dev', s.port, 'nomaster']];
  return [
    ['ip', 'link', 'set', 'dev', s.port, 'master', bridge],
    ['ip', 'link', 'set', 'dev', s.port, 'up'],
    ...(s.vlan !== undefined
      ? [['bridge', 'vlan', 'add', 'dev', s.port, 'vid', String(s.vlan), 'pvid', 'untagged']]
      : []),
  ];
}

/** iproute2 argv lists for a static VXLAN device with head-end replication to `remotes`. */
export function linuxTunnelArgv(t: TunnelEndpoint, op: ChangeOp): string[][] {
  const dev = `vxlan${t.vni}`;
  if (op === 'remove') return [['ip', 'link', 'del', dev]];
  return [
    ['ip', 'link', 'add', dev, 'type', 'vxlan', 'id', String(t.vni), 'local', t.localAddress, 'dstport',
      String(t.udpPort ?? 4789), 'nolearning'],
    ['ip', 'link', 'set', dev, 'master', t.bridge ?? 'br0', 'up'],
    ...t.remotes.map((r) => ['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', dev, 'dst', r]),
  ];
}

export interface FrrDriverOptions {
  readonly device: string;
  /** Per-interaction timeout (ms, default 15 000). */
  readonly commandTimeoutMs?: number;
  /** Command starting vtysh on the box (default `vtysh`; e.g. with `--vty_socket`). */
  readonly vtysh?: string;
  /**
   * Connection whose exec channel runs a Linux shell (iproute2 for neighbors, MAC table, bridge
   * ports and VXLAN). Default: the same connection. `null` when sessions are forced into vtysh
   * (sshd `ForceCommand`): those methods then fail with UnsupportedError.
   */
  readonly linux?: SshConnection | null;
  /** Called with the pre/post diff of every change (for "no residue" accounting). */
  readonly onChange?: (c: { description: string; diff: ConfigDiff; rolledBack: boolean }) => void;
}

export type FrrSshDriver = SwitchDriver & HostRouteCapable & SegmentCapable & TunnelCapable;

/** Runs argv on the device's Linux shell, or says that its SSH sessions run vtysh only (`linux` null). */
function linuxExec(linux: SshConnection | null, device: string, tmo: number) {
  return async (argv: readonly string[], o: IoOptions): Promise<string> => {
    if (linux === null) {
      throw new UnsupportedError(`${argv[0] ?? 'exec'} needs a Linux shell; this device's SSH sessions run vtysh only`, {
        device,
        hint: 'give the driver a `linux` connection (e.g. a management sshd without ForceCommand)',
      });
    }
    const r = await linux.exec(argv, { timeoutMs: o.timeoutMs ?? tmo, ...(o.signal ? { signal: o.signal } : {}) });
    if (r.exitCode !== 0) {
      throw new ConfigRejectedError(`${argv.join(' ')}: ${r.stderr.trim() || `exit ${r.exitCode}`}`, { device });
    }
    return r.stdout;
  };
}

/** Checkpoint → apply → verify; inverse on failure. Every change reports its running-config diff. */
function checkpointedChange(running: (o: IoOptions) => Promise<string>, opts: FrrDriverOptions, tmo: number) {
  return async (description: string, apply: () => Promise<void>, undo: () => Promise<void>,
    verify: () => Promise<string | undefined>, o: IoOptions): Promise<void> => {
    const before = await running(o);
    try {
      await apply();
      const why = await verify();
      if (why !== undefined) {
        throw new ConfigRejectedError(`intended state not reached: ${why}`, {
          device: opts.device,
          operation: description,
        });
      }
      opts.onChange?.({ description, diff: diffText(before, await running(o)), rolledBack: false });
    } catch (e) {
      await undo().catch(() => undefined);
      const after = await running({ timeoutMs: tmo }).catch(() => before);
      opts.onChange?.({ description, diff: diffText(before, after), rolledBack: true });
      throw e;
    }
  };
}

/**
 * FRR's `show version` (FRR release, and the kernel zebra saw at start) plus `uname -r` on the
 * Linux shell (the kernel now). A device without a Linux shell still reports FRR's part, and says
 * why the kernel is missing (`unanswered`) instead of failing the whole read.
 */
function frrVersion(vtysh: (cmd: string, o: IoOptions) => Promise<string>,
  exec: (argv: readonly string[], o: IoOptions) => Promise<string>, device: string) {
  return async (o: IoOptions = {}): Promise<VersionFacts> => {
    const facts: VersionFacts = {
      source: `vtysh ${FRR_SHOW_VERSION.command}`,
      ...showVersionFacts(await vtysh(FRR_SHOW_VERSION.command, o), FRR_SHOW_VERSION, device),
    };
    try {
      const kernel = (await exec(['uname', '-r'], o)).trim();
      if (kernel !== '') facts.kernel = kernel;
    } catch (e) {
      facts.unanswered = `uname -r: ${(e as Error).message}`;
    }
    return facts;
  };
}

export function createFrrSshDriver(conn: SshConnection, opts: FrrDriverOptions): FrrSshDriver {
  const tmo = opts.commandTimeoutMs ?? 15_000;
  let cli: Promise<CliSession> | undefined;
  const session = async (o: IoOptions): Promise<CliSession> => {
    const cur = cli === undefined ? undefined : await cli.catch(() => undefined);
    if (cur !== undefined && !cur.closed) return cur;
    const platform = opts.vtysh === undefined ? frrVtysh : { ...frrVtysh, launch: opts.vtysh };
    cli = CliSession.open(conn, platform, { commandTimeoutMs: tmo, device: opts.device, ...o });
    return cli;
  };
  const vtysh = async (cmd: string, o: IoOptions): Promise<string> => {
    const r = await (await session(o)).send(cmd, o);
    if (r.failed) throw new ConfigRejectedError(`vtysh "${cmd}": ${r.failure ?? r.output}`, { device: opts.device });
    return r.output;
  };
  const running = (o: IoOptions): Promise<string> => vtysh('show running-config', o);
  const exec = linuxExec(opts.linux === undefined ? conn : opts.linux, opts.device, tmo);
  const configure = async (lines: readonly string[], o: IoOptions): Promise<void> => {
    const s = await session(o);
    await s.enterMode('config', o);
    try {
      const res = await s.sendAll(lines, o);
      const bad = res.find((r) => r.failed);
      if (bad !== undefined)
        throw new ConfigRejectedError(`"${bad.command}": ${bad.failure ?? bad.output}`, { device: opts.device });
    } finally {
      if (!s.closed) await s.exitMode(o);
    }
  };
  const change = checkpointedChange(running, opts, tmo);
  const routeVerify = (r: HostRoute, present: boolean, o: IoOptions) => async (): Promise<string | undefined> => {
    const has = (await running(o))
      .split('\n')
      .some((l) => l.trim().startsWith(frrHostRouteCommands(r, 'add')[0] as string));
    return has === present ? undefined : `route ${r.prefix} ${present ? 'missing from' : 'still in'} running-config`;
  };
  const execAll = async (lists: readonly string[][], o: IoOptions): Promise<void> => {
    for (const a of lists) await exec(a, o);
  };
  return {
    kind: 'frr-ssh',
    device: opts.device,
    rollback: 'checkpoint',
    readRunningConfig: (o = {}) => running(o),
    readRoutes: async (o = {}) => [
      ...parseFrrRoutes(await vtysh('show ip route json', o)),
      ...parseFrrRoutes(await vtysh('show ipv6 route json', o)),
    ],
    readNeighbors: async (o = {}) => parseIpNeigh(await exec(['ip', '-j', 'neigh', 'show'], o)),
    readMacTable: async (o = {}) => parseBridgeFdb(await exec(['bridge', '-j', 'fdb', 'show'], o)),
    readVersion: frrVersion(vtysh, exec, opts.device),
    close: async () => {
      (await cli?.catch(() => undefined))?.close();
    },
    addHostRoute: (r, o = {}) =>
      change(
        `add host route ${r.prefix}`,
        () => configure(frrHostRouteCommands(r, 'add'), o),
        () => configure(frrHostRouteCommands(r, 'remove'), o),
        routeVerify(r, true, o),
        o,
      ),
    removeHostRoute: (r, o = {}) =>
      change(
        `remove host route ${r.prefix}`,
        () => configure(frrHostRouteCommands(r, 'remove'), o),
        () => configure(frrHostRouteCommands(r, 'add'), o),
        routeVerify(r, false, o),
        o,
      ),
    attachSegment: (s, o = {}) =>
      execAll(linuxSegmentArgv(s, 'add'), o).catch(async (e) => {
        await execAll(linuxSegmentArgv(s, 'remove'), o).catch(() => undefined);
        throw e;
      }),
    detachSegment: (s, o = {}) => execAll(linuxSegmentArgv(s, 'remove'), o),
    configureTunnel: (t, o = {}) =>
      execAll(linuxTunnelArgv(t, 'add'), o).catch(async (e) => {
        await execAll(linuxTunnelArgv(t, 'remove'), o).catch(() => undefined);
        throw e;
      }),
    removeTunnel: (t, o = {}) => execAll(linuxTunnelArgv(t, 'remove'), o),
  };
}
