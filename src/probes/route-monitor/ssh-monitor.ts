/**
 * Route, neighbour and (optionally) FDB changes of a Linux-based NOS (SONiC, Cumulus, an FRR box)
 * reached only over SSH: `ip -ts -o monitor label route neigh` and `bridge -t monitor fdb`, each on
 * its own exec channel inside the fixed script of ssh-monitor-script.ts.
 *
 * Contract: `startSshMonitor` resolves once every monitor's netlink socket is subscribed on the device
 * (the script's READY line) and the current tables are seeded, so a change made after it resolves is
 * reported. Records are stamped on receipt at the controller; `uncertaintyMs` is the SSH path's
 * one-way delay measured at start (ssh-delay.ts). `stop` closes the channels' stdin, which ends the
 * remote monitors, waits for the channels to close (then signals and drops them), and closes the
 * connection when the monitor owns it.
 */
import type { Duplex, Readable } from 'node:stream';
import { VmmiError } from '../../errors/vmmi-error.js';
import type { SshConnection } from '../../transports/ssh.js';
import { withDeadline, type IoOptions } from '../../util/abort.js';
import { stamp, type Stamp } from '../../util/stamp.js';
import type { ObservedRecord, RouteObserver } from './observed.js';
import {
  createChangeTracker, createLineParser, parseMonitorText, type MonitorEvent, type MonitorObject,
} from './parse.js';
import { measurePathDelay } from './ssh-delay.js';
import { monitorArgv, readyPid, startError, type MonitorWhat } from './ssh-monitor-script.js';
import { ChangeSignal } from './change-signal.js';

export interface SshMonitorOptions {
  readonly router: string;
  /** A connection to the device's Linux shell (SSH exec runs argv through its login shell). */
  readonly connection: SshConnection;
  /** Close the connection at stop (true when it was opened for this monitor alone). */
  readonly ownsConnection: boolean;
  /** Also watch the bridge FDB (MAC moves). Default false. */
  readonly fdb?: boolean;
  /** Hard bound of the remote processes' life (ms): `timeout` ends them even if stop never comes. */
  readonly maxLifetimeMs: number;
  /** Snapshot the tables at start so a first change of a known object reads as `replace`. Default true. */
  readonly seed?: boolean;
  /** Round trips for the delay measurement (default 5). */
  readonly delaySamples?: number;
}

export interface SshMonitor extends RouteObserver {
  /** Measured one-way delay of the SSH path at start (ms), the records' uncertainty. */
  readonly oneWayDelayMs: number;
  /** Remote pids of the monitor processes, as the script reported them. */
  readonly remotePids: readonly number[];
}

/** Remote channel features ssh2's ClientChannel has beyond Duplex (typed here: ssh2 has one importer). */
type ExecChannel = Duplex & { readonly stderr?: Readable; signal?(name: string): void; close?(): void };

interface Channel {
  readonly what: MonitorWhat;
  readonly ch: ExecChannel;
  readonly ready: Promise<number>;
  readonly closed: Promise<void>;
  isClosed: boolean;
  stderr: string;
  exit: string;
}

type Sink = (events: readonly MonitorEvent[], t: Stamp) => void;

/** Splits stdout into lines; READY resolves `ready`, every other line goes through the parser. */
function wireStdout(c: Channel, onReady: (pid: number) => void, sink: Sink): void {
  const parser = createLineParser({ oneline: true, defaultObject: c.what === 'fdb' ? 'fdb' : 'route' });
  let partial = '';
  c.ch.setEncoding('utf8');
  c.ch.on('data', (chunk: string) => {
    const t = stamp();
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    const events: MonitorEvent[] = [];
    for (const line of lines) {
      const pid = readyPid(line);
      if (pid !== undefined) onReady(pid);
      // `ip monitor neigh` also prints PF_BRIDGE entries; FDB comes from `bridge monitor fdb` only.
      else events.push(...parser.push(line).filter((e) => c.what === 'fdb' || e.object !== 'fdb'));
    }
    if (events.length > 0) sink(events, t);
  });
}

async function openChannel(o: SshMonitorOptions, what: MonitorWhat, sink: Sink, io: IoOptions): Promise<Channel> {
  const ch: ExecChannel = await o.connection.execStream(monitorArgv(what, o.maxLifetimeMs), io);
  let onReady: (pid: number) => void = () => undefined;
  let onEnd: () => void = () => undefined;
  const ready = new Promise<number>((resolve, reject) => {
    onReady = resolve;
    onEnd = () => reject(startError(o.router, what, c.stderr, c.exit));
  });
  ready.catch(() => undefined); // observed by start; a late end after READY is recorded as a failure instead
  const c: Channel = { what, ch, ready, isClosed: false, stderr: '', exit: 'no exit status',
    closed: new Promise<void>((resolve) => ch.once('close', () => {
      c.isClosed = true;
      onEnd();
      resolve();
    })) };
  ch.on('error', () => undefined); // a channel error ends in 'close'
  ch.on('exit', (code: number | null, signal?: string) => { c.exit = signal ?? `exit ${code ?? '?'}`; });
  ch.stderr?.setEncoding('utf8');
  ch.stderr?.on('data', (d: string) => { c.stderr = (c.stderr + d).slice(-2048); });
  wireStdout(c, (pid) => onReady(pid), sink);
  return c;
}

