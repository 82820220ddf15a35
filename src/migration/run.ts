/**
 * The migration executor: runs the machine's effects through the consumer interfaces, feeds the
 * resulting events back, enforces a deadline per state and the run's AbortSignal (SIGINT → abort →
 * rollback), then assembles the run's timeline, metrics, decomposition, conformance and health.
 * A guest that does not answer after the move is an infrastructure failure: the scenario is retried
 * once on a fresh VM supplied by `freshVm`, and both attempts are reported. An attempt whose
 * measurement broke because the controller was starved (health `starved`) is re-measured up to
 * `remeasureStarved` times: the VM is first moved back (a `reposition` attempt) when it had migrated;
 * every attempt is kept.
 */
import type { MigrationStrategy, Testbed, Vm } from '../model/testbed.js';
import { checkConformance, type Conformance } from './conformance.js';
import { decompose, type Decomposition } from './decompose.js';
import { MigrationError, UsageError } from '../errors/classes.js';
import { IllegalTransitionError, PrecheckError } from './errors.js';
import {
  initial, isTerminal, outcomeOf, transition,
  type Effect, type Failure, type Machine, type MachineEvent, type MigrationState, type Outcome, type VmLocation,
} from './machine.js';
import { assessHealth, type HealthVerdict, type HostLoad } from '../measure/health.js';
import { createMetric } from '../measure/metric-catalogue.js';
import { flowView } from './flow-view.js';
import { assembleMetrics, type Metric } from './metrics.js';
import { planMigration, type MigrationPlan } from './plan.js';
import type { MigrationDrivers } from './drivers.js';
import type { JournalHandle, RunJournal } from './journal.js';
import { AttemptRecorder } from './run-effects.js';
import type { Family } from './strategies/types.js';
import { flowEvents, mergeTimeline, routeEvents } from './timeline.js';
import type { FloodWindow, FlowMeasurement, FlowSpec, JobStats, MemoryIntegrity, TimelineEvent } from './types.js';
import { floodMetrics, pathView, type PathView } from './network-view.js';
import { rttExpectations } from './rtt-expectation.js';
import { defined } from '../model/defined.js';
import { modeSettingsOf } from './mode.js';

export type { MigrationDrivers } from './drivers.js';

export interface MigrationRequest {
  readonly vm: string;
  readonly to: string;
  /** Where the VM runs now (default: its home hypervisor). */
  readonly from?: string;
  readonly strategy?: MigrationStrategy;
  readonly families?: readonly Family[];
}

/** What `freshVm` returns for the retry: another VM (already running) and where it runs. */
export interface RetryTarget {
  readonly vm: Vm;
  readonly from: string;
}

export interface RunMigrationOptions {
  readonly signal?: AbortSignal;
  /** Deadline per state, ms (merged over DEFAULT_DEADLINES; `migrate` defaults to testbed.migration.timeoutMs). */
  readonly deadlinesMs?: Partial<Record<MigrationState | 'stop-observers', number>>;
  /** Probe flows; default: one per traffic host × family toward the VM's reflector (see probeFlows). */
  readonly flows?: readonly FlowSpec[];
  /** Traffic hosts that probe this run (default: those with probeByDefault). */
  readonly trafficHosts?: readonly string[];
  readonly verify?: { readonly timeoutMs: number; readonly intervalMs: number };
  /** Observation window after the run, before probes stop (default testbed.probe.baselineMs). */
  readonly holdMs?: number;
  /** Resolution of the route observer (1 ms for `ip -ts monitor`, else the poll interval). */
  readonly routeResolutionMs?: number;
  readonly clockSyncKnown?: boolean;
  /** Re-measures of a starved attempt (default {@link DEFAULT_REMEASURE_STARVED}; 0 turns them off). */
  readonly remeasureStarved?: number;
  /** The controller host's load, read as an attempt ends (starvation evidence besides sender pauses). */
  readonly hostLoad?: () => HostLoad;
  /** Infrastructure-failure retry: provides a fresh VM, or undefined to skip the retry. */
  readonly freshVm?: (failed: AttemptResult) => Promise<RetryTarget | undefined>;
  /**
   * Write-ahead run journal (harness/journal-file.ts). Opened before the first change; a journal that
   * cannot be opened refuses the run before anything is touched.
   */
  readonly journal?: RunJournal;
  /** Identity written into the journal so recovery only acts on the testbed the run was for. */
  readonly runId?: string;
}

