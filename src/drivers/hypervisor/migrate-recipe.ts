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
import { initialPostcopyTrigger, postcopyStep, type PostcopyTriggerState } from './postcopy-trigger.js';
import type {
  DomainSpec, HypervisorDriver, HypervisorEvent, DriverJobStats, MigrateExtraParams, MigrateOptions, MigrationHandle,
  MigrationObservation, MigrationPrimitives, MigrationProgress, MigrationJobOutcome,
} from './types.js';
import { defined } from '../../model/defined.js';

export const DEFAULT_BANDWIDTH_MIBS = 1024;
export const DEFAULT_MAX_DOWNTIME_MS = 300;
const DEFAULT_TIMEOUT_MS = 600_000;
/** How long to wait after perform returns for the trailing events (job-completed, dst RESUMED). */
const TRAILING_EVENTS_MS = 3_000;

/** Flags of a move: LIVE | PEER2PEER, persistence, TLS and the mode's flag. */
export function migrateFlags(o: MigrateOptions): number {
  let f = MigrateFlag.PEER2PEER;
  if (o.live !== false) f |= MigrateFlag.LIVE;
  if (o.persistDest === true) f |= MigrateFlag.PERSIST_DEST;
  if (o.undefineSource === true) f |= MigrateFlag.UNDEFINE_SOURCE;
  if (o.tls === true) f |= MigrateFlag.TLS;
  switch (o.mode?.mode ?? 'precopy') {
    case 'postcopy': f |= MigrateFlag.POSTCOPY; break;
    case 'auto-converge': f |= MigrateFlag.AUTO_CONVERGE; break;
    case 'multifd': f |= MigrateFlag.PARALLEL; break;
    case 'xbzrle': f |= MigrateFlag.COMPRESSED; break;
    case 'precopy': break;
  }
  return f;
}

/** The mode's migration parameters (VIR_MIGRATE_PARAM_*); empty for precopy and postcopy. */
export function migrateExtraParams(o: MigrateOptions): MigrateExtraParams {
  const m = o.mode;
  if (m === undefined) return {};
  if (m.mode === 'auto-converge') {
    const a = m.autoConverge;
    return defined({ autoConvergeInitialPct: a.initialPct, autoConvergeIncrementPct: a.incrementPct });
  }
  if (m.mode === 'multifd') return { parallelConnections: m.multifd.channels };
  if (m.mode === 'xbzrle') {
    return { compression: 'xbzrle',
      ...defined({ xbzrleCacheBytes: m.xbzrle.cacheMiB === undefined ? undefined : m.xbzrle.cacheMiB * 1048576 }) };
  }
  return {};
}

/**
 * QEMU's refusal of a mode's capability, as an UnsupportedError naming the mode, the driver's host and
 * the fix. Postcopy needs userfaultfd in QEMU's process: an unprivileged QEMU (the lab's and libvirt's
 * default user) gets it only with the sysctl vm.unprivileged_userfaultfd=1 or read-write access to
 * /dev/userfaultfd (QEMU ≥ 8.1), which libvirt's DAC security driver grants and security_driver="none"
 * does not.
 */
