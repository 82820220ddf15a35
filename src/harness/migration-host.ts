/**
 * Adapts a HypervisorDriver to the executor's MigrationHost (migration/types.ts): the composition
 * root is the only place that knows both shapes. Events are the driver's, filtered to one domain and
 * renamed; the destination's driver is looked up by its migration URI so that the driver's migration
 * recipe reads the destination's completed stats (QEMU downtime) and stamps both hosts itself.
 */
import { isVmmiError } from '../errors/vmmi-error.js';
import type {
  HypervisorDriver, HypervisorEvent, DriverJobStats, MigrationHandle, MigrationObservation,
} from '../drivers/hypervisor/types.js';
import type {
  DomainState, HostEvent, HostEventKind, HostEventStream, JobStats, MigrationHost, MigrationJob,
} from '../migration/types.js';
import type { IoOptions } from '../util/abort.js';
import { defined } from '../model/defined.js';

/** Maps driver events to the executor's kinds; undefined for events the executor does not use. */
export function toHostEvent(e: HypervisorEvent): HostEvent | undefined {
  const base = { t: e.at, host: e.host, domain: e.domain.name };
  if (e.kind === 'migration-iteration') return { ...base, kind: 'iteration', detail: String(e.iteration) };
  if (e.kind === 'job-completed') return { ...base, kind: 'job-completed' };
  if (e.kind === 'reboot') return { ...base, kind: 'reboot' };
  const map: Partial<Record<string, HostEventKind>> = {
    started: 'started',
    suspended: 'suspended',
    resumed: 'resumed',
    stopped: 'stopped',
  };
  const kind = map[e.event];
  if (kind === undefined) return undefined;
  if (kind === 'stopped' && e.detail === 'failed') return { ...base, kind: 'job-failed', detail: e.detail };
  return { ...base, kind, detail: e.detail };
}

/**
 * The completed job's stats of one move: the destination's (libvirt computes `downtime` across both hosts
 * there), each field it lacks taken from the source's job-completed event. After a postcopy switch the
 * destination's completed stats can come back empty (no statistics in the migration cookie: the source's
 * job had not completed when it was sent) while the source's event holds them all; taking either one
 * whole lost time_elapsed, memory_processed and memory_iteration.
 */
export function completedJobStats(destination: DriverJobStats | undefined,
  source: DriverJobStats | undefined): DriverJobStats | undefined {
  const has = (s: DriverJobStats | undefined): s is DriverJobStats =>
    s !== undefined && Object.keys(s.fields).length > 0;
  if (!has(destination)) return has(source) ? source : destination ?? source;
  if (!has(source)) return destination;
  return { ...destination, fields: { ...source.fields, ...destination.fields } };
}

/**
 * libvirt typed params → the executor's JobStats (ms and bytes as libvirt reports them). The dirty rate
 * comes from the completed stats, else (absent or 0 there, e.g. after a postcopy switch) from the last
 * rate polled while the job ran (`observed`); pages/s × page size gives MiB/s. QEMU reads 0 until it has
 * computed a rate, so a 0 everywhere is no rate (`dirtyRateMiBs` absent, `memoryDirtyRatePps` 0), never a
 * measured 0 MiB/s.
 */
export function toJobStats(s: DriverJobStats | undefined, observed?: MigrationObservation): JobStats {
  const n = (k: string): number | undefined => (typeof s?.fields[k] === 'number' ? (s.fields[k] as number) : undefined);
  const out: Record<string, number | string> = {};
  const put = (name: keyof JobStats, v: number | string | undefined): void => { if (v !== undefined) out[name] = v; };
  put('downtimeMs', n('downtime'));
  put('downtimeNetMs', n('downtime_net'));
  put('timeElapsedMs', n('time_elapsed'));
  put('setupTimeMs', n('setup_time'));
  put('memoryProcessedBytes', n('memory_processed'));
  put('memoryIterations', n('memory_iteration'));
  const completedRate = n('memory_dirty_rate');
  const polledRate = observed?.lastDirtyRatePps;
  const fromCompleted = completedRate !== undefined && completedRate > 0;
  const fromPolled = !fromCompleted && polledRate !== undefined && polledRate > 0;
  const pps = fromCompleted ? completedRate : fromPolled ? polledRate : completedRate;
  const page = n('memory_page_size') ?? observed?.pageSizeBytes;
  put('memoryDirtyRatePps', pps);
  put('memoryPageSizeBytes', page);
  if ((fromCompleted || fromPolled) && pps !== undefined && page !== undefined) {
    put('dirtyRateMiBs', (pps * page) / 1048576);
    put('dirtyRateFrom', fromCompleted ? 'completed' : 'running');
  }
  if (observed !== undefined) {
    put('mode', observed.mode);
    put('postcopySwitchIteration', observed.postcopySwitch?.iteration);
    put('maxThrottlePct', observed.maxThrottlePct);
  }
  return out as JobStats;
}

