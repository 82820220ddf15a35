/**
 * Effect implementations of the executor: each machine effect becomes calls on the consumer
 * interfaces, with a deadline on every call. Results that the machine needs right away are returned
 * as events; asynchronous observations (hypervisor events, job end) go through the EventQueue.
 * Rollback and locate never use the run's AbortSignal: they must still run after an abort.
 */
import { isVmmiError } from '../errors/vmmi-error.js';
import type { Vm } from '../model/testbed.js';
import { sleep } from '../util/abort.js';
import { IpConflictError, type Conflict } from './errors.js';
import type { AppliedTx, Effect, MachineEvent, NetworkPhase, VmLocation } from './machine.js';
import type { AttemptEnv } from './drivers.js';
import { probeConflict, recordConflicts } from './precheck.js';
import { EventQueue } from './run-queue.js';
import { batchByDevice, devicesOf, invertOps } from './strategies/ops.js';
import type { DeviceOp } from './strategies/types.js';
import { controllerEvent, hostEvent } from './timeline.js';
import { torOf } from './topology.js';
import { pathTargets } from './network-view.js';
import type {
  GuestCheck,
  FlowMeasurement,
  HostEvent,
  HostEventStream,
  FloodWindow,
  JobStats,
  MemoryIntegrity,
  PathTrace,
  MigrationHost,
  NetworkDevice,
  RouteExpectation,
  StagedTx,
  RouteChange,
  TimelineEvent,
} from './types.js';
import { defined } from '../model/defined.js';
import { applyStagedSwitchover, SwitchoverStaging, type SwitchoverSteps } from './switchover-staging.js';

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));
/** Bound of the wait for a transaction's routes to show at its router before the next transaction (ms). */
const INSTALL_WAIT_MS = 1500;
/** Least time given to the memory check after the guest answered (two verification passes and slack). */
const MEMORY_CHECK_MIN_MS = 5000;

/** Mutable record of one attempt, filled by the effects. */
export class AttemptRecorder {
  readonly events: TimelineEvent[] = [];
  readonly snapshots = new Map<string, string>();
  readonly queue = new EventQueue();
  readonly notes: string[] = [];
  stats?: JobStats;
  flows: readonly FlowMeasurement[] = [];
  routeChanges: readonly RouteChange[] = [];
  /** Neighbour/FDB events concerning the VM (from the route monitor, when it offers them). */
  l2Events: readonly TimelineEvent[] = [];
  guestAnswered?: boolean;
  /** The guest's memory after the move (verify asks its memory checker when the testbed can). */
  memoryIntegrity?: MemoryIntegrity;
  /** Host on which the guest was reset during the attempt (first one seen). */
  guestRebootedOn?: string;
  conflicts?: readonly Conflict[];
  /** Path traces toward the VM before the move and after its network settled (drivers.paths). */
  pathsBefore?: readonly PathTrace[];
  pathsAfter?: readonly PathTrace[];
  /** Why a path trace is missing (its error), one line per trace step. */
  readonly pathNotes: string[] = [];
  /** Flooding counted over the move window (drivers.flooding). */
  flooding?: FloodWindow;
  error?: Error;
  private dstWatch?: HostEventStream;
  private resumedSeen = false;
  /** Switchover transactions loaded while the VM migrates (switchover-staging.ts). */
  private readonly staging = new SwitchoverStaging();
  /** When the switchover's network was in place (performance.now()); the tail window counts from there. */
  private settledAt?: number;
  /**
   * The guest check, started as soon as the switchover's network is in place: libvirt's migrate call
   * returns a second or more after the destination resumed (its source-side teardown), and the check
   * runs meanwhile instead of after it. The verify step takes its result.
   */
  private verifying?: Promise<MachineEvent[]>;

  constructor(private readonly env: AttemptEnv) {}

  /** Journals a step; a failing journal is noted, never fatal to a run already under way. */
  private async journal(step: Parameters<NonNullable<AttemptEnv['journal']>['record']>[0]): Promise<void> {
    try {
      await this.env.journal?.record(step);
    } catch (e) {
      this.notes.push(`run journal: ${msg(e)} (a controller crash now would leave this change unrecorded)`);
    }
  }

