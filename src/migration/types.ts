/**
 * Consumer-owned interfaces of the migration executor (architecture rule 5). The drivers, probes and
 * monitors built elsewhere are adapted to these narrow shapes by the composition root; nothing in
 * `migration/` imports them. Every method takes an IoOptions with a deadline and an AbortSignal.
 */
import type { FlowResult } from '../measure/summarize.js';
import type { BaselineLossSpan, ProbeSample } from '../measure/types.js';
import type { IoOptions } from '../util/abort.js';
import type { Stamp } from '../util/stamp.js';
import type { MigrationModeSettings } from '../model/testbed.js';
import type { DeviceOp } from './strategies/types.js';

/** Which observer produced a timeline event. */
export type TimelineSource = 'hypervisor' | 'data-plane' | 'control-plane' | 'controller';

/**
 * One typed, timestamped event of a run, on the controller clock. Remote observers' events are
 * mapped onto it by timeline.ts, which records the offset uncertainty in `uncertaintyMs`.
 */
export interface TimelineEvent {
  readonly t: Stamp;
  readonly source: TimelineSource;
  /** Host, device or flow the event concerns ("hv3", "torB", "client→vm v4"). */
  readonly host: string;
  readonly kind: string;
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
  /** ± ms of the mapping onto the controller clock (0 for controller-stamped events). */
  readonly uncertaintyMs?: number;
}

// ---------------------------------------------------------------- hypervisors

export type DomainState = 'running' | 'paused' | 'shut-off' | 'absent' | 'other';

/** Hypervisor lifecycle/job events the executor reacts to (libvirt lifecycle + job events). */
export type HostEventKind =
  | 'started' | 'suspended' | 'resumed' | 'stopped' | 'iteration' | 'job-completed' | 'job-failed'
  /** The guest was reset while running (reboot, panic): it kept its host but lost its state. */
  | 'reboot';

/** One hypervisor event, stamped on receipt by the controller (libvirt events carry no time). */
export interface HostEvent {
  readonly t: Stamp;
  readonly host: string;
  readonly domain: string;
  readonly kind: HostEventKind;
  /** libvirt detail, e.g. "migrated". */
  readonly detail?: string;
}

export interface MigrateParams {
  /** Peer URI of the destination (Hypervisor.migrationUri). */
  readonly destinationUri: string;
  /** MiB/s; always passed (QEMU's default cap of 32 MiB/s makes migrations ~8× longer). */
  readonly bandwidthMiBs: number;
  readonly maxDowntimeMs: number;
  readonly live: boolean;
  readonly p2p: boolean;
  /** Migration mode and its settings (absent: precopy); docs/migration-modes.md. */
  readonly mode?: MigrationModeSettings;
}

/** libvirt job statistics of a completed migration; fields absent when the host does not report them. */
export interface JobStats {
  readonly downtimeMs?: number;
  readonly downtimeNetMs?: number;
  readonly timeElapsedMs?: number;
  readonly setupTimeMs?: number;
  readonly memoryProcessedBytes?: number;
  readonly memoryIterations?: number;
  /** libvirt memory_dirty_rate, pages/s, and memory_page_size, bytes. */
  readonly memoryDirtyRatePps?: number;
  readonly memoryPageSizeBytes?: number;
  /** Dirty rate in MiB/s (pages/s × page size), and whether it is the completed job's or the last polled one. */
  readonly dirtyRateMiBs?: number;
  readonly dirtyRateFrom?: 'completed' | 'running';
  /** The mode the move ran with and its traces in the running job's stats. */
  readonly mode?: MigrationModeSettings['mode'];
  /** Precopy pass in which vmmi asked for the postcopy switch. */
  readonly postcopySwitchIteration?: number;
  /** Highest auto-converge vCPU throttle seen, percent. */
  readonly maxThrottlePct?: number;
}

/** A running migration job. `done` resolves when the job completed, rejects when it failed or aborted. */
export interface MigrationJob {
  /** The source's lifecycle and job events for this job, ending when the job ends. */
  readonly events: AsyncIterable<HostEvent>;
  readonly done: Promise<JobStats>;
}