export const DEFAULT_REMEASURE_STARVED = 2;

/** Why an attempt ran: to measure the requested move, or to move the VM back for a re-measure. */
export type AttemptPurpose = 'measure' | 'reposition';

export const DEFAULT_DEADLINES_MS: Readonly<Record<MigrationState | 'stop-observers', number>> = {
  precheck: 30_000, 'prepare-network': 60_000, 'start-observers': 30_000, migrate: 120_000, switchover: 60_000,
  verify: 30_000, cleanup: 60_000, 'rolling-back': 120_000, 'stop-observers': 15_000,
  done: 0, 'rolled-back': 0, failed: 0,
};

export interface AttemptResult {
  readonly attempt: number;
  /** `reposition`: a move back to the source before a starved attempt is re-measured (not the scenario's). */
  readonly purpose: AttemptPurpose;
  readonly vm: string;
  readonly source: string;
  readonly destination: string;
  readonly strategy: MigrationStrategy;
  readonly outcome: Outcome;
  readonly state: MigrationState;
  readonly failure?: Failure;
  /** The typed error of a refusal or failure (an IpConflictError names address and holder). */
  readonly error?: Error;
  readonly vmOn?: VmLocation;
  readonly residue: readonly string[];
  readonly trigger?: 'dst-resumed' | 'job-completed';
  readonly abortRequested: boolean;
  readonly health: HealthVerdict;
  readonly stats?: JobStats;
  readonly metrics: readonly Metric[];
  /** The probe flows of this attempt, measure/'s full results (empty when the probes never ran). */
  readonly flows: readonly FlowMeasurement[];
  readonly timeline: readonly TimelineEvent[];
  readonly decomposition?: Decomposition;
  /** Only for migrated runs; undefined after a rollback. */
  readonly conformance?: Conformance;
  /** The guest's memory after the move, when verify asked its memory checker. */
  readonly memoryIntegrity?: MemoryIntegrity;
  /** Paths toward the VM before and after the move and the roundabout verdict (drivers.paths). */
  readonly path?: PathView;
  /** Flooding in the VM's segments over the move window (drivers.flooding). */
  readonly flooding?: FloodWindow;
  readonly notes: readonly string[];
}

export interface MigrationResult {
  /** Outcome of the last attempt. */
  readonly verdict: Outcome;
  readonly health: HealthVerdict;
  /** More than one attempt ran: the result is "unstable". */
  readonly unstable: boolean;
  readonly metrics: readonly Metric[];
  readonly timeline: readonly TimelineEvent[];
  readonly decomposition?: Decomposition;
  readonly conformance?: Conformance;
  readonly attempts: readonly AttemptResult[];
}

/**
 * One UDP flow per traffic host × family; one TCP session per traffic host, on its first family's
 * flow. Hosts: the ones named (unknown names are a UsageError), else those probing by default.
 */
export function probeFlows(tb: Testbed, vm: Vm, families: readonly Family[], hosts?: readonly string[]): FlowSpec[] {
  for (const n of hosts ?? []) {
    if (!tb.trafficHosts.some((h) => h.name === n)) {
      throw new UsageError(`unknown traffic host "${n}"`, {
        hint: `traffic hosts: ${tb.trafficHosts.map((h) => h.name).join(', ')}`,
      });
    }
  }
  const chosen =
    hosts === undefined
      ? tb.trafficHosts.filter((h) => h.probeByDefault)
      : tb.trafficHosts.filter((h) => hosts.includes(h.name));
  return chosen.flatMap((h) => families.flatMap((f) => {
    const target = (f === 4 ? vm.ipv4 : vm.ipv6)?.split('/')[0];
    return target === undefined ? [] : [{ name: `${h.name}→${vm.name} v${f}`, from: h.name, target, family: f,
      port: vm.reflectorPort, ratePps: tb.probe.ratePps }];
  }).map((flow, i) => (i === 0 && vm.tcpEchoPort > 0 ? { ...flow, tcpPort: vm.tcpEchoPort } : flow)));
}