  private get vm(): Vm {
    return this.env.plan.vm;
  }
  private get src(): MigrationHost {
    return this.env.drivers.host(this.env.plan.source);
  }
  private get dst(): MigrationHost {
    return this.env.drivers.host(this.env.plan.destination);
  }
  private io(step: string, abortable: boolean): { timeoutMs: number; signal?: AbortSignal } {
    const timeoutMs = this.env.callTimeoutMs(step);
    return abortable && this.env.signal !== undefined ? { timeoutMs, signal: this.env.signal } : { timeoutMs };
  }
  mark(host: string, kind: string, detail?: Readonly<Record<string, string | number | boolean>>): void {
    this.events.push(controllerEvent(this.env.drivers.now(), host, kind, detail));
  }

  run(effect: Effect): Promise<MachineEvent[]> {
    switch (effect.kind) {
      case 'precheck':
        return this.precheck();
      case 'apply-network':
        return this.apply(effect.phase, effect.ops);
      case 'start-observers':
        return this.startObservers();
      case 'migrate':
        return this.migrate();
      case 'abort-migration':
        return this.abortMigration();
      case 'verify':
        return this.verify();
      case 'rollback-network':
        return this.rollback(effect.txs);
      case 'locate-vm':
        return this.locate();
      case 'migrate-back':
        return this.migrateBack();
      case 'stop-observers':
        return this.stopObservers();
    }
  }

  private async precheck(): Promise<MachineEvent[]> {
    const io = this.io('precheck', true);
    const fail = (reason: string): MachineEvent[] => [{ type: 'precheck-failed', reason }];
    try {
      if (!(await this.src.isRunning(this.vm.name, io)))
        return fail(`VM "${this.vm.name}" is not running on ${this.src.name}`);
      const there = await this.dst.domainState(this.vm.name, io);
      // An inactive definition on the destination is fine; an active copy would mean two running VMs.
      if (there === 'running' || there === 'paused')
        return fail(`VM "${this.vm.name}" is already ${there} on ${this.dst.name}`);
      const free = await this.dst.freeMemoryMiB?.(io);
      if (free !== undefined && free < this.vm.memoryMiB) {
        return fail(`${this.dst.name} has ${free} MiB free, VM "${this.vm.name}" needs ${this.vm.memoryMiB} MiB`);
      }
      const { plan } = this.env;
      // The checks below are independent reads: they run at once (the address probes alone wait ~1 s each
      // for an answer that should not come), and the first finding in this order is the one reported.
      const devices = devicesOf([...plan.strategy.prepare, ...plan.strategy.switchover, ...plan.strategy.cleanup]);
      const [snaps, missing, conflicts] = await Promise.all([
        Promise.all(devices.map(async (d) => {
          try {
            return { d, snap: await this.env.drivers.device(d).snapshotRunning(io) };
          } catch (e) {
            return { d, error: `device ${d} unreachable or not verifiable: ${msg(e)}` };
          }
        })),
        this.env.drivers.missing?.({
          routers: plan.strategy.watchRouters,
          trafficHosts: [...new Set(this.env.flows.map((f) => f.from))],
          subnet: plan.destinationSubnet ?? this.vm.subnet,
        }, io) ?? Promise.resolve([]),
        this.findConflicts(io),
      ]);
      for (const s of snaps) {
        if ('error' in s) return fail(s.error as string);
        this.snapshots.set(s.d, s.snap);
      }
      if (missing.length > 0) return fail(`the testbed lacks what this run needs: ${missing.join('; ')}`);
      if (conflicts.length > 0) {
        const err = new IpConflictError(conflicts, { device: this.dst.name });
        this.error = err;
        this.conflicts = conflicts;
        return [{ type: 'precheck-failed', reason: err.message, conflicts }];
      }
      this.mark('controller', 'precheck-ok');
      return [{ type: 'precheck-ok' }];
    } catch (e) {
      // An abort is not a refusal: let the machine roll back as aborted.
      if (this.env.signal?.aborted === true) return [{ type: 'abort', reason: 'abort requested during precheck' }];
      return fail(`precheck failed: ${msg(e)}`);
    }
  }

