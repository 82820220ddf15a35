/**
 * The peer-to-peer migration recipe shared by both drivers:
 *  1. subscribe to events on source and destination before acting (events can beat replies);
 *  2. set the maximum downtime; pass the bandwidth always (QEMU's default cap is 32 MiB/s);
 *  3. perform on the source (one blocking call) while polling job stats for progress;
 *  4. source stats from the source's job-completed event (a transient source vanishes), destination
 *     stats from completed job stats read with KEEP_COMPLETED;
 *  5. QEMU's downtime and the controller-stamped gap src SUSPENDED/MIGRATED → dst RESUMED/MIGRATED.
 */
import { UnsupportedError, UsageError } from '../../errors/classes.js';
import { isVmmiError } from '../../errors/vmmi-error.js';
import { MigrateFlag } from '../../transports/libvirt/enums.js';
import { sleep } from '../../util/abort.js';
import { type Stamp, diffMs, stamp } from '../../util/stamp.js';
import { EventHub } from './event-hub.js';
import type {
  DomainSpec, HypervisorDriver, HypervisorEvent, DriverJobStats, MigrateOptions, MigrationHandle, MigrationPrimitives,
  MigrationProgress, MigrationJobOutcome,
} from './types.js';
import { defined } from '../../model/defined.js';

export const DEFAULT_BANDWIDTH_MIBS = 1024;
export const DEFAULT_MAX_DOWNTIME_MS = 300;
const DEFAULT_TIMEOUT_MS = 600_000;
/** How long to wait after perform returns for the trailing events (job-completed, dst RESUMED). */
const TRAILING_EVENTS_MS = 3_000;

export function migrateFlags(o: MigrateOptions): number {
  let f = MigrateFlag.PEER2PEER;
  if (o.live !== false) f |= MigrateFlag.LIVE;
  if (o.persistDest === true) f |= MigrateFlag.PERSIST_DEST;
  if (o.undefineSource === true) f |= MigrateFlag.UNDEFINE_SOURCE;
  return f;
}

const isLife = (e: HypervisorEvent, event: string, detail: string): boolean =>
  e.kind === 'lifecycle' && e.event === event && e.detail === detail;

/** Collects one domain's events from several hosts and lets the recipe wait for a given one. */
class Timeline {
  readonly events: HypervisorEvent[] = [];
  #wake: (() => void) | undefined;
  constructor(private readonly name: string) {}

  pump(it: AsyncIterableIterator<HypervisorEvent>): void {
    void (async () => {
      try {
        for await (const e of it) {
          if (e.domain.name !== this.name) continue;
          this.events.push(e);
          this.#wake?.();
        }
      } catch {
        // A host's event stream failing must not fail the migration; the result then lacks its events.
      }
    })();
  }

  find(host: string, pred: (e: HypervisorEvent) => boolean): HypervisorEvent | undefined {
    return this.events.find((e) => e.host === host && pred(e));
  }

