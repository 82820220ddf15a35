/**
 * HypervisorDriver over the virsh CLI: the fallback where the RPC driver cannot be used, and the
 * test oracle the RPC driver is checked against. Every call is one `virsh -c URI …` process
 * (LC_ALL=C, ~15–20 ms each); events come from one long-lived `virsh event --all --loop --timestamp`
 * per driver, parsed into the same typed events and stamped on receipt. stderr is classified in
 * exec/classify/virsh.ts.
 */
import { mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError } from '../../errors/classes.js';
import { classifyVirshError } from '../../exec/classify/virsh.js';
import { runLocal } from '../../exec/local.js';
import { type StreamingProcess, spawnStream } from '../../exec/spawn-stream.js';
import type { CommandRunner, RunOptions } from '../../exec/types.js';
import { MigrateFlag } from '../../transports/libvirt/enums.js';
import { type IoOptions, sleep, withDeadline } from '../../util/abort.js';
import { type Stamp, stamp } from '../../util/stamp.js';
import { EventHub } from './event-hub.js';
import { startMigrationJob } from './migrate-recipe.js';
import type {
  DomainInfo, DomainRef, DomainSpec, DomainState, HypervisorDriver, HypervisorEvent, DriverJobStats, JobStatsOptions,
  MigrateExtraParams, MigrateOptions, MigrationHandle, MigrationPrimitives,
} from './types.js';
import { parseDaemonVersion, parseHypervisorVersion, parseDomInfo, parseDomState, parseJobInfoRaw, parseVirshEvents } from './virsh-parse.js';
import { defined } from '../../model/defined.js';

export interface VirshDriverOptions {
  /** Name in events and errors (default: the URI's host, or `local`). */
  readonly host?: string;
  /** Runs the one-shot commands (default: local execa runner). Events always run locally. */
  readonly runner?: CommandRunner;
  /** Default limit per virsh call, ms (60 000). */
  readonly timeoutMs?: number;
  /** virsh binary (default `virsh` from PATH). */
  readonly virsh?: string;
}

const domArg = (d: DomainSpec): string => (typeof d === 'string' ? d : d.uuid);

/** `virsh migrate` options of the mode flags and parameters (virsh ≥ 5.0 spells each of them). */
export function virshModeArgs(flags: number, x: MigrateExtraParams): string[] {
  const a: string[] = [];
  if ((flags & MigrateFlag.POSTCOPY) !== 0) a.push('--postcopy');
  if ((flags & MigrateFlag.AUTO_CONVERGE) !== 0) a.push('--auto-converge');
  if (x.autoConvergeInitialPct !== undefined) a.push('--auto-converge-initial', String(x.autoConvergeInitialPct));
  if (x.autoConvergeIncrementPct !== undefined) a.push('--auto-converge-increment', String(x.autoConvergeIncrementPct));
  if ((flags & MigrateFlag.PARALLEL) !== 0) a.push('--parallel');
  if (x.parallelConnections !== undefined) a.push('--parallel-connections', String(x.parallelConnections));
  if ((flags & MigrateFlag.COMPRESSED) !== 0) a.push('--compressed');
  if (x.compression !== undefined) a.push('--comp-methods', x.compression);
  if (x.xbzrleCacheBytes !== undefined) a.push('--comp-xbzrle-cache', String(x.xbzrleCacheBytes));
  if ((flags & MigrateFlag.TLS) !== 0) a.push('--tls');
  return a;
}

export class VirshDriver implements HypervisorDriver {
  readonly host: string;
  readonly uri: string;
  readonly #o: VirshDriverOptions;
  readonly #hub = new EventHub<HypervisorEvent>();
  #events: { proc: StreamingProcess; ready: Promise<void> } | undefined;
  #closed = false;

  constructor(uri: string, o: VirshDriverOptions = {}) {
    this.uri = uri;
    this.#o = o;
    this.host = o.host ?? /^[^:]+:\/\/(?:[^@/]*@)?([^/:?]+)/.exec(uri)?.[1] ?? 'local';
  }

