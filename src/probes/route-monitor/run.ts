/**
 * Long-lived kernel-change monitor of one network namespace: `ip -ts monitor label route neigh`
 * (both families in one process) and optionally `bridge -t monitor fdb`, each under `timeout` so a
 * crashed controller never leaves a monitor behind. Every event is stamped on receipt with the
 * controller clock (stamp()) and keeps the wall time iproute2 printed (`kernelWallMs`, the moment `ip`
 * read the netlink message; same host clock in the lab, so `t.wallMs − kernelWallMs` is the pipe
 * latency). `start` returns only once the netlink socket is subscribed (checked in /proc), so changes
 * made after it are never missed.
 */
import { readFile, readdir, readlink } from 'node:fs/promises';
import { runLocal } from '../../exec/local.js';
import { spawnPiped, type ChildProcess } from '../../exec/spawn.js';
import { TimeoutError } from '../../errors/classes.js';
import { VmmiError } from '../../errors/vmmi-error.js';
import { pollUntil, withDeadline, type IoOptions } from '../../util/abort.js';
import { stamp, type Stamp } from '../../util/stamp.js';
import {
  createChangeTracker, createLineParser, normalizePrefix, parseMonitorText, type MonitorEvent, type MonitorObject,
} from './parse.js';
import { defined } from '../../model/defined.js';
import { ChangeSignal } from './change-signal.js';

/** A monitor event with the controller receipt stamp and where it was seen. */
export interface MonitorRecord extends MonitorEvent {
  readonly t: Stamp;
  readonly ns: string;
  /** Router/host name given at start (defaults to the namespace). */
  readonly router: string;
}

export interface NetnsMonitorOptions {
  /** Name of the place watched (a network namespace's name in the lab), for records and messages. */
  readonly ns: string;
  /**
   * argv prefix that runs a command in that place (`ip netns exec <ns>`, given by the emulated lab,
   * which alone enters namespaces); empty for this host's own tables.
   */
  readonly enter: readonly string[];
  readonly router?: string;
  /** Also watch the bridge FDB (MAC moves). Default false. */
  readonly fdb?: boolean;
  /** Hard bound of the monitor processes' life (ms); they are killed after it. */
  readonly maxLifetimeMs: number;
  /** Snapshot routes/neighbours at start so a first change of a known object reads as `replace`. */
  readonly seed?: boolean;
}

export interface WaitForRouteOptions extends IoOptions {
  /** true: wait until the prefix is present; false: until it is gone. */
  readonly present: boolean;
  /** Only routes in this table (default: main). */
  readonly table?: string;
}

const utcOffsetMin = (): number => -new Date().getTimezoneOffset();

/** PIDs of `pid` and its descendants (the `timeout` wrapper forks the monitor). */
async function processTree(pid: number): Promise<number[]> {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i] ?? 0;
    try {
      const tasks = await readdir(`/proc/${p}/task`);
      for (const t of tasks) {
        const kids = (await readFile(`/proc/${p}/task/${t}/children`, 'utf8')).trim();
        if (kids !== '') out.push(...kids.split(/\s+/).map(Number));
      }
    } catch { /* exited */ }
  }
  return out;
}

/** True once a process of the tree holds a NETLINK_ROUTE socket bound to multicast groups. */
export async function netlinkSubscribed(pid: number): Promise<boolean> {
  for (const p of await processTree(pid)) {
    try {
      const inodes = new Set<string>();
      for (const fd of await readdir(`/proc/${p}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${p}/fd/${fd}`).catch(() => ''));
        if (m?.[1] !== undefined) inodes.add(m[1]);
      }
      const rows = (await readFile(`/proc/${p}/net/netlink`, 'utf8')).split('\n').slice(1);
      for (const r of rows) {
        const c = r.trim().split(/\s+/);
        if (c[1] === '0' && c[3] !== undefined && !/^0+$/.test(c[3]) && inodes.has(c[9] ?? '')) return true;
      }
    } catch { /* exited or not yet exec'd */ }
  }
  return false;
}

interface Child { proc: ChildProcess; closed: Promise<void>; stderr: string }

export class NetnsMonitor {
  readonly records: MonitorRecord[] = [];
  /** Notified at every record (waitForRoutes sleeps on it). */
  readonly changed = new ChangeSignal();
  private readonly tracker = createChangeTracker();
  private readonly listeners = new Set<(r: MonitorRecord) => void>();
  private readonly children: Child[] = [];
  private lifetime: NodeJS.Timeout | undefined;
  private seeded = false;
  private readonly backlog: MonitorRecord[] = [];

  private constructor(readonly opts: NetnsMonitorOptions) {}

  /** Starts the monitor(s); resolves once subscribed (and seeded). */
  static async start(opts: NetnsMonitorOptions, io: IoOptions = {}): Promise<NetnsMonitor> {
    const m = new NetnsMonitor(opts);
    try {
      m.spawn(['ip', '-ts', 'monitor', 'label', 'route', 'neigh'], 'route');
      if (opts.fdb === true) m.spawn(['bridge', '-t', 'monitor', 'fdb'], 'fdb');
      m.lifetime = setTimeout(() => void m.stop(), opts.maxLifetimeMs);
      m.lifetime.unref();
      const timeoutMs = io.timeoutMs ?? 5000;
      for (const c of m.children) {
        const pid = c.proc.pid ?? 0;
        await pollUntil(
          async () => ((await netlinkSubscribed(pid)) ? true : c.proc.exitCode !== null ? false : undefined),
          `monitor subscription in ${opts.ns}`,
          { timeoutMs, intervalMs: 5, ...defined({ signal: io.signal }) },
        ).then((ok) => {
          if (!ok)
            throw new VmmiError('PROBE', `monitor in ${opts.ns} exited at start: ${c.stderr.trim()}`, {
              hint: 'check that the namespace exists and iproute2 is installed',
            });
        });
      }
      if (opts.seed !== false) await m.seed(io);
      m.seeded = true;
      for (const r of m.backlog.splice(0)) m.deliver(r);
      return m;
    } catch (e) {
      await m.stop();
      throw e;
    }
  }