  private async findConflicts(io: { timeoutMs: number; signal?: AbortSignal }): Promise<Conflict[]> {
    const { plan } = this.env;
    const addrs = plan.families.flatMap((f) => {
      const a = f === 4 ? this.vm.ipv4 : this.vm.ipv6;
      return a === undefined ? [] : [{ family: f, address: a.split('/')[0] ?? a }];
    });
    const out = recordConflicts(
      plan.testbed,
      this.vm,
      addrs.map((a) => a.address),
    );
    const subnet = plan.destinationSubnet ?? this.vm.subnet;
    const probed = await Promise.all(addrs.map(async (a) =>
      probeConflict(this.vm, a.family, await this.env.drivers.conflicts.whoHolds(a.address, subnet, io))));
    for (const c of probed) if (c !== undefined) out.push(c);
    return out;
  }

  private async apply(phase: NetworkPhase, ops: readonly DeviceOp[]): Promise<MachineEvent[]> {
    const step = phase === 'prepare' ? 'prepare-network' : phase;
    // Only the prepare phase is cancelled by an abort: after the resume the run must finish.
    const io = this.io(step, phase === 'prepare');
    const applied: AppliedTx[] = [];
    const txs = batchByDevice(ops);
    this.mark('controller', `${phase}-begin`, { transactions: txs.length });
    const staged = phase === 'switchover' ? await this.staging.take() : new Map<number, StagedTx>();
    if (staged.size > 0) return this.applyStaged(phase, txs, staged, io);
    for (const [i, tx] of txs.entries()) {
      try {
        const since = this.env.drivers.now().monoNs;
        this.mark(tx.device, `${phase}-commit-sent`, { ops: tx.ops.length });
        const handle = await this.env.drivers.device(tx.device).applyTransaction(tx.ops, io);
        applied.push({ phase, device: tx.device, ops: tx.ops, handle });
        await this.journal({ step: 'tx-applied', phase, device: tx.device, ops: tx.ops });
        this.mark(tx.device, `${phase}-commit`, { ops: tx.ops.length, tx: handle.id });
        if (i < txs.length - 1) await this.awaitInstalled(phase, tx.device, tx.ops, since);
      } catch (e) {
        this.mark(tx.device, `${phase}-rejected`, { error: msg(e) });
        // A lost session or a timeout leaves the transaction's effect unknown: a device commits route
        // by route, so part of it may be in force and the driver could not undo it on a dead session.
        // Its inverse joins the rollback (on a new session); inverse host-route ops are idempotent.
        const unknown = isVmmiError(e) && (e.code === 'CONNECTION' || e.code === 'TIMEOUT');
        const partial: AppliedTx[] = unknown
          ? [{ phase, device: tx.device, ops: tx.ops, handle: { device: tx.device, id: `${tx.device}#unknown` } }]
          : [];
        if (unknown) await this.journal({ step: 'tx-applied', phase, device: tx.device, ops: tx.ops });
        return [
          { type: 'network-failed', phase, applied: [...applied, ...partial], reason: `${tx.device}: ${msg(e)}` },
        ];
      }
    }
    // A cleanup that changed devices restarts the tail window: its effect on traffic is observed whole too.
    if (phase === 'switchover' || (phase === 'cleanup' && txs.length > 0)) this.settledAt = performance.now();
    if (phase === 'switchover') this.verifyEarly();
    return [{ type: 'network-applied', phase, applied }];
  }

  /** What the staged switchover (switchover-staging.ts) needs of this attempt. */
  private get stepsForStaging(): SwitchoverSteps {
    return {
      mark: (host, kind, detail) => this.mark(host, kind, detail),
      journal: (step) => this.journal(step),
      awaitInstalled: (phase, device, ops, since, stop) => this.awaitInstalled(phase, device, ops, since, stop),
      now: () => this.env.drivers.now().monoNs,
      device: (name) => this.env.drivers.device(name),
    };
  }

  private async applyStaged(phase: NetworkPhase, txs: readonly { device: string; ops: DeviceOp[] }[],
    staged: ReadonlyMap<number, StagedTx>, io: { timeoutMs: number; signal?: AbortSignal }): Promise<MachineEvent[]> {
    const events = await applyStagedSwitchover(this.stepsForStaging, this.staging, { phase, txs, staged, io });
    if (events.some((e) => e.type === 'network-applied')) {
      this.settledAt = performance.now();
      this.verifyEarly();
    }
    return events;
  }

