/** What the executor is given: the drivers behind the consumer interfaces, and one attempt's setup. */
import type { Vm } from '../model/testbed.js';
import type { Stamp } from '../util/stamp.js';
import type { IoOptions } from '../util/abort.js';
import type { JournalHandle } from './journal.js';
import type { MigrationPlan } from './plan.js';
import type {
  ConflictProbe, FloodObserver, FlowSpec, GuestCheck, MigrateParams, MigrationHost, NetworkDevice, PathTracer,
  ProbeSession, RouteMonitor,
} from './types.js';

/** How the executor reaches the testbed; the composition root adapts real drivers to this. */
/** What a run will use besides hypervisors and switch transactions (see MigrationDrivers.missing). */
export interface CapabilityNeeds {
  /** Routers whose route changes the strategy watches. */
  readonly routers: readonly string[];
  /** Traffic hosts that probe the run. */
  readonly trafficHosts: readonly string[];
  /** Subnet the VM lands in (the conflict probe's). */
  readonly subnet: string;
}

export interface MigrationDrivers {
  host(name: string): MigrationHost;
  device(name: string): NetworkDevice;
  /** Guest health check of one VM (answers its reflector). */
  guest(vm: Vm): GuestCheck;
  readonly probes: ProbeSession;
  readonly conflicts: ConflictProbe;
  readonly routes: RouteMonitor;
  /** Traces the path toward the VM before and after the move (absent: no path probe; no roundabout verdict). */
  readonly paths?: PathTracer;
  /** Counts the flooding in the VM's segments over the move window (absent: not counted). */
  readonly flooding?: FloodObserver;
  /**
   * Capabilities this run needs that the testbed lacks (no observer for a watched router, no host in
   * the destination subnet, a traffic host without what its probes need), one line each naming the
   * device. Any makes the precheck refuse the run, touching nothing. Absent: nothing is checked.
   */
  missing?(needs: CapabilityNeeds, io: IoOptions): Promise<readonly string[]>;
  /** Controller clock (util/stamp.ts `stamp` in production). */
  now(): Stamp;
}

export interface AttemptEnv {
  readonly plan: MigrationPlan;
  readonly drivers: MigrationDrivers;
  readonly signal?: AbortSignal;
  readonly flows: readonly FlowSpec[];
  readonly params: MigrateParams;
  readonly verify: { readonly timeoutMs: number; readonly intervalMs: number };
  /** Observation window kept after the run ends, before the probes stop (RTT-after, stable rate), ms. */
  readonly holdMs: number;
  /** Per-call deadline (ms) by the step the call belongs to. */
  readonly callTimeoutMs: (step: string) => number;
  /** Write-ahead record of committed changes (absent: a killed controller leaves no recovery record). */
  readonly journal?: JournalHandle;
}