  get router(): string { return this.opts.router ?? this.opts.ns; }

  private argv(inner: readonly string[]): string[] {
    const secs = Math.max(1, Math.ceil(this.opts.maxLifetimeMs / 1000) + 1);
    return ['timeout', '-k', '1', String(secs), ...this.opts.enter, ...inner];
  }

  private spawn(inner: readonly string[], what: 'route' | 'fdb'): void {
    const proc: ChildProcess = spawnPiped(this.argv(inner), { stdin: 'ignore' });
    const child: Child = { proc, stderr: '', closed: new Promise((res) => proc.once('close', () => res())) };
    proc.once('error', (e) => { child.stderr += `spawn failed: ${e.message}`; });
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (d: string) => { child.stderr = (child.stderr + d).slice(-2048); });
    const parser = createLineParser({ utcOffsetMin: utcOffsetMin(), defaultObject: what === 'fdb' ? 'fdb' : 'route' });
    let partial = '';
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      const t = stamp();
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      const evs: MonitorEvent[] = [];
      for (const l of lines) evs.push(...parser.push(l));
      if (partial === '') evs.push(...parser.flush());
      for (const e of evs) {
        // `ip monitor neigh` also prints PF_BRIDGE entries; FDB comes from `bridge monitor fdb` only.
        if (what === 'route' && e.object === 'fdb') continue;
        this.receive({ ...e, t, ns: this.opts.ns, router: this.router });
      }
    });
    this.children.push(child);
  }

  private async seed(io: IoOptions): Promise<void> {
    const run = async (argv: string[], object: MonitorObject, v6 = false): Promise<MonitorEvent[]> => {
      const r = await runLocal([...this.opts.enter, ...argv], { timeoutMs: io.timeoutMs ?? 5000,
        ...defined({ signal: io.signal }) });
      return r.failed ? [] : parseMonitorText(r.stdout, { defaultObject: object, ipv6Only: v6 });
    };
    const seeds = await Promise.all([
      run(['ip', 'route', 'show', 'table', 'all'], 'route'),
      run(['ip', '-6', 'route', 'show', 'table', 'all'], 'route', true),
      run(['ip', 'neigh', 'show'], 'neigh'),
      ...(this.opts.fdb === true ? [run(['bridge', 'fdb', 'show'], 'fdb')] : []),
    ]);
    for (const s of seeds) this.tracker.seed(s);
  }

  private receive(r: MonitorRecord): void {
    if (!this.seeded) this.backlog.push(r);
    else this.deliver(r);
  }

  private deliver(raw: MonitorRecord): void {
    const r = this.tracker.classify(raw) as MonitorRecord;
    this.records.push(r);
    this.changed.notify();
    for (const l of this.listeners) l(r);
  }

  /** Subscribes to classified records; returns the unsubscribe function. */
  onRecord(fn: (r: MonitorRecord) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Check first, then wait: resolves with the record that made the prefix present/absent, or with
   * `undefined` when it already was in that state. Rejects with TimeoutError/AbortedError.
   */
  async waitForRoute(prefix: string, o: WaitForRouteOptions): Promise<MonitorRecord | undefined> {
    const table = o.table ?? 'main';
    const want = normalizePrefix(prefix, prefix.includes(':') ? 6 : 4);
    if (this.routePresent(want, table) === o.present) return undefined;
    let off: (() => void) | undefined;
    const hit = new Promise<MonitorRecord>((resolve) => {
      off = this.onRecord((r) => {
        if (r.object === 'route' && r.prefix === want && (r.table ?? 'main') === table
          && this.routePresent(want, table) === o.present) resolve(r);
      });
    });
    try {
      return await withDeadline(hit, `route ${want} ${o.present ? 'present' : 'absent'} in ${this.opts.ns}`,
        { timeoutMs: o.timeoutMs ?? 10_000, ...defined({ signal: o.signal }) });
    } finally {
      off?.();
    }
  }

  /** Present in `table` under any metric. */
  routePresent(prefix: string, table = 'main'): boolean {
    return this.tracker.keys().some((k) => {
      const [obj, tb, p] = k.split('|');
      return obj === 'route' && tb === table && p === prefix;
    });
  }

  /** Kills the monitor processes and waits for them; idempotent. Returns every record seen. */
  async stop(): Promise<readonly MonitorRecord[]> {
    if (this.lifetime !== undefined) clearTimeout(this.lifetime);
    await Promise.all(this.children.map(async (c) => {
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
      try {
        await withDeadline(c.closed, 'monitor exit', { timeoutMs: 1500 });
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
        c.proc.kill('SIGKILL');
        await c.closed;
      }
    }));
    return this.records;
  }
}