/** A closable stream of one domain's events on one host, subscribed before anything is acted on. */
export interface HostEventStream extends AsyncIterable<HostEvent> {
  close(): void;
}

/** What the executor needs of one hypervisor. */
export interface MigrationHost {
  readonly name: string;
  domainState(domain: string, io: IoOptions): Promise<DomainState>;
  isRunning(domain: string, io: IoOptions): Promise<boolean>;
  /** Resolves once the subscription is registered (events can precede the reply that caused them). */
  watch(domain: string, io: IoOptions): Promise<HostEventStream>;
  /** Starts the migration on this (source) host; resolves once the job has started. */
  migrate(domain: string, params: MigrateParams, io: IoOptions): Promise<MigrationJob>;
  /** Aborts this host's migration job of `domain`; the domain keeps running here. */
  abort(domain: string, io: IoOptions): Promise<void>;
  /** Optional capability: free memory for the capacity precheck. */
  freeMemoryMiB?(io: IoOptions): Promise<number>;
}

// ---------------------------------------------------------------- network devices

/** Handle of one committed and confirmed transaction, for rollback. */
export interface TxHandle {
  readonly device: string;
  readonly id: string;
}

export interface HostRoute {
  /** `198.18.10.100/32` or `2001:2:0:10::101/128`. */
  readonly prefix: string;
  readonly nextHop?: string;
  readonly dev?: string;
}

export interface RouteEntry extends HostRoute {
  readonly protocol?: string;
}

export interface NeighborEntry {
  readonly address: string;
  readonly mac: string;
  readonly dev?: string;
}

/**
 * A staged device transaction: `commit` puts it in force (unconfirmed, the device reverts by itself if
 * vmmi goes away), `confirm` makes it stay and returns the handle `rollback` takes, `abort` takes it back
 * at any point before confirm and never throws.
 */
export interface StagedTx {
  commit(io: IoOptions): Promise<void>;
  confirm(io: IoOptions): Promise<TxHandle>;
  abort(io: IoOptions): Promise<void>;
}

/**
 * A switch/router as the executor sees it. `applyTransaction` has confirmed-commit semantics: it
 * returns only after the change is committed, verified and confirmed; on any failure (rejection,
 * timeout, abort) the device is left as it was before the call and a ConfigRejectedError/TimeoutError/
 * AbortedError is thrown. `rollback` restores the running config from before the given transaction.
 */
export interface NetworkDevice {
  readonly name: string;
  applyTransaction(ops: readonly DeviceOp[], io: IoOptions): Promise<TxHandle>;
  /**
   * Loads `ops` as one transaction that is not yet in force (candidate datastore), so the switchover
   * sends only the commit. Undefined when the device or the ops cannot be staged: the executor then
   * uses applyTransaction. Absent on devices that never stage.
   */
  stage?(ops: readonly DeviceOp[], io: IoOptions): Promise<StagedTx | undefined>;
  rollback(tx: TxHandle, io: IoOptions): Promise<void>;
  /** Running configuration as text, for reachability checks and no-residue diffs. */
  snapshotRunning(io: IoOptions): Promise<string>;
  addHostRoute(route: HostRoute, io: IoOptions): Promise<void>;
  removeHostRoute(route: HostRoute, io: IoOptions): Promise<void>;
  readRoutes(io: IoOptions): Promise<readonly RouteEntry[]>;
  readNeighbors(io: IoOptions): Promise<readonly NeighborEntry[]>;
}

// ---------------------------------------------------------------- observers

/** A probe flow the executor asks for: toward the VM from a traffic host, per address family. */
export interface FlowSpec {
  readonly name: string;
  readonly from: string;
  readonly target: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly ratePps: number;
  /** The VM's TCP echo port: a session-survival probe runs beside the UDP flow (absent: none). */
  readonly tcpPort?: number;
}

/** What the session-survival probe of a flow saw (probes/tcp-session), or why it has nothing. */
export type TcpSessionLike =
  | { readonly ok: true; readonly survived: boolean; readonly longestStallMs: number; readonly intervalMs: number;
    readonly resets: number; readonly reconnects: number; readonly sent: number; readonly echoed: number }
  | { readonly ok: false; readonly failure: string };