  private verifyEarly(): void {
    this.verifying ??= this.verifyGuest();
    this.verifying.catch(() => undefined);
  }

  /** The verify step: the early check's result (or a check now), failed anyway if the guest was reset since. */
  private async verify(): Promise<MachineEvent[]> {
    const p = this.verifying ?? this.verifyGuest();
    this.verifying = undefined;
    const events = await p;
    if (this.guestRebootedOn !== undefined && events.some((e) => e.type === 'verify-ok')) {
      this.mark(this.vm.name, 'guest-rebooted', { on: this.guestRebootedOn });
      return [{ type: 'verify-failed',
        reason: `guest ${this.vm.name} was reset on ${this.guestRebootedOn} during the migration (it rebooted: its state is lost)` }];
    }
    return events;
  }

  /**
   * A commit's reply does not mean the route is forwarding: a device's data plane may apply committed
   * config later (the lab's agents do, by tens of ms). Before the next device's transaction, wait until
   * this one's routes show (added, or gone) at the router (route monitor), so the strategy's order (new path
   * before the next hop points at it) holds in the forwarding tables, not just in the commits. Bounded; a
   * router that does not show them in time is marked and the move goes on.
   */
  private async awaitInstalled(
    phase: NetworkPhase,
    device: string,
    ops: readonly DeviceOp[],
    since: bigint,
    stop?: AbortSignal,
  ): Promise<void> {
    const wait = this.env.drivers.routes.waitForRoutes;
    if (wait === undefined || !this.env.plan.strategy.watchRouters.includes(device)) return;
    // Removals are waited for too: moving home, the home TOR's route must be gone before the next router's
    // (a staged commit is fast enough to overtake the previous router's data plane).
    const expect = ops.flatMap((o): RouteExpectation[] =>
      o.op === 'add-host-route' || o.op === 'bgp-announce' ? [{ prefix: o.prefix, action: 'add' as const }]
        : o.op === 'remove-host-route' || o.op === 'bgp-withdraw' ? [{ prefix: o.prefix, action: 'del' as const }] : [],
    );
    if (expect.length === 0) return;
    const t0 = performance.now();
    const signals = [this.env.signal, stop].filter((x): x is AbortSignal => x !== undefined);
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const ok = await wait.call(this.env.drivers.routes, device, expect, since, INSTALL_WAIT_MS, signal)
      .catch(() => false);
    if (stop?.aborted === true) return;
    this.mark(device, ok ? `${phase}-installed` : `${phase}-install-timeout`, {
      ms: Math.round((performance.now() - t0) * 10) / 10,
    });
  }

  private async startObservers(): Promise<MachineEvent[]> {
    const io = this.io('start-observers', true);
    try {
      this.dstWatch = await this.dst.watch(this.vm.name, io);
      void this.pump(this.dstWatch, 'destination');
      await this.env.drivers.routes.start(this.env.plan.strategy.watchRouters, io);
      // The path before the move is traced before the probes start: its probes then never share the
      // window the outage is measured in. Flooding is counted from here to the observers' stop.
      await Promise.all([this.tracePaths('before', io), this.startFloodCount(io)]);
      await this.env.drivers.probes.start(this.env.flows, io);
      this.mark('controller', 'observers-started', { flows: this.env.flows.length });
      return [{ type: 'observers-started' }];
    } catch (e) {
      return [{ type: 'observers-failed', reason: msg(e) }];
    }
  }

  /** Records a host's events; the destination's first RESUMED is the switchover trigger. */
  private async pump(events: AsyncIterable<HostEvent>, role: 'source' | 'destination'): Promise<void> {
    try {
      for await (const e of events) {
        this.events.push(hostEvent(e, role));
        if (e.kind === 'reboot') this.guestRebootedOn ??= e.host;
        if (role === 'destination' && e.kind === 'resumed' && !this.resumedSeen) {
          this.resumedSeen = true;
          this.queue.push({ type: 'dst-resumed' });
        }
      }
    } catch (e) {
      this.notes.push(`${role} event stream ended with: ${msg(e)}`);
    }
  }

