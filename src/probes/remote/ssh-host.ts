/**
 * A remote Linux host that offers SSH and `node` ≥ 18, prepared to run vmmi's agents for one run:
 * connected (host key verified per the target's policy), `node` checked, a private per-run directory
 * made (`mktemp -d /tmp/vmmi-<runId>.XXXXXX`) and the agent bundle uploaded into it (SFTP; `cp
 * /dev/stdin` over exec where the server has no SFTP subsystem). `close()` removes exactly that
 * directory. Probe placements (`placementFor(host, remote)`) and the SSH tunnel driver run on it.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { PrecheckError, UnsupportedError, UsageError } from '../../errors/classes.js';
import { isVmmiError, VmmiError } from '../../errors/vmmi-error.js';
import type { CommandRunner } from '../../exec/types.js';
import { sshRunner } from '../../transports/ssh-runner.js';
import { sshConnect, type SshConnection, type SshPool, type SshTarget } from '../../transports/ssh.js';
import { withDeadline, type IoOptions } from '../../util/abort.js';
import type { ProbeSpawner } from '../udp/spawn.js';
import { judgeNodeVersion, median } from './node-version.js';
import { REMOTE_AGENT_FILE, REMOTE_NODE_MAJOR, remoteAgentBundle } from './remote-bundle.js';
import { sshSpawner } from './ssh-spawn.js';
import type { RemoteAgentSubcommand } from './subcommands.js';

export interface RemoteHostOptions {
  readonly target: SshTarget;
  /** Shared connections; without one the host opens its own and closes it in `close()`. */
  readonly pool?: SshPool;
  /** Names the per-run directory: 1-64 of `[A-Za-z0-9_.-]`. */
  readonly runId: string;
  /** Bound of each step of opening (connect, check, mkdir, upload) and of later commands, ms. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Command that runs Node.js on the host (default `node`, looked up on the login PATH). */
  readonly node?: string;
  /** After a probe's stop(): how long it may take to report before its channel closes, ms (default 5000). */
  readonly stopGraceMs?: number;
}

export interface RemoteHost {
  /** Device name for messages (the target's name, else its address). */
  readonly name: string;
  /** The per-run directory on the host. */
  readonly dir: string;
  /** The uploaded bundle: `<dir>/vmmi-agent.mjs`. */
  readonly bundlePath: string;
  /** `node --version` as the host printed it. */
  readonly nodeVersion: string;
  /** Starts argv on the host (udp/spawn.ts contract). */
  readonly spawner: ProbeSpawner;
  /** `[node, <dir>/vmmi-agent.mjs, sub]`; a JSON config is appended by the caller. A bound function. */
  readonly agentArgv: (sub: RemoteAgentSubcommand) => string[];
  /** Commands on the host over SSH exec. */
  readonly runner: CommandRunner;
  /** The host's SSH connection (pooled or own; replaced when it died). */
  connection(io: IoOptions): Promise<SshConnection>;
  /**
   * Half the median round trip of 7 lines through the agent's `echo` on one exec channel, ms: how late
   * the controller sees what happens on this host, i.e. the resolution of every controller-stamped
   * figure from it.
   */
  pathDelayMs(io?: IoOptions): Promise<number>;
  /** Removes the per-run directory (`rm -rf` of exactly it) and closes an own connection; never throws. */
  close(io?: IoOptions): Promise<void>;
}

const RUN_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const ECHO_ROUNDS = 7;

/** The connection source: the pool's, or one own connection replaced when it closed. */
function connector(o: RemoteHostOptions): { get: (io: IoOptions) => Promise<SshConnection>; closeOwn: () => void } {
  let own: Promise<SshConnection> | undefined;
  const get = async (io: IoOptions): Promise<SshConnection> => {
    const opts = { timeoutMs: io.timeoutMs ?? o.timeoutMs, ...(io.signal === undefined ? {} : { signal: io.signal }) };
    if (o.pool !== undefined) return o.pool.get(o.target, opts);
    const cur = own === undefined ? undefined : await own.catch(() => undefined);
    if (cur !== undefined && !cur.closed) return cur;
    own = sshConnect(o.target, opts);
    return own;
  };
  return { get, closeOwn: () => void own?.then((c) => c.close(), () => undefined) };
}

async function checkNode(conn: SshConnection, name: string, node: string, io: IoOptions): Promise<string> {
  const r = await conn.exec([node, '--version'], io);
  const check = judgeNodeVersion(r, node, REMOTE_NODE_MAJOR);
  if (check.ok) return check.version.text;
  throw new PrecheckError(`${name} cannot run vmmi's agents: ${check.missing}`, {
    device: name,
    hint: `install Node.js ${REMOTE_NODE_MAJOR} or newer on ${name} (a distribution package such as \`apt-get install ` +
      'nodejs`, or a release from nodejs.org), or give the path of its `node` (option node)',
  });
}

async function makeRunDir(conn: SshConnection, name: string, runId: string, io: IoOptions): Promise<string> {
  const r = await conn.exec(['mktemp', '-d', `/tmp/vmmi-${runId}.XXXXXX`], io);
  const dir = r.stdout.trim();
  if (r.exitCode !== 0 || !runDirPattern(runId).test(dir)) {
    throw new VmmiError('COMMAND', `mktemp -d failed (exit ${r.exitCode ?? r.signal}): ${r.stderr.trim() || dir}`,
      { device: name, operation: 'make the run directory', hint: 'the host needs a writable /tmp and mktemp' });
  }
  return dir;
}