/** Ends one channel: stdin EOF (the script stops its monitor), then TERM and drop if it lingers. */
async function closeChannel(c: Channel, graceMs: number): Promise<void> {
  if (c.isClosed) return;
  c.ch.end();
  try {
    await withDeadline(c.closed, 'monitor channel close', { timeoutMs: graceMs });
  } catch {
    c.ch.signal?.('TERM');
    if (c.ch.close !== undefined) c.ch.close();
    else c.ch.destroy();
    await withDeadline(c.closed, 'monitor channel drop', { timeoutMs: 1000 }).catch(() => undefined);
  }
}

/** Current tables through one-shot exec calls, parsed like the monitor's own output. */
async function snapshot(conn: SshConnection, fdb: boolean, io: IoOptions): Promise<MonitorEvent[]> {
  const run = async (argv: string[], object: MonitorObject, ipv6Only = false): Promise<MonitorEvent[]> => {
    const r = await conn.exec(argv, io);
    return r.exitCode === 0 ? parseMonitorText(r.stdout, { oneline: true, defaultObject: object, ipv6Only }) : [];
  };
  const parts = await Promise.all([
    run(['ip', '-o', 'route', 'show', 'table', 'all'], 'route'),
    run(['ip', '-o', '-6', 'route', 'show', 'table', 'all'], 'route', true),
    run(['ip', '-o', 'neigh', 'show'], 'neigh'),
    ...(fdb ? [run(['bridge', 'fdb', 'show'], 'fdb')] : []),
  ]);
  return parts.flat();
}

/** Starts the monitor(s); see the file comment for what resolving guarantees. */
export async function startSshMonitor(o: SshMonitorOptions, io: IoOptions = {}): Promise<SshMonitor> {
  const bound: IoOptions = { timeoutMs: io.timeoutMs ?? 10_000,
    ...(io.signal === undefined ? {} : { signal: io.signal }) };
  const delay = await measurePathDelay(o.connection, { ...bound, ...(o.delaySamples === undefined ? {} : {
    samples: o.delaySamples }) });
  const records: ObservedRecord[] = [];
  const signal = new ChangeSignal();
  const tracker = createChangeTracker();
  let backlog: { e: MonitorEvent; t: Stamp }[] | undefined = [];
  const deliver = (e: MonitorEvent, t: Stamp): void => {
    records.push({ ...tracker.classify(e), t, router: o.router, uncertaintyMs: delay.oneWayMs });
    signal.notify();
  };
  const sink: Sink = (events, t) => {
    for (const e of events) if (backlog === undefined) deliver(e, t); else backlog.push({ e, t });
  };
  const channels: Channel[] = [];
  let stopped = false;
  let lifetime: NodeJS.Timeout | undefined;
  const stop = async (graceMs = 2000): Promise<void> => {
    if (lifetime !== undefined) clearTimeout(lifetime);
    stopped = true;
    await Promise.all(channels.map((c) => closeChannel(c, graceMs)));
    if (o.ownsConnection) o.connection.close();
  };
  try {
    for (const what of o.fdb === true ? (['route', 'fdb'] as const) : (['route'] as const))
      channels.push(await openChannel(o, what, sink, bound));
    const pids = await withDeadline(Promise.all(channels.map((c) => c.ready)), 'monitor subscription',
      { ...bound, ctx: { device: o.router } });
    if (o.seed !== false) tracker.seed(await snapshot(o.connection, o.fdb === true, bound));
    for (const { e, t } of backlog) deliver(e, t);
    backlog = undefined;
    lifetime = setTimeout(() => void stop(), o.maxLifetimeMs);
    lifetime.unref();
    return {
      router: o.router, kind: 'ssh-exec', resolutionMs: delay.oneWayMs, oneWayDelayMs: delay.oneWayMs,
      remotePids: pids,
      records: () => records,
      changed: (maxMs: number) => signal.next(maxMs),
      failure: () => {
        const lost = channels.find((c) => c.isClosed && !stopped);
        return lost === undefined ? undefined : `${lost.what} monitor ended early (${lost.exit}): ${lost.stderr.trim()}`;
      },
      stop: async (stopIo) => stop(stopIo.timeoutMs),
    };
  } catch (e) {
    await stop();
    throw e instanceof VmmiError ? e : new VmmiError('PROBE', String(e), { device: o.router, cause: e });
  }
}