  private async migrate(): Promise<MachineEvent[]> {
    // Loaded while memory copies; the switchover then sends only the commits.
    if (this.env.plan.testbed.migration.stageSwitchover !== false) {
      this.staging.begin(this.env.plan.strategy.switchover, this.stepsForStaging, this.io('migrate', false),
        (note) => this.notes.push(note));
    }
    this.mark(this.src.name, 'migrate-call', { to: this.dst.name, bandwidthMiBs: this.env.params.bandwidthMiBs });
    await this.journal({ step: 'migrate-started' });
    let job;
    try {
      // No run signal here: an abort reaches the job only through the machine's abort-migration effect,
      // which is never emitted after the destination resumed.
      job = await this.src.migrate(this.vm.name, this.env.params, this.io('migrate', false));
    } catch (e) {
      this.mark(this.src.name, 'migrate-returned', { error: msg(e) });
      return [{ type: 'migration-failed', reason: `${this.src.name}: migrate: ${msg(e)}` }];
    }
    void this.pump(job.events, 'source');
    job.done.then(
      (stats) => {
        this.stats = stats;
        this.mark(this.src.name, 'migrate-returned');
        this.queue.push({ type: 'migration-completed' });
      },
      (e: unknown) => {
        this.mark(this.src.name, 'migrate-returned', { error: msg(e) });
        const aborted = isVmmiError(e) && e.code === 'ABORTED';
        this.queue.push(aborted ? { type: 'migration-aborted' } : { type: 'migration-failed', reason: msg(e) });
      },
    );
    return [{ type: 'migration-started' }];
  }

  private async abortMigration(): Promise<MachineEvent[]> {
    this.mark(this.src.name, 'abort-requested');
    try {
      await this.src.abort(this.vm.name, this.io('rolling-back', false));
    } catch (e) {
      // The job may have ended on its own; its end event still drives the machine.
      this.notes.push(`abort on ${this.src.name} failed: ${msg(e)}`);
    }
    return [];
  }

  private async verifyGuest(): Promise<MachineEvent[]> {
    const { timeoutMs, intervalMs } = this.env.verify;
    const guest = this.env.drivers.guest(this.vm);
    const t0 = Date.now();
    let last = 'no answer';
    while (Date.now() - t0 < timeoutMs) {
      try {
        // A guest that was reset answers again once it has booted, but it lost its state: not a pass.
        if (this.guestRebootedOn !== undefined) break;
        if (await guest.answers({ timeoutMs: Math.max(1, Math.min(intervalMs * 4, timeoutMs - (Date.now() - t0))) })) {
          this.guestAnswered = true;
          this.mark(this.vm.name, 'guest-answered');
          return this.verifyMemory(guest, Math.max(1, timeoutMs - (Date.now() - t0)));
        }
      } catch (e) {
        last = msg(e);
      }
      await sleep(intervalMs);
    }
    this.guestAnswered = false;
    if (this.guestRebootedOn !== undefined) {
      this.mark(this.vm.name, 'guest-rebooted', { on: this.guestRebootedOn });
      return [
        {
          type: 'verify-failed',
          reason: `guest ${this.vm.name} was reset on ${this.guestRebootedOn} during the migration (it rebooted: its state is lost)`,
        },
      ];
    }
    this.mark(this.vm.name, 'guest-silent', { afterMs: timeoutMs });
    return [{ type: 'verify-failed', reason: `guest ${this.vm.name} did not answer within ${timeoutMs} ms (${last})` }];
  }

  /**
   * Asks the guest's memory checker after the move. A corrupt guest fails the move (a migration-
   * correctness failure, never an infrastructure retry); no verdict is recorded as such, not as ok.
   */
  private async verifyMemory(guest: GuestCheck, budgetMs: number): Promise<MachineEvent[]> {
    if (guest.memoryIntegrity === undefined) {
      this.memoryIntegrity = {
        status: 'unchecked',
        detail: 'the testbed gives the VM no control port',
        method: 'guest memcheck',
      };
      return [{ type: 'verify-ok' }];
    }
    let mi: MemoryIntegrity;
    try {
      mi = await guest.memoryIntegrity({ timeoutMs: Math.max(MEMORY_CHECK_MIN_MS, budgetMs) });
    } catch (e) {
      mi = { status: 'unknown', detail: `memory checker query failed: ${msg(e)}`, method: 'guest memcheck' };
    }
    this.memoryIntegrity = mi;
    this.mark(this.vm.name, `memory-${mi.status}`, { detail: mi.detail, ...defined({ page: mi.firstBadPage }) });
    if (mi.status === 'corrupt') {
      return [
        { type: 'verify-failed', reason: `guest ${this.vm.name}'s memory is corrupt after the move (${mi.detail})` },
      ];
    }
    return [{ type: 'verify-ok' }];
  }