function stateOf(name: string): DomainState {
  switch (name) {
    case 'running': return 'running';
    case 'paused': return 'paused';
    case 'shutoff': return 'shut-off';
    default: return 'other';
  }
}

function domainEvents(driver: HypervisorDriver, domain: string, signal: AbortSignal): AsyncIterable<HostEvent> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const e of driver.events({ signal })) {
        if (e.domain.name !== domain) continue;
        const h = toHostEvent(e);
        if (h !== undefined) yield h;
      }
    },
  };
}

/**
 * @param peers finds the driver of a destination by its migration URI (for QEMU downtime from the
 * destination's completed stats); may return undefined for hosts vmmi does not manage.
 */
/** One progress sample of a running migration, for live terminal output. */
export interface MigrationProgressLine {
  readonly host: string;
  readonly domain: string;
  /** Share of memory transferred in this iteration pass, 0–100. */
  readonly percent: number;
  readonly iteration: number;
  /** Remaining bytes at the current transfer rate: what the final pause would cost now, ms. */
  readonly downtimeEstimateMs: number | undefined;
}

/** Progress from libvirt job stats (memory_total/processed/remaining, memory_bps, memory_iteration). */
export function progressLine(
  host: string,
  domain: string,
  f: Readonly<Record<string, number | string | boolean>>,
): MigrationProgressLine | undefined {
  const n = (k: string): number | undefined => (typeof f[k] === 'number' ? (f[k] as number) : undefined);
  const total = n('memory_total') ?? n('data_total');
  const remaining = n('memory_remaining') ?? n('data_remaining');
  if (total === undefined || remaining === undefined || total <= 0) return undefined;
  const bps = n('memory_bps');
  return {
    host,
    domain,
    percent: Math.max(0, Math.min(100, (100 * (total - remaining)) / total)),
    iteration: n('memory_iteration') ?? 0,
    downtimeEstimateMs: bps === undefined || bps <= 0 ? undefined : (remaining / bps) * 1000,
  };
}

export function asMigrationHost(driver: HypervisorDriver, peers: (migrationUri: string) => HypervisorDriver | undefined,
  onProgress?: (p: MigrationProgressLine) => void): MigrationHost {
  const running = new Map<string, MigrationHandle>();
  return {
    name: driver.host,
    async domainState(domain, io) {
      try {
        return stateOf((await driver.state(domain, io)).state);
      } catch (e) {
        if (isVmmiError(e) && e.code === 'LIBVIRT' && (e as { libvirtName?: string }).libvirtName === 'no-domain')
          return 'absent';
        throw e;
      }
    },
    async isRunning(domain, io) {
      return (await this.domainState(domain, io)) === 'running';
    },
    async watch(domain, io): Promise<HostEventStream> {
      const ac = new AbortController();
      const events = domainEvents(driver, domain, ac.signal);
      await driver.eventsReady(io);
      return { [Symbol.asyncIterator]: () => events[Symbol.asyncIterator](), close: () => ac.abort() };
    },
    async migrate(domain, params, io: IoOptions): Promise<MigrationJob> {
      const destination = peers(params.destinationUri);
      const handle = driver.migrate(domain, params.destinationUri, {
        live: params.live, p2p: params.p2p, bandwidthMiBs: params.bandwidthMiBs, maxDowntimeMs: params.maxDowntimeMs,
        ...defined({ mode: params.mode }),
        // The definition moves with the guest, so a VM is defined on exactly one host at a time.
        persistDest: true, undefineSource: true,
        ...defined({ destination, timeoutMs: io.timeoutMs, signal: io.signal }),
      });
      running.set(domain, handle);
      if (onProgress !== undefined) {
        void (async () => {
          for await (const p of handle.progress) {
            const line = progressLine(driver.host, domain, p.stats.fields);
            if (line !== undefined) onProgress(line);
          }
        })().catch(() => undefined);
      }
      const ac = new AbortController();
      const done = handle.result.then((r) => {
        const stats = toJobStats(completedJobStats(r.destinationStats, r.sourceStats), r.observed);
        return r.qemuDowntimeMs === undefined ? stats : { ...stats, downtimeMs: r.qemuDowntimeMs };
      }).finally(() => {
        ac.abort();
        if (running.get(domain) === handle) running.delete(domain);
      });
      // The result is awaited by the executor; keep an unobserved rejection from crashing the process.
      done.catch(() => undefined);
      return { events: domainEvents(driver, domain, ac.signal), done };
    },
    /** Aborts the migration this adapter started; a no-op when none is running. */
    async abort(domain, io) {
      await running.get(domain)?.abort(io);
    },
  };
}