export function modeRefusal(e: unknown, o: MigrateOptions, host: string): Error | undefined {
  const mode = o.mode?.mode ?? 'precopy';
  const msg = e instanceof Error ? e.message : '';
  if (mode === 'postcopy' && /userfaultfd|postcopy is not supported/i.test(msg)) {
    return new UnsupportedError(`migration mode postcopy is not available between these hosts: ${msg}`, {
      device: host, operation: 'migrate (postcopy)', cause: e,
      hint: 'let QEMU use userfaultfd on both hypervisors: sysctl vm.unprivileged_userfaultfd=1, or read-write '
        + 'access to /dev/userfaultfd for the QEMU user; or choose another mode',
    });
  }
  // QEMU refusing the mode's capability or parameter (not any failure of a move in that mode).
  if (mode !== 'precopy' && /migrate-set-capabilities|migrate-set-parameters/i.test(msg)) {
    return new UnsupportedError(`migration mode ${mode} was refused by ${host}: ${msg}`, {
      device: host, operation: `migrate (${mode})`, cause: e, hint: 'choose another mode for these hosts',
    });
  }
  return undefined;
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

/** Collects the mode's traces from polled stats and, in postcopy mode, asks for the switch. */
class ModeWatch {
  #trigger: PostcopyTriggerState = initialPostcopyTrigger;
  #obs: { -readonly [K in keyof MigrationObservation]: MigrationObservation[K] };
  #switching: Promise<void> | undefined;
  constructor(private readonly p: MigrationPrimitives, private readonly dom: DomainSpec,
    private readonly o: MigrateOptions) {
    this.#obs = { mode: o.mode?.mode ?? 'precopy', samples: 0 };
  }

  sample(f: Readonly<Record<string, number | string | boolean>>): void {
    const n = (k: string): number | undefined => (typeof f[k] === 'number' ? f[k] : undefined);
    const o = this.#obs;
    o.samples++;
    const max = (a: number | undefined, b: number | undefined): number | undefined =>
      (b === undefined ? a : a === undefined ? b : Math.max(a, b));
    o.maxThrottlePct = max(o.maxThrottlePct, n('auto_converge_throttle'));
    o.maxDirtyRatePps = max(o.maxDirtyRatePps, n('memory_dirty_rate'));
    // QEMU reads 0 until a sync period has measured the rate (and again in some final samples): 0 is
    // "not computed", so only a positive sample replaces the last rate.
    const rate = n('memory_dirty_rate');
    if (rate !== undefined && rate > 0) o.lastDirtyRatePps = rate;
    o.compressionBytes = max(o.compressionBytes, n('compression_bytes'));
    o.pageSizeBytes ??= n('memory_page_size');
    const m = this.o.mode;
    if (m?.mode !== 'postcopy') return;
    const { state, decision } = postcopyStep(this.#trigger, f, m.postcopy);
    this.#trigger = state;
    if (decision === undefined) return;
    o.postcopySwitch = { at: stamp(), ...decision };
    // A switch refused (the job just ended, or converged) leaves the migration in precopy: the
    // observation then shows a switch asked for, and the events show whether postcopy ran.
    this.#switching = this.p.startPostCopy(this.dom, { timeoutMs: 10_000 }).catch(() => undefined);
  }

  async result(): Promise<MigrationObservation> {
    await this.#switching;
    const kept = Object.entries(this.#obs).filter(([, v]) => v !== undefined);
    return Object.fromEntries(kept) as unknown as MigrationObservation;
  }
}

async function pollProgress(src: HypervisorDriver, dom: DomainSpec, hub: EventHub<MigrationProgress>,
  stop: AbortSignal, intervalMs: number, watch: ModeWatch): Promise<void> {
  while (!stop.aborted) {
    await sleep(intervalMs, stop).catch(() => undefined);
    if (stop.aborted) break;
    try {
      const stats = await src.jobStats(dom, { timeoutMs: 5_000 });
      if (stats.type === 'bounded' || stats.type === 'unbounded') {
        watch.sample(stats.fields);
        hub.publish({ at: stamp(), stats });
      }
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
    const watch = new ModeWatch(p, dom, o);
    // Postcopy is decided per pass: a pass of a small guest lasts a few hundred ms.
    const interval = o.mode?.mode === 'postcopy' ? Math.min(o.pollIntervalMs ?? 50, 50) : o.pollIntervalMs ?? 200;
    const poller = pollProgress(src, dom, hub, finished.signal, interval, watch);
    try {
      await p.perform(dom, destinationUri, {
        flags: migrateFlags(o), bandwidthMiBs: o.bandwidthMiBs ?? DEFAULT_BANDWIDTH_MIBS, extra: migrateExtraParams(o),
        timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...io,
      });
    } catch (e) {
      // Giving up on the call does not stop the job in the daemon: cancel it so the guest stays on the source.
      if (isVmmiError(e) && (e.code === 'TIMEOUT' || e.code === 'ABORTED' || e.code === 'COMMAND')) {
        await p.abortJob(dom, { timeoutMs: 10_000 }).catch(() => undefined);
      }
      throw modeRefusal(e, o, src.host) ?? e;
    } finally {
      finished.abort();
      await poller;
      hub.close(); // progress ends with the job, not after the trailing events
    }
    const performMs = performance.now() - t0;
    const observed = await watch.result();

    // In postcopy the guest pauses on the source and resumes on the destination at the switch
    // (SUSPENDED/POSTCOPY, RESUMED/POSTCOPY), not at the end of the job.
    const paused = (e: HypervisorEvent): boolean => isLife(e, 'suspended', 'migrated') || isLife(e, 'suspended', 'postcopy');
    const running = (e: HypervisorEvent): boolean => isLife(e, 'resumed', 'migrated') || isLife(e, 'resumed', 'postcopy');
    const [completed, resumed] = await Promise.all([
      timeline.waitFor(src.host, (e) => e.kind === 'job-completed', TRAILING_EVENTS_MS),
      dst === undefined ? undefined : timeline.waitFor(dst.host, running, TRAILING_EVENTS_MS),
    ]);
    const suspended = timeline.find(src.host, paused);
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
      observed,
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