  async #run(args: readonly string[], opts: IoOptions & { input?: string } = {}): Promise<string> {
    const argv = [this.#o.virsh ?? 'virsh', '-c', this.uri, ...args];
    const ro: RunOptions = {
      timeoutMs: opts.timeoutMs ?? this.#o.timeoutMs ?? 60_000, env: { LC_ALL: 'C' },
      ...defined({ signal: opts.signal, input: opts.input }),
    };
    const r = this.#o.runner === undefined ? await runLocal(argv, ro) : await this.#o.runner.run(argv, ro);
    if (r.failed) throw classifyVirshError(r, { device: this.host, operation: `virsh ${args[0] ?? ''}` });
    return r.stdout;
  }

  async lookup(by: { readonly name: string } | { readonly uuid: string }, opts?: IoOptions): Promise<DomainRef> {
    return parseDomInfo(await this.#run(['dominfo', 'name' in by ? by.name : by.uuid], opts)).ref;
  }
  async state(d: DomainSpec, opts?: IoOptions): Promise<DomainState> {
    return parseDomState(await this.#run(['domstate', '--reason', domArg(d)], opts));
  }
  async info(d: DomainSpec, opts?: IoOptions): Promise<DomainInfo> {
    return parseDomInfo(await this.#run(['dominfo', domArg(d)], opts)).info;
  }
  xml(d: DomainSpec, opts: IoOptions & { readonly inactive?: boolean } = {}): Promise<string> {
    return this.#run(['dumpxml', ...(opts.inactive === true ? ['--inactive'] : []), domArg(d)], opts);
  }
  async define(xml: string, opts?: IoOptions): Promise<DomainRef> {
    // virsh reads a file; /dev/stdin fails (ENXIO) when stdin is a socket, so use a private temp file.
    const tmp = await mkdtemp(join(tmpdir(), 'vmmi-virsh-'));
    let out: string;
    try {
      await writeFile(join(tmp, 'domain.xml'), xml, { mode: 0o600 });
      out = await this.#run(['define', join(tmp, 'domain.xml')], opts);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    const name = /Domain '(.*)' defined/.exec(out)?.[1];
    if (name === undefined)
      throw new ConnectionError(`virsh define: unexpected output ${JSON.stringify(out.trim())}`, { device: this.host });
    return this.lookup({ name }, opts);
  }
  async start(d: DomainSpec, opts?: IoOptions): Promise<void> {
    await this.#run(['start', domArg(d)], opts);
  }
  async destroy(d: DomainSpec, opts?: IoOptions): Promise<void> {
    await this.#run(['destroy', domArg(d)], opts);
  }
  async undefine(d: DomainSpec, opts?: IoOptions): Promise<void> {
    await this.#run(['undefine', domArg(d)], opts);
  }
  async suspend(d: DomainSpec, opts?: IoOptions): Promise<void> {
    await this.#run(['suspend', domArg(d)], opts);
  }
  async resume(d: DomainSpec, opts?: IoOptions): Promise<void> {
    await this.#run(['resume', domArg(d)], opts);
  }
  async libVersion(opts?: IoOptions): Promise<number> {
    return parseDaemonVersion(await this.#run(['version', '--daemon'], opts));
  }
  async hypervisorVersion(opts?: IoOptions): Promise<number> {
    return parseHypervisorVersion(await this.#run(['version'], opts));
  }
  async hostname(opts?: IoOptions): Promise<string> {
    return (await this.#run(['hostname'], opts)).trim();
  }
  async jobStats(d: DomainSpec, opts: JobStatsOptions = {}): Promise<DriverJobStats> {
    const extra = opts.completed === true ? ['--completed', ...(opts.keep === false ? [] : ['--keep-completed'])] : [];
    return parseJobInfoRaw(await this.#run(['domjobinfo', domArg(d), ...extra, '--rawstats'], opts));
  }

  readonly primitives: MigrationPrimitives = {
    driver: this,
    setMaxDowntime: async (d, ms, opts) => {
      await this.#run(['migrate-setmaxdowntime', domArg(d), String(ms)], opts);
    },
    perform: async (d, destinationUri, o) => {
      const f = o.flags;
      const args = ['migrate', ...((f & MigrateFlag.LIVE) !== 0 ? ['--live'] : []), '--p2p',
        ...((f & MigrateFlag.PERSIST_DEST) !== 0 ? ['--persistent'] : []),
        ...((f & MigrateFlag.UNDEFINE_SOURCE) !== 0 ? ['--undefinesource'] : []),
        ...virshModeArgs(f, o.extra ?? {}),
        '--bandwidth', String(o.bandwidthMiBs), domArg(d), destinationUri];
      await this.#run(args, o);
    },
    abortJob: async (d, opts) => {
      await this.#run(['domjobabort', domArg(d)], opts);
    },
    startPostCopy: async (d, opts) => {
      await this.#run(['migrate-postcopy', domArg(d)], opts);
    },
  };

  migrate(d: DomainSpec, destinationUri: string, opts: MigrateOptions = {}): MigrationHandle {
    return startMigrationJob(this.primitives, d, destinationUri, opts);
  }

  events(opts: { readonly signal?: AbortSignal } = {}): AsyncIterableIterator<HypervisorEvent> {
    const it = this.#hub.subscribe(opts.signal);
    if (!this.#closed) void this.eventsReady().catch(() => undefined);
    return it;
  }

  /**
   * Starts the `virsh event` process once and waits until it holds its connection to the daemon,
   * plus a settle delay for its callback registration (virsh prints nothing when ready; this is
   * the weak spot of the virsh driver: events caused in the first ~0.3 s may be missed).
   */
  eventsReady(opts: IoOptions = {}): Promise<void> {
    if (this.#closed) return Promise.reject(new ConnectionError('driver is closed', { device: this.host }));
    this.#events ??= this.#startEvents();
    return withDeadline(this.#events.ready, 'virsh event start', {
      timeoutMs: opts.timeoutMs ?? 10_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  #startEvents(): { proc: StreamingProcess; ready: Promise<void> } {
    let buf = '';
    let bufAt: Stamp | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stderr = '';
    const emit = (final: boolean): void => {
      const at = bufAt ?? stamp();
      const { events, rest } = parseVirshEvents(buf, final);
      buf = rest;
      bufAt = rest === '' ? undefined : at;
      for (const e of events) {
        const base = { host: this.host, domain: { name: e.domain }, at };
        if (e.kind === 'lifecycle') {
          this.#hub.publish({
            ...base,
            kind: 'lifecycle',
            event: e.event,
            eventCode: e.eventCode,
            detail: e.detail,
            detailCode: e.detailCode,
          });
        } else if (e.kind === 'reboot') {
          this.#hub.publish({ ...base, kind: 'reboot' });
        } else if (e.kind === 'migration-iteration') {
          this.#hub.publish({ ...base, kind: 'migration-iteration', iteration: e.iteration });
        } else {
          this.#hub.publish({ ...base, kind: 'job-completed', stats: e.stats });
        }
      }
    };
    const proc = spawnStream([this.#o.virsh ?? 'virsh', '-c', this.uri, 'event', '--all', '--loop', '--timestamp'], {
      onStdout: (s) => {
        bufAt ??= stamp();
        buf += s;
        emit(false);
        if (timer !== undefined) clearTimeout(timer);
        if (buf !== '') timer = setTimeout(() => emit(true), 30);
      },
      onStderr: (s) => (stderr = (stderr + s).slice(-2000)),
    });
    void proc.exited.then(({ code }) => {
      this.#events = undefined;
      if (!this.#closed) {
        this.#hub.close(
          new ConnectionError(`virsh event exited (${code ?? 'signal'}): ${stderr.trim()}`, { device: this.host }),
        );
      }
    });
    const ready = (async () => {
      for (let i = 0; i < 500; i++) {
        if (await hasSocket(proc.pid)) break;
        const gone = await Promise.race([proc.exited.then(() => true), sleep(10).then(() => false)]);
        if (gone) throw new ConnectionError(`virsh event exited at start: ${stderr.trim()}`, { device: this.host });
      }
      await sleep(300);
    })();
    return { proc, ready };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#events?.proc.stop();
    this.#hub.close();
  }
}

async function hasSocket(pid: number): Promise<boolean> {
  try {
    for (const fd of await readdir(`/proc/${pid}/fd`)) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')).startsWith('socket:')) return true;
    }
  } catch {
    return false;
  }
  return false;
}

export function createVirshDriver(uri: string, o?: VirshDriverOptions): VirshDriver {
  return new VirshDriver(uri, o);
}