/** States where an abort rolls back, so it must pre-empt effects not yet started. */
const PREEMPTIBLE: ReadonlySet<MigrationState> = new Set(['precheck', 'prepare-network', 'start-observers', 'migrate']);

async function drive(rec: AttemptRecorder, first: { machine: Machine; effects: readonly Effect[] },
  deadline: (s: MigrationState) => number, aborted: () => boolean): Promise<Machine> {
  let m = first.machine;
  let effects = first.effects;
  const pending: MachineEvent[] = [];
  let entered = Date.now();
  let abortDelivered = false;
  const apply = (ev: MachineEvent, fromQueue: boolean): void => {
    try {
      const step = transition(m, ev);
      if (step.machine.state !== m.state) {
        rec.mark('controller', `state:${step.machine.state}`);
        entered = Date.now();
      }
      m = step.machine;
      effects = step.effects;
    } catch (e) {
      // A late observer event (e.g. a duplicate job end) is recorded, not fatal; effect results are strict.
      if (!(fromQueue && e instanceof IllegalTransitionError)) throw e;
      rec.mark('controller', 'late-event', { event: ev.type, state: m.state });
      effects = [];
    }
  };
  for (;;) {
    // An abort pre-empts effects not yet started, as long as it means a rollback (before the resume).
    if (aborted() && !abortDelivered && PREEMPTIBLE.has(m.state) && !m.ctx.resumed && !m.ctx.completed) {
      abortDelivered = true;
      apply({ type: 'abort', reason: 'abort requested (signal)' }, false);
      continue;
    }
    for (const eff of effects) pending.push(...await rec.run(eff));
    effects = [];
    if (isTerminal(m.state)) return m;
    let ev = pending.shift();
    const fromQueue = ev === undefined;
    if (ev === undefined) {
      const limit = deadline(m.state);
      ev = (await rec.queue.next(limit - (Date.now() - entered))) ?? {
        type: 'step-timeout',
        step: m.state,
        afterMs: limit,
      };
      if (ev.type === 'abort' && abortDelivered) continue;
      if (ev.type === 'abort') abortDelivered = true;
    }
    apply(ev, fromQueue);
  }
}

/** A typed error for a failed attempt: PRECHECK for refusals, MIGRATION otherwise. */
function failureError(f: Failure | undefined, plan: MigrationPlan): Error | undefined {
  if (f === undefined) return undefined;
  const ctx = { device: `${plan.vm.name} ${plan.source}→${plan.destination}`, operation: f.step };
  if (f.kind === 'refused') return new PrecheckError(f.reason, { ...ctx, hint: 'fix the precheck finding and retry' });
  return new MigrationError(`${f.kind}: ${f.reason}`, { ...ctx, operation: `migrate (${f.step})` });
}