  private async rollback(txs: readonly AppliedTx[]): Promise<MachineEvent[]> {
    const io = this.io('rolling-back', false);
    const residue: string[] = [];
    // After a rollback the whole tail window follows the end of the run, not the undone switchover.
    this.settledAt = undefined;
    await this.staging.release();
    this.mark('controller', 'rollback-begin', { transactions: txs.length });
    for (const tx of txs) {
      const dev = this.env.drivers.device(tx.device);
      try {
        await dev.rollback(tx.handle, io);
        await this.journal({ step: 'tx-rolled-back', device: tx.device, ops: tx.ops });
        this.mark(tx.device, 'rollback-commit', { tx: tx.handle.id });
      } catch (e) {
        const left = await this.inverseRoutes(dev, tx, io);
        if (left !== undefined) residue.push(`${tx.device}: rollback of ${tx.handle.id} failed (${msg(e)}); ${left}`);
        else await this.journal({ step: 'tx-rolled-back', device: tx.device, ops: tx.ops });
      }
    }
    for (const [device, before] of this.snapshots) {
      try {
        const after = await this.env.drivers.device(device).snapshotRunning(io);
        if (after !== before) residue.push(`${device}: running config differs from before the run`);
      } catch (e) {
        residue.push(`${device}: cannot verify running config after rollback: ${msg(e)}`);
      }
    }
    this.mark('controller', 'rollback-done', { residue: residue.length });
    return [{ type: 'network-rolled-back', residue }];
  }

  /**
   * Fallback when a transaction's own rollback failed (e.g. the session that made it was lost and the
   * device reconnected): undo it as a new transaction of the inverse ops. Returns what is left, or undefined.
   */
  private async inverseRoutes(
    dev: NetworkDevice,
    tx: AppliedTx,
    io: { timeoutMs: number },
  ): Promise<string | undefined> {
    try {
      await dev.applyTransaction(invertOps(tx.ops), io);
      this.mark(tx.device, 'rollback-inverse', { tx: tx.handle.id });
      return undefined;
    } catch (e) {
      return `inverse ops failed too: ${msg(e)}`;
    }
  }

  /** Migrates the VM from the destination back to the source (rollback after it had resumed there). */
  private async migrateBack(): Promise<MachineEvent[]> {
    const uri = this.env.plan.testbed.hypervisors.find((h) => h.name === this.env.plan.source)?.migrationUri;
    if (uri === undefined) return [{ type: 'move-back-failed', reason: `${this.src.name} has no migration URI` }];
    this.mark(this.dst.name, 'migrate-back-call', { to: this.src.name });
    try {
      const job = await this.dst.migrate(
        this.vm.name,
        { ...this.env.params, destinationUri: uri },
        this.io('rolling-back', false),
      );
      void (async () => {
        try {
          for await (const ev of job.events) void ev;
        } catch {
          // the job's end is reported through `done`
        }
      })();
      await job.done;
      this.mark(this.src.name, 'moved-back');
      return [{ type: 'moved-back' }];
    } catch (e) {
      this.mark(this.dst.name, 'migrate-back-failed', { error: msg(e) });
      return [{ type: 'move-back-failed', reason: msg(e) }];
    }
  }

  private async locate(): Promise<MachineEvent[]> {
    const io = this.io('rolling-back', false);
    const ask = async (h: MigrationHost): Promise<boolean | undefined> => {
      try {
        return await h.isRunning(this.vm.name, io);
      } catch (e) {
        this.notes.push(`cannot ask ${h.name} whether ${this.vm.name} runs: ${msg(e)}`);
        return undefined;
      }
    };
    const [s, d] = [await ask(this.src), await ask(this.dst)];
    const on: VmLocation =
      s === true && d === true ? 'both' : s === true ? 'source' : d === true ? 'destination' : 'none';
    this.mark('controller', 'vm-located', { on });
    return [{ type: 'vm-located', on }];
  }

