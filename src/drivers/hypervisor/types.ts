/**
 * HypervisorDriver: what vmmi asks of a hypervisor, implemented by `libvirt-rpc` (default) and
 * `virsh` (fallback and test oracle). Both return identical typed values; names of states, reasons,
 * events and details come from transports/libvirt/enums.ts.
 */
import type { DomainStateName, JobTypeName, LifecycleEventName } from '../../transports/libvirt/enums.js';
import type { MigrationModeSettings } from '../../model/testbed.js';
import type { IoOptions } from '../../util/abort.js';
import type { Stamp } from '../../util/stamp.js';

export type { DomainStateName, JobTypeName, LifecycleEventName };

/** A domain as the hypervisor knows it; `id` is -1 when inactive (virsh driver: -1 when unknown). */
export interface DomainRef {
  readonly name: string;
  readonly uuid: string;
  readonly id: number;
}

/** Where a domain argument is accepted, a name works too (the driver looks it up). */
export type DomainSpec = string | DomainRef;

export interface DomainState {
  readonly state: DomainStateName;
  readonly stateCode: number;
  /** Symbolic reason, e.g. `migrated`, `booted`, `destroyed`. */
  readonly reason: string;
  readonly reasonCode: number;
}

export interface DomainInfo {
  readonly state: DomainStateName;
  readonly maxMemKiB: number;
  readonly memoryKiB: number;
  readonly vcpus: number;
  /** CPU time used, ns. */
  readonly cpuTimeNs: bigint;
}

/**
 * Job statistics as libvirt reports them (`virDomainGetJobStats`): `fields` holds the raw typed
 * params by name (`time_elapsed` ms, `downtime` ms, `setup_time` ms, `memory_processed` bytes,
 * `memory_iteration`, `operation` 4 = migration in / 5 = out, …). Hypers are numbers (exact below 2^53).
 */
export interface DriverJobStats {
  readonly type: JobTypeName;
  readonly typeCode: number;
  readonly fields: Readonly<Record<string, number | string | boolean>>;
}

interface EventBase {
  /** Host (driver `host`) the event came from. */
  readonly host: string;
  readonly domain: { readonly name: string; readonly uuid?: string };
  /** Stamped by the controller on receipt (libvirt events carry no time). */
  readonly at: Stamp;
}

export interface LifecycleEvent extends EventBase {
  readonly kind: 'lifecycle';
  readonly event: LifecycleEventName | `event-${number}`;
  readonly eventCode: number;
  readonly detail: string;
  readonly detailCode: number;
}

export interface MigrationIterationEvent extends EventBase {
  readonly kind: 'migration-iteration';
  readonly iteration: number;
}

export interface JobCompletedEvent extends EventBase {
  readonly kind: 'job-completed';
  readonly stats: DriverJobStats;
}

/**
 * The guest was reset while running: a guest-initiated reboot, a kernel panic with `panic=N`, or a
 * reset from the management side. With `on_reboot=restart` the domain keeps running, so this event
 * is the only sign that the guest lost its state.
 */
export interface RebootEvent extends EventBase {
  readonly kind: 'reboot';
}

export type HypervisorEvent = LifecycleEvent | RebootEvent | MigrationIterationEvent | JobCompletedEvent;

export interface MigrateOptions extends IoOptions {
  /** Live migration (default true). */
  readonly live?: boolean;
  /** Peer-to-peer: the source daemon drives the migration (default true; vmmi supports only p2p). */
  readonly p2p?: boolean;
  /** MiB/s; always passed to libvirt (QEMU's own default cap of 32 MiB/s slows migrations ~8×). Default 1024. */
  readonly bandwidthMiBs?: number;
  /** Maximum tolerated downtime in ms, set before the migration starts (default 300). */
  readonly maxDowntimeMs?: number;
  readonly persistDest?: boolean;
  readonly undefineSource?: boolean;
  /** The destination's driver: its events and completed-job stats complete the result. */
  readonly destination?: HypervisorDriver;
  /** Period of job-stats polling for `progress`, ms (default 200; at most 50 in postcopy mode). */
  readonly pollIntervalMs?: number;
  /** Migration mode and its settings (default precopy); see docs/migration-modes.md. */
  readonly mode?: MigrationModeSettings;
  /** VIR_MIGRATE_TLS: QEMU's own migration stream over TLS (needs migrate_tls_x509 certificates). */
  readonly tls?: boolean;
}

/** What the recipe saw of the mode while the migration ran (polled source job stats). */
export interface MigrationObservation {
  readonly mode: MigrationModeSettings['mode'];
  /** The switch to postcopy the recipe asked for: when, in which precopy pass, why. */
  readonly postcopySwitch?: {
    readonly at: Stamp;
    readonly iteration: number;
    readonly reason: string;
    readonly remainingBytes?: number;
  };
  /** Highest `auto_converge_throttle` seen, percent (auto-converge throttling the vCPUs). */
  readonly maxThrottlePct?: number;
  /** Highest `memory_dirty_rate` seen while running, pages/s, and `memory_page_size`, bytes. */
  readonly maxDirtyRatePps?: number;
  /**
   * `memory_dirty_rate` of the last polled sample that had one, pages/s (QEMU's rate over its last sync
   * period); a 0 (not computed yet) never replaces it.
   */
  readonly lastDirtyRatePps?: number;
  readonly pageSizeBytes?: number;
  /** Highest `compression_cache_misses`/`compression_bytes` seen (xbzrle at work). */
  readonly compressionBytes?: number;
  /** Polled samples of the running job. */
  readonly samples: number;
}