async function runAttempt(plan: MigrationPlan, attempt: number, drivers: MigrationDrivers,
  options: RunMigrationOptions, purpose: AttemptPurpose = 'measure'): Promise<AttemptResult> {
  const tb = plan.testbed;
  const deadlines = { ...DEFAULT_DEADLINES_MS, migrate: tb.migration.timeoutMs, ...options.deadlinesMs };
  const journal = await openJournal(plan, attempt, options);
  const rec = new AttemptRecorder({
    ...defined({ journal }),
    plan, drivers, flows: options.flows ?? probeFlows(tb, plan.vm, plan.families, options.trafficHosts),
    ...defined({ signal: options.signal }),
    params: { destinationUri: tb.hypervisors.find((h) => h.name === plan.destination)?.migrationUri ?? '',
      bandwidthMiBs: tb.migration.bandwidthMiBs, maxDowntimeMs: tb.migration.maxDowntimeMs, live: true, p2p: true,
      mode: modeSettingsOf(tb.migration) },
    verify: options.verify ?? { timeoutMs: 10_000, intervalMs: 200 },
    holdMs: options.holdMs ?? tb.probe.baselineMs,
    callTimeoutMs: (step) => deadlines[step as MigrationState] ?? 30_000,
  });
  const onAbort = (): void => rec.queue.push({ type: 'abort', reason: 'abort requested (signal)' });
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted === true) onAbort();
  const anchor = drivers.now();
  rec.mark('controller', 'run-start', {
    attempt,
    vm: plan.vm.name,
    to: plan.destination,
    strategy: plan.strategy.strategy,
  });
  let m: Machine;
  try {
    m = await drive(rec, initial({ prepare: plan.strategy.prepare, switchover: plan.strategy.switchover,
      cleanup: plan.strategy.cleanup }), (s) => deadlines[s], () => options.signal?.aborted === true);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    rec.close();
  }
  const prefixes = new Set(
    plan.strategy.switchover.concat(plan.strategy.prepare).flatMap((o) => ('prefix' in o ? [o.prefix] : [])),
  );
  const routes = rec.routeChanges.filter((c) => prefixes.size === 0 || prefixes.has(c.prefix));
  const views = rec.flows.map(flowView);
  const timeline = mergeTimeline([{ events: rec.events }, { events: routeEvents(routes) }, { events: rec.l2Events },
    { events: flowEvents(views, anchor) }]);
  const outcome = outcomeOf(m) ?? 'failed';
  const metrics = assembleMetrics({
    timeline,
    flows: rec.flows,
    source: plan.source,
    destination: plan.destination,
    routeResolutionMs: options.routeResolutionMs ?? 1,
    ...defined({ stats: rec.stats, gateway: plan.strategy.gateway }),
  }).concat(
    Object.entries(plan.strategy.extraRttMs ?? {}).map(([peer, value]) => ({
      ...createMetric(
        'expected_extra_rtt_ms',
        value,
        `${plan.strategy.strategy}: RTT via the strategy's path − direct RTT, from testbed link delays`,
        0,
        'topology (link delays)',
      ),
      flow: peer,
    })),
    rec.flooding === undefined ? [] : floodMetrics(rec.flooding),
  );
  metrics.push(...rttExpectations({ testbed: plan.testbed, source: plan.source, destination: plan.destination,
    strategy: plan.strategy, flows: rec.flows.map((f) => f.spec), measured: metrics }));
  const path = drivers.paths === undefined ? undefined
    : pathView(plan, drivers.paths.method, rec.pathsBefore, rec.pathsAfter, rec.pathNotes);
  const health = assessHealth({
    flows: views,
    clockSyncKnown: options.clockSyncKnown ?? true,
    expectFlows: m.ctx.observers,
    ...defined({ host: options.hostLoad?.() }),
    ...defined({ guestAnswered: rec.guestAnswered, guestRebootedOn: rec.guestRebootedOn }),
    ...defined({ memoryIntegrity: rec.memoryIntegrity }),
  });
  const error = rec.error ?? failureError(m.ctx.failure, plan);
  await closeJournal(journal, outcome, m.ctx.residue, rec.notes);
  return {
    attempt, purpose, vm: plan.vm.name, source: plan.source, destination: plan.destination,
    strategy: plan.strategy.strategy,
    outcome, state: m.state, residue: m.ctx.residue, abortRequested: m.ctx.abortRequested, health, metrics, timeline,
    flows: rec.flows, notes: rec.notes,
    ...defined({ failure: m.ctx.failure, error, vmOn: m.ctx.vmOn, trigger: m.ctx.trigger }),
    ...defined({ stats: rec.stats, memoryIntegrity: rec.memoryIntegrity, path, flooding: rec.flooding }),
    ...(m.ctx.observers ? { decomposition: decompose({ timeline, source: plan.source, destination: plan.destination,
      routers: plan.strategy.watchRouters }) } : {}),
    ...(outcome === 'migrated' ? { conformance: checkConformance(timeline, plan.strategy.expectedOrder) } : {}),
  };
}

/**
 * Re-measures while the last attempt is starved (bounded): a VM that migrated is moved back first by a
 * `reposition` attempt of the same strategy (kept, its numbers not the scenario's), then the move runs
 * again from the original source. A reposition that does not migrate ends the re-measuring.
 */