  private async stopObservers(): Promise<MachineEvent[]> {
    const io = this.io('stop-observers', false);
    // Keep observing after the move so "after" windows have samples: at least the tail window (holdMs) after
    // the switchover's network was in place. Verify and cleanup run inside that window, so only what is left
    // of it is waited for here. An abort cuts the hold short.
    const since = this.settledAt === undefined ? 0 : performance.now() - this.settledAt;
    const left = this.env.holdMs - since;
    // The path after the move is traced inside the hold: the network has settled by now.
    const after = this.env.signal?.aborted === true ? Promise.resolve() : this.tracePaths('after', io);
    if (left > 0 && this.env.signal?.aborted !== true) {
      await sleep(left, this.env.signal).catch(() => undefined);
    }
    await after;
    this.mark('controller', 'hold-end', { waitedMs: Math.round(Math.max(0, left)), holdMs: this.env.holdMs });
    this.dstWatch?.close();
    await this.staging.release();
    try {
      this.flows = await this.env.drivers.probes.stop(io);
    } catch (e) {
      this.notes.push(`probes: ${msg(e)}`);
    }
    this.mark('controller', 'probes-stopped');
    try {
      this.routeChanges = await this.env.drivers.routes.stop(io);
    } catch (e) {
      this.notes.push(`route monitor: ${msg(e)}`);
    }
    await this.stopFloodCount(io);
    this.mark('controller', 'observers-stopped');
    const mine = new Set(
      [this.vm.mac, this.vm.ipv4, this.vm.ipv6].flatMap((a) =>
        a === undefined ? [] : [a.split('/')[0]?.toLowerCase()],
      ),
    );
    this.l2Events = (this.env.drivers.routes.timelineEvents?.() ?? []).filter((e) =>
      mine.has(String(e.detail?.['address'] ?? '').toLowerCase()),
    );
    return [];
  }

  /** Traces the paths toward the VM when the testbed can; a failure is a note, never the run's failure. */
  private async tracePaths(when: 'before' | 'after', io: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    const tracer = this.env.drivers.paths;
    if (tracer === undefined) return;
    const targets = pathTargets(this.env.plan);
    if (targets.length === 0) return;
    try {
      const traces = await tracer.trace(targets, io);
      if (when === 'before') this.pathsBefore = traces;
      else this.pathsAfter = traces;
      this.mark('controller', `path-traced-${when}`, { traces: traces.length,
        reached: traces.filter((t) => t.reached).length });
    } catch (e) {
      this.pathNotes.push(`path ${when} the move: ${msg(e)}`);
    }
  }

  /** The segments counted: the bridges of the source's and destination's TORs. */
  private floodDevices(): string[] {
    const tb = this.env.plan.testbed;
    const tor = (name: string): string[] => {
      const hv = tb.hypervisors.find((h) => h.name === name);
      return hv === undefined ? [] : [torOf(tb, hv).name];
    };
    return [...new Set([...tor(this.env.plan.source), ...tor(this.env.plan.destination)])];
  }

  private floodStarted = false;

  private async startFloodCount(io: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    const f = this.env.drivers.flooding;
    const devices = this.floodDevices();
    if (f === undefined || devices.length === 0) return;
    try {
      await f.start(devices, io);
      this.floodStarted = true;
    } catch (e) {
      this.notes.push(`flooding count: not started: ${msg(e)}`);
    }
  }

  private async stopFloodCount(io: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    const f = this.env.drivers.flooding;
    if (f === undefined || !this.floodStarted) return;
    this.floodStarted = false;
    try {
      this.flooding = await f.stop(io);
      for (const p of this.flooding.problems ?? []) this.notes.push(`flooding count: ${p}`);
    } catch (e) {
      this.notes.push(`flooding count: ${msg(e)}`);
    }
  }

  /** Releases what the attempt still holds (idempotent). */
  close(): void {
    this.dstWatch?.close();
    if (this.floodStarted) {
      this.floodStarted = false;
      void this.env.drivers.flooding?.stop({ timeoutMs: 5000 }).catch(() => undefined);
    }
  }
}