/** One loss episode: maximal run of lost sequence numbers, times on the controller clock. */
export interface EpisodeLike {
  readonly firstSeq: number;
  readonly lost: number;
  /** Send time of the last packet answered before the episode. */
  readonly startNs: bigint;
  /** Send time of the first packet answered after it. */
  readonly endNs: bigint;
}

/**
 * One probe flow as measured: measure/'s full result, carried unchanged from the probe session through
 * the attempt result to the report. The executor derives its own view (flow-view.ts) from it.
 */
export interface FlowMeasurement {
  readonly spec: FlowSpec;
  readonly result: FlowResult;
  /** The flow's probe packets (for samples.csv); the executor never reads them. */
  readonly samples?: readonly ProbeSample[];
  /** Added to the result's times (ms) to put them on the controller's monotonic clock (0: already on it). */
  readonly baseMonoMs: number;
  /** Set when the probe tool failed, was missing or stubbed. */
  readonly failed?: string;
  /** The flow's TCP session-survival probe, when the flow asked for one. */
  readonly tcp?: TcpSessionLike;
}

/**
 * The executor's view of one flow (flow-view.ts derives it from a FlowMeasurement; the math lives in
 * measure/). Times are controller-monotonic ns.
 */
export interface FlowResultLike {
  readonly flow: string;
  readonly family: 4 | 6;
  readonly ratePps: number;
  /** Rate actually achieved by the sender (< ratePps → degraded resolution). */
  readonly achievedPps: number;
  readonly sent: number;
  readonly received: number;
  readonly episodes: readonly EpisodeLike[];
  /** Replies received before the trigger (0 → the flow's numbers are ERRORED). */
  readonly baselineReplies: number;
  readonly lossBeforeTrigger: number;
  /** The sender's longest pause between two sends, ms. */
  readonly maxSenderPauseMs?: number;
  /** Packets lost before the trigger close to a sender pause. */
  readonly lossNearSenderPause?: number;
  /** The longest run of consecutive packets lost before the trigger. */
  readonly lossBurstBeforeTrigger?: { readonly lost: number; readonly endedBeforeTriggerMs: number };
  /** Where the packets lost before the trigger were sent, and the baseline's length. */
  readonly lossSpanBeforeTrigger?: BaselineLossSpan;
  /** First reply after the outage. */
  readonly firstReplyAfterNs?: bigint;
  /** Start of the first Δ bin after which the rate stays ≥ 95 % of the baseline rate. */
  readonly stableAfterNs?: bigint;
  readonly rttBeforeMs?: number;
  readonly rttAfterMs?: number;
  /** Set when the probe tool failed, was missing or stubbed. */
  readonly failed?: string;
  /** The flow's TCP session-survival probe, when the flow asked for one. */
  readonly tcp?: TcpSessionLike;
}

export interface ProbeSession {
  start(flows: readonly FlowSpec[], io: IoOptions): Promise<void>;
  /** Stops sending, drains late replies and returns one measurement per flow. */
  stop(io: IoOptions): Promise<readonly FlowMeasurement[]>;
}

/** Guest health: does the VM answer its reflector? */
export interface GuestCheck {
  answers(io: IoOptions): Promise<boolean>;
  /**
   * The guest's memory-integrity verdict after a move (its memory checker, asked through the control
   * port). Absent when the testbed gives the VM no control port: the move is then `unchecked`.
   */
  memoryIntegrity?(io: IoOptions): Promise<MemoryIntegrity>;
}

/** Whether the guest's memory still held its pattern after a move (lab-assets/memcheck.c). */
export interface MemoryIntegrity {
  /** ok: a full verification pass after the move found every page intact; corrupt: a page was not;
   *  unchecked: the guest has no checker or no control port; unknown: the checker gave no verdict. */
  readonly status: 'ok' | 'corrupt' | 'unchecked' | 'unknown';
  /** The first bad page with expected and found words, or why there is no verdict. */
  readonly detail: string;
  readonly firstBadPage?: number;
  /** How it was checked: region size, rewrite and check rates. */
  readonly method: string;
}