  async waitFor(host: string, pred: (e: HypervisorEvent) => boolean, ms: number): Promise<HypervisorEvent | undefined> {
    const end = performance.now() + ms;
    for (;;) {
      const hit = this.find(host, pred);
      if (hit !== undefined) return hit;
      const left = end - performance.now();
      if (left <= 0) return undefined;
      await Promise.race([new Promise<void>((r) => (this.#wake = r)), sleep(Math.min(left, 100))]);
    }
  }
}

async function pollProgress(src: HypervisorDriver, dom: DomainSpec, hub: EventHub<MigrationProgress>,
  stop: AbortSignal, intervalMs: number): Promise<void> {
  while (!stop.aborted) {
    await sleep(intervalMs, stop).catch(() => undefined);
    if (stop.aborted) break;
    try {
      const stats = await src.jobStats(dom, { timeoutMs: 5_000 });
      if (stats.type === 'bounded' || stats.type === 'unbounded') hub.publish({ at: stamp(), stats });
    } catch {
      // The job may end between the check and the call; progress is best effort.
    }
  }
}

async function run(p: MigrationPrimitives, dom: DomainSpec, destinationUri: string, o: MigrateOptions,
  hub: EventHub<MigrationProgress>): Promise<MigrationJobOutcome> {
  const src = p.driver;
  const dst = o.destination;
  const name = typeof dom === 'string' ? dom : dom.name;
  if (o.p2p === false) {
    throw new UnsupportedError('only peer-to-peer migration is supported', {
      device: src.host,
      operation: 'migrate',
      hint: 'leave p2p at its default (true)',
    });
  }
  if (dst !== undefined && dst.host === src.host) {
    // Events are told apart by host name; equal names would mix the two hosts' timelines.
    throw new UsageError(`source and destination drivers are both named "${src.host}"`, {
      device: src.host, operation: 'migrate', hint: 'open the drivers with distinct `host` names',
    });
  }
  const stopEvents = new AbortController();
  const timeline = new Timeline(name);
  try {
    timeline.pump(src.events({ signal: stopEvents.signal }));
    if (dst !== undefined) timeline.pump(dst.events({ signal: stopEvents.signal }));
    await Promise.all([src.eventsReady({ timeoutMs: 10_000 }), dst?.eventsReady({ timeoutMs: 10_000 })]);
    const io = { ...defined({ signal: o.signal }) };
    await p.setMaxDowntime(dom, o.maxDowntimeMs ?? DEFAULT_MAX_DOWNTIME_MS, { ...io, timeoutMs: 10_000 });

    const finished = new AbortController();
    const t0 = performance.now();
    const poller = pollProgress(src, dom, hub, finished.signal, o.pollIntervalMs ?? 200);
    try {
      await p.perform(dom, destinationUri, {
        flags: migrateFlags(o), bandwidthMiBs: o.bandwidthMiBs ?? DEFAULT_BANDWIDTH_MIBS,
        timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...io,
      });
    } catch (e) {
      // Giving up on the call does not stop the job in the daemon: cancel it so the guest stays on the source.
      if (isVmmiError(e) && (e.code === 'TIMEOUT' || e.code === 'ABORTED' || e.code === 'COMMAND')) {
        await p.abortJob(dom, { timeoutMs: 10_000 }).catch(() => undefined);
      }
      throw e;
    } finally {
      finished.abort();
      await poller;
      hub.close(); // progress ends with the job, not after the trailing events
    }
    const performMs = performance.now() - t0;

    const [completed, resumed] = await Promise.all([
      timeline.waitFor(src.host, (e) => e.kind === 'job-completed', TRAILING_EVENTS_MS),
      dst === undefined
        ? undefined
        : timeline.waitFor(dst.host, (e) => isLife(e, 'resumed', 'migrated'), TRAILING_EVENTS_MS),
    ]);
    const suspended = timeline.find(src.host, (e) => isLife(e, 'suspended', 'migrated'));
    let destinationStats: DriverJobStats | undefined;
    if (dst !== undefined) {
      destinationStats = await dst
        .jobStats(name, { completed: true, keep: true, timeoutMs: 10_000 })
        .catch(() => undefined);
    }
    const sourceStats = completed?.kind === 'job-completed' ? completed.stats : undefined;
    const downtime = destinationStats?.fields['downtime'] ?? sourceStats?.fields['downtime'];
    return {
      // Iterators of different hosts interleave arbitrarily; receipt stamps give the true order.
      domain: name,
      performMs,
      events: [...timeline.events].sort((a, b) => (a.at.monoNs < b.at.monoNs ? -1 : a.at.monoNs > b.at.monoNs ? 1 : 0)),
      ...defined({ sourceStats, destinationStats }),
      ...(typeof downtime === 'number' ? { qemuDowntimeMs: downtime } : {}),
      ...gap(suspended?.at, resumed?.at),
    };
  } finally {
    stopEvents.abort();
    hub.close();
  }
}

function gap(s: Stamp | undefined, r: Stamp | undefined): Partial<MigrationJobOutcome> {
  if (s === undefined || r === undefined) return {};
  return { suspendedAt: s, resumedAt: r, eventGapMs: diffMs(s, r) };
}

/** Runs the recipe; `progress` yields polled source job stats until the migration ends. */
export function startMigrationJob(
  p: MigrationPrimitives,
  dom: DomainSpec,
  destinationUri: string,
  o: MigrateOptions = {},
): MigrationHandle {
  const hub = new EventHub<MigrationProgress>();
  const progress = hub.subscribe();
  const result = run(p, dom, destinationUri, o, hub);
  result.catch(() => undefined); // the caller owns the rejection through `result`
  return {
    progress,
    result,
    abort: (opts) => p.abortJob(dom, opts),
  };
}