/** Exactly the directories makeRunDir creates for `runId` (the only ones close() removes). */
export function runDirPattern(runId: string): RegExp {
  return new RegExp(`^/tmp/vmmi-${runId.replace(/[.]/g, '\\.')}\\.[A-Za-z0-9]{6,}$`);
}

async function upload(conn: SshConnection, name: string, data: Buffer, path: string, io: IoOptions): Promise<void> {
  try {
    await conn.upload(data, path, { ...io, mode: 0o600 });
    return;
  } catch (e) {
    if (!(e instanceof UnsupportedError)) throw e;
  }
  // No SFTP subsystem: the same bytes through an exec channel's stdin (the bundle is UTF-8 text).
  const r = await conn.exec(['cp', '/dev/stdin', path], { ...io, input: data.toString('utf8') });
  const m = r.exitCode === 0 ? await conn.exec(['chmod', '600', path], io) : r;
  if (m.exitCode !== 0) {
    throw new VmmiError('COMMAND', `upload of ${path} over exec failed: ${m.stderr.trim()}`,
      { device: name, operation: 'upload the agent' });
  }
}

/** Connects, checks `node`, makes the per-run directory and uploads the agent bundle. */
export async function openRemoteHost(o: RemoteHostOptions): Promise<RemoteHost> {
  if (!RUN_ID.test(o.runId)) throw new UsageError(`run id ${JSON.stringify(o.runId)}: use 1-64 of [A-Za-z0-9_.-]`);
  const name = o.target.name ?? o.target.host;
  const node = o.node ?? 'node';
  const io: IoOptions = { timeoutMs: o.timeoutMs, ...(o.signal === undefined ? {} : { signal: o.signal }) };
  const conns = connector(o);
  let dir: string | undefined;
  try {
    const conn = await conns.get(io);
    const [nodeVersion, bundle] = await Promise.all([
      checkNode(conn, name, node, io),
      remoteAgentBundle({ timeoutMs: Math.max(o.timeoutMs, 60_000), ...(o.signal ? { signal: o.signal } : {}) }),
    ]);
    dir = await makeRunDir(conn, name, o.runId, io);
    const bundlePath = `${dir}/${REMOTE_AGENT_FILE}`;
    await upload(conn, name, await readFile(bundle), bundlePath, io);
    return remoteHost({ o, name, node, dir, bundlePath, nodeVersion, conns });
  } catch (e) {
    if (dir !== undefined) await removeDir(conns.get, dir, io);
    conns.closeOwn();
    throw isVmmiError(e) ? e : new VmmiError('CONNECTION', e instanceof Error ? e.message : String(e),
      { device: name, operation: 'prepare the remote agent host', cause: e });
  }
}

async function removeDir(get: (io: IoOptions) => Promise<SshConnection>, dir: string, io: IoOptions): Promise<boolean> {
  try {
    const r = await (await get(io)).exec(['rm', '-rf', '--', dir], io);
    return r.exitCode === 0;
  } catch {
    return false; // close() never throws: the directory is in /tmp and named by the run
  }
}

interface Parts {
  readonly o: RemoteHostOptions;
  readonly name: string;
  readonly node: string;
  readonly dir: string;
  readonly bundlePath: string;
  readonly nodeVersion: string;
  readonly conns: ReturnType<typeof connector>;
}

function remoteHost(p: Parts): RemoteHost {
  const { o, name, node, dir, bundlePath, conns } = p;
  let closed: Promise<void> | undefined;
  const agentArgv = (sub: RemoteAgentSubcommand): string[] => [node, bundlePath, sub];
  return {
    name, dir, bundlePath, nodeVersion: p.nodeVersion, agentArgv,
    spawner: sshSpawner(conns.get, { where: `ssh:${name}`, openTimeoutMs: o.timeoutMs,
      ...(o.stopGraceMs === undefined ? {} : { stopGraceMs: o.stopGraceMs }) }),
    runner: sshRunner(name, (ro) => conns.get(ro)),
    connection: conns.get,
    pathDelayMs: (io = {}) => echoDelay(conns.get, agentArgv('echo'), name, { timeoutMs: o.timeoutMs, ...io }),
    close(io = {}) {
      closed ??= (async () => {
        if (runDirPattern(o.runId).test(dir)) await removeDir(conns.get, dir, { timeoutMs: o.timeoutMs, ...io });
        conns.closeOwn();
      })();
      return closed;
    },
  };
}

/** Round trips of ECHO_ROUNDS lines through `echo` after its `echo-ready`; half their median, ms. */
async function echoDelay(get: (io: IoOptions) => Promise<SshConnection>, argv: readonly string[], name: string,
  io: IoOptions): Promise<number> {
  const proc = await (await get(io)).spawn(argv, io);
  const lines = createInterface({ input: proc.stdout, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done === true) throw new VmmiError('PROBE', 'echo agent ended early', { device: name });
    return String(r.value);
  };
  const work = (async () => {
    if ((await next()) !== 'echo-ready') throw new VmmiError('PROBE', 'echo agent did not start', { device: name });
    const rtts: number[] = [];
    for (let i = 0; i < ECHO_ROUNDS; i++) {
      const t0 = performance.now();
      proc.write(`vmmi-echo-${i}\n`);
      while ((await next()) !== `vmmi-echo-${i}`) { /* a stray line: wait for ours */ }
      rtts.push(performance.now() - t0);
    }
    return median(rtts) / 2;
  })();
  try {
    return await withDeadline(work, `path delay to ${name}`, { ...io, ctx: { device: name } });
  } finally {
    proc.endInput();
    proc.close();
  }
}