async function remeasureStarved(attempts: AttemptResult[], testbed: Testbed, request: MigrationRequest,
  drivers: MigrationDrivers, options: RunMigrationOptions): Promise<void> {
  const opts = { ...defined({ families: request.families, strategy: request.strategy }) };
  for (let n = 0; n < (options.remeasureStarved ?? DEFAULT_REMEASURE_STARVED); n++) {
    const last = attempts.at(-1);
    if (last?.health.starved === undefined || options.signal?.aborted === true) return;
    const { vm, source, destination } = last;
    if (last.outcome === 'migrated') {
      const back = planMigration(testbed, vm, source, { ...opts, from: destination });
      const moved = await runAttempt(back, attempts.length + 1, drivers, options, 'reposition');
      attempts.push(moved);
      if (moved.outcome !== 'migrated') return;
    } else if (last.vmOn !== undefined && last.vmOn !== 'source') return;
    const again = planMigration(testbed, vm, request.to, { ...opts, from: source });
    attempts.push(await runAttempt(again, attempts.length + 1, drivers, options));
  }
}

async function openJournal(
  plan: MigrationPlan,
  attempt: number,
  options: RunMigrationOptions,
): Promise<JournalHandle | undefined> {
  if (options.journal === undefined) return undefined;
  const tb = plan.testbed;
  try {
    return await options.journal.open({
      runId: `${options.runId ?? 'run'}-${attempt}`,
      vm: plan.vm.name,
      source: plan.source,
      destination: plan.destination,
      strategy: plan.strategy.strategy,
      ops: { prepare: plan.strategy.prepare, switchover: plan.strategy.switchover, cleanup: plan.strategy.cleanup },
      testbed: { ...defined({ file: tb.file, sha256: tb.sha256 }) },
      writer: { pid: process.pid },
      startedWall: new Date().toISOString(),
    });
  } catch (e) {
    throw new MigrationError(`cannot open the run journal: ${(e as Error).message}`, {
      operation: 'journal',
      hint: 'check that the state directory (VMMI_STATE_DIR, default .vmmi/state) is writable',
      cause: e,
    });
  }
}

/**
 * Retires the journal when the attempt left the testbed consistent; otherwise records how it ended
 * and leaves it open, so the next vmmi command retries the recovery.
 */
async function closeJournal(
  journal: JournalHandle | undefined,
  outcome: Outcome,
  residue: readonly string[],
  notes: string[],
): Promise<void> {
  if (journal === undefined) return;
  try {
    if (outcome !== 'failed' && residue.length === 0) await journal.close(outcome);
    else {
      await journal.record({ step: 'ended', outcome, residue });
      await journal.release();
    }
  } catch (e) {
    notes.push(`run journal: ${(e as Error).message}`);
  }
}

/**
 * Runs one migration with all observers. Never throws for a failed migration (the result says what
 * happened); throws for invalid input (unknown VM/host/strategy) before touching anything.
 */
export async function runMigration(testbed: Testbed, request: MigrationRequest, drivers: MigrationDrivers,
  options: RunMigrationOptions = {}): Promise<MigrationResult> {
  const planFor = (vm: string, from?: string): MigrationPlan => planMigration(testbed, vm, request.to, {
    ...defined({ from, families: request.families, strategy: request.strategy }),
  });
  const attempts: AttemptResult[] = [await runAttempt(planFor(request.vm, request.from), 1, drivers, options)];
  const first = attempts[0];
  if (first?.health.infrastructure === true && options.freshVm !== undefined && options.signal?.aborted !== true) {
    const target = await options.freshVm(first);
    if (target !== undefined) {
      const tb = { ...testbed, vms: [...testbed.vms.filter((v) => v.name !== target.vm.name), target.vm] };
      const plan = planMigration(tb, target.vm.name, request.to, { from: target.from,
        ...defined({ families: request.families, strategy: request.strategy }) });
      attempts.push(await runAttempt(plan, 2, drivers, options));
    }
  }
  await remeasureStarved(attempts, testbed, request, drivers, options);
  const last = attempts[attempts.length - 1] ?? first;
  if (last === undefined) throw new Error('unreachable: no attempt ran');
  return {
    verdict: last.outcome,
    health: last.health,
    unstable: attempts.length > 1,
    metrics: last.metrics,
    timeline: last.timeline,
    attempts,
    ...defined({ decomposition: last.decomposition, conformance: last.conformance }),
  };
}