/** Who holds an address in a subnet (ARP probe for IPv4, DAD for IPv6). */
export interface AddressHolder {
  readonly address: string;
  readonly mac?: string;
  /** Name when known (a testbed record or the device that answered). */
  readonly name?: string;
}

export interface ConflictProbe {
  /** undefined when nobody answered within the deadline. */
  whoHolds(address: string, subnet: string, io: IoOptions): Promise<AddressHolder | undefined>;
}

/** A route change seen at a router; `t` on the router's clock unless `offsetMs` maps it. */
export interface RouteChange {
  readonly t: Stamp;
  readonly router: string;
  readonly prefix: string;
  readonly action: 'add' | 'del';
  readonly nextHop?: string;
  /** controller = router + offsetMs (0 for controller-stamped polling / local `ip monitor`). */
  readonly offsetMs?: number;
  readonly uncertaintyMs?: number;
}

export interface RouteMonitor {
  start(routers: readonly string[], io: IoOptions): Promise<void>;
  stop(io: IoOptions): Promise<readonly RouteChange[]>;
  /**
   * Optional: neighbour/FDB changes seen so far as control-plane timeline events (kinds such as
   * `fdb-replace`, `fdb-add`, `neigh-replace`, with `detail.address` = MAC or IP), read after stop.
   * The executor keeps those concerning the VM's MAC or addresses (the L2-announce term).
   */
  timelineEvents?(): readonly TimelineEvent[];
  /**
   * Optional: resolves true once `router` has shown every expected route change since `sinceNs`
   * (controller clock), false when `timeoutMs` passes first. The executor uses it to keep the
   * strategy's order across devices whose committed config reaches the forwarding table later.
   */
  waitForRoutes?(
    router: string,
    expect: readonly RouteExpectation[],
    sinceNs: bigint,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean>;
}

/** A route change a router is expected to show (prefix with its length). */
export interface RouteExpectation {
  readonly prefix: string;
  readonly action: 'add' | 'del';
}

/** One TTL of a path trace toward the VM (probes/path): who answered, mapped to the testbed when known. */
export interface PathHop {
  readonly ttl: number;
  readonly address?: string;
  readonly device?: string;
  readonly site?: string;
  readonly rttMs: readonly number[];
}

/** One trace from a traffic host toward an address of the VM. */
export interface PathTrace {
  readonly from: string;
  readonly to: string;
  readonly reached: boolean;
  readonly hops: readonly PathHop[];
  /** Why the trace is no evidence (helper missing, timed out, broken output): not reached, not "not via". */
  readonly failure?: string;
}

/**
 * Hop-by-hop paths toward the VM from the run's traffic hosts (TTL-limited probes). Traced once
 * before the move and once after its network settled; the executor decides the roundabout from them.
 */
export interface PathTracer {
  /** How the traces are taken (probe kind, probes per hop, bounds): the record's method. */
  readonly method: string;
  /** One trace per target, all of them together; a trace that fails is one that did not reach. */
  trace(targets: readonly PathTarget[], io: IoOptions): Promise<readonly PathTrace[]>;
}

/** A trace to take: from a traffic host (by name) toward one address of the VM. */
export interface PathTarget {
  readonly from: string;
  readonly to: string;
}

/** Flooded frames of one segment (a bridge of one device), each frame once. */
export interface FloodCount {
  readonly device: string;
  readonly bridge: string;
  readonly arp: number;
  readonly nd: number;
  readonly unknownUnicast: number;
}

/** What a flooding count saw over its window. */
export interface FloodWindow {
  readonly segments: readonly FloodCount[];
  /** ARP/ND suppression at the counted segments' ports. */
  readonly suppression: 'on' | 'off' | 'mixed' | 'unknown';
  readonly method: string;
  /** Segments that could not be counted (left out of `segments`), one line each. */
  readonly problems?: readonly string[];
}

/** Counts the flooding in the VM's segments on the given devices over the move window. */
export interface FloodObserver {
  start(devices: readonly string[], io: IoOptions): Promise<void>;
  stop(io: IoOptions): Promise<FloodWindow>;
}