export interface MigrationProgress {
  readonly at: Stamp;
  readonly stats: DriverJobStats;
}

export interface MigrationJobOutcome {
  readonly domain: string;
  /** Wall time of the perform call, ms. */
  readonly performMs: number;
  /** Source side, from the source's job-completed event (the only copy once a transient source is gone). */
  readonly sourceStats?: DriverJobStats;
  /** Destination side, from completed job stats read with KEEP_COMPLETED. */
  readonly destinationStats?: DriverJobStats;
  /** QEMU's downtime (ms): destination stats, else source stats. Depends on host clock sync. */
  readonly qemuDowntimeMs?: number;
  /** Source SUSPENDED/MIGRATED → destination RESUMED/MIGRATED, both stamped by this controller (ms). */
  readonly eventGapMs?: number;
  readonly suspendedAt?: Stamp;
  readonly resumedAt?: Stamp;
  /** Every event of this domain seen on source and destination during the migration, in receipt order. */
  readonly events: readonly HypervisorEvent[];
  /** The mode's traces in the running job's stats. */
  readonly observed: MigrationObservation;
}

export interface MigrationHandle {
  /** Job stats polled on the source while the migration runs; ends when it ends. */
  readonly progress: AsyncIterable<MigrationProgress>;
  /** Resolves when the migration completed; rejects with LibvirtError (e.g. `aborted`) or TimeoutError. */
  readonly result: Promise<MigrationJobOutcome>;
  /** Asks the source to cancel the job; the guest keeps running on the source. */
  abort(opts?: IoOptions): Promise<void>;
}

export interface JobStatsOptions extends IoOptions {
  /** Read the last completed job instead of the current one. */
  readonly completed?: boolean;
  /** Keep completed stats for later reads (without it the first read deletes them). Default true. */
  readonly keep?: boolean;
}

export interface HypervisorDriver {
  /** Name used in events and errors. */
  readonly host: string;
  lookup(by: { readonly name: string } | { readonly uuid: string }, opts?: IoOptions): Promise<DomainRef>;
  state(dom: DomainSpec, opts?: IoOptions): Promise<DomainState>;
  info(dom: DomainSpec, opts?: IoOptions): Promise<DomainInfo>;
  xml(dom: DomainSpec, opts?: IoOptions & { readonly inactive?: boolean }): Promise<string>;
  define(xml: string, opts?: IoOptions): Promise<DomainRef>;
  start(dom: DomainSpec, opts?: IoOptions): Promise<void>;
  destroy(dom: DomainSpec, opts?: IoOptions): Promise<void>;
  undefine(dom: DomainSpec, opts?: IoOptions): Promise<void>;
  suspend(dom: DomainSpec, opts?: IoOptions): Promise<void>;
  resume(dom: DomainSpec, opts?: IoOptions): Promise<void>;
  /** libvirt version as `major*1e6 + minor*1e3 + micro`, for run manifests. */
  libVersion(opts?: IoOptions): Promise<number>;
  /** The hypervisor's own version (QEMU for the qemu driver), same encoding; 0 when libvirt does not know. */
  hypervisorVersion(opts?: IoOptions): Promise<number>;
  hostname(opts?: IoOptions): Promise<string>;
  jobStats(dom: DomainSpec, opts?: JobStatsOptions): Promise<DriverJobStats>;
  /** Peer-to-peer live migration to `destinationUri` (as the *source daemon* reaches the destination). */
  migrate(dom: DomainSpec, destinationUri: string, opts?: MigrateOptions): MigrationHandle;
  /** Events of all domains from now on; ends when the signal fires or the driver closes. */
  events(opts?: { readonly signal?: AbortSignal }): AsyncIterableIterator<HypervisorEvent>;
  /** Resolves once the event source is live: anything caused after it reaches `events()` iterators. */
  eventsReady(opts?: IoOptions): Promise<void>;
  close(): Promise<void>;
}

/**
 * The low-level operations the shared migration recipe (migrate-recipe.ts) needs from a driver.
 */
export interface MigrationPrimitives {
  readonly driver: HypervisorDriver;
  setMaxDowntime(dom: DomainSpec, ms: number, opts?: IoOptions): Promise<void>;
  perform(
    dom: DomainSpec,
    destinationUri: string,
    o: { flags: number; bandwidthMiBs: number; extra?: MigrateExtraParams } & IoOptions,
  ): Promise<void>;
  abortJob(dom: DomainSpec, opts?: IoOptions): Promise<void>;
  /** virDomainMigrateStartPostCopy: switch the running migration (started with POSTCOPY) to postcopy. */
  startPostCopy(dom: DomainSpec, opts?: IoOptions): Promise<void>;
}

/** Migration parameters of the modes, beyond flags and bandwidth (libvirt VIR_MIGRATE_PARAM_*). */
export interface MigrateExtraParams {
  /** `auto_converge.initial`, `auto_converge.increment` (percent). */
  readonly autoConvergeInitialPct?: number;
  readonly autoConvergeIncrementPct?: number;
  /** `parallel.connections` (multifd channels). */
  readonly parallelConnections?: number;
  /** `compression` method(s) with VIR_MIGRATE_COMPRESSED. */
  readonly compression?: 'xbzrle';
  /** `compression.xbzrle.cache`, bytes. */
  readonly xbzrleCacheBytes?: number;
}
