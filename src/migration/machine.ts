/**
 * The migration state machine (pure): `transition(machine, event) → { machine, effects }`.
 *
 * precheck → prepare-network → start-observers → migrate → switchover → verify → cleanup → done.
 * Any failure, timeout or abort before the switchover enters `rolling-back`: the migration job is
 * aborted if it still runs, every committed network transaction is rolled back (newest first) and
 * the VM is located; the run ends `rolled-back` (VM on exactly one host, no residue) or `failed`.
 * Switchover is triggered by the destination's RESUMED event, never by the migrate call's return
 * (a completed job without that event still triggers it, recorded as `trigger: 'job-completed'`).
 * An abort after the VM resumed on the destination lets the run finish: the move already happened
 * and rolling the network back would strand the VM. Failures after it still roll back.
 */
import { invertOp } from './strategies/ops.js';
import type { DeviceOp } from './strategies/types.js';
import type { Conflict } from './errors.js';
import { IllegalTransitionError } from './errors.js';
import type { TxHandle } from './types.js';

export type MigrationState =
  | 'precheck' | 'prepare-network' | 'start-observers' | 'migrate' | 'switchover' | 'verify' | 'cleanup'
  | 'done' | 'rolling-back' | 'rolled-back' | 'failed';

export const TERMINAL_STATES: readonly MigrationState[] = ['done', 'rolled-back', 'failed'];

export type NetworkPhase = 'prepare' | 'switchover' | 'cleanup';

/** One committed, confirmed transaction. */
export interface AppliedTx {
  readonly phase: NetworkPhase;
  readonly device: string;
  readonly ops: readonly DeviceOp[];
  readonly handle: TxHandle;
}

export type VmLocation = 'source' | 'destination' | 'both' | 'none';

export type MachineEvent =
  | { readonly type: 'precheck-ok' }
  | { readonly type: 'precheck-failed'; readonly reason: string; readonly conflicts?: readonly Conflict[] }
  | { readonly type: 'network-applied'; readonly phase: NetworkPhase; readonly applied: readonly AppliedTx[] }
  | {
      readonly type: 'network-failed';
      readonly phase: NetworkPhase;
      readonly applied: readonly AppliedTx[];
      readonly reason: string;
    }
  | { readonly type: 'observers-started' }
  | { readonly type: 'observers-failed'; readonly reason: string }
  | { readonly type: 'migration-started' }
  | { readonly type: 'dst-resumed' }
  | { readonly type: 'migration-completed' }
  | { readonly type: 'migration-failed'; readonly reason: string }
  | { readonly type: 'migration-aborted' }
  | { readonly type: 'verify-ok' }
  | { readonly type: 'verify-failed'; readonly reason: string }
  | { readonly type: 'network-rolled-back'; readonly residue: readonly string[] }
  | { readonly type: 'vm-located'; readonly on: VmLocation }
  /** The VM was migrated back to the source during a rollback (it had already resumed on the destination). */
  | { readonly type: 'moved-back' }
  | { readonly type: 'move-back-failed'; readonly reason: string }
  | { readonly type: 'abort'; readonly reason?: string }
  | { readonly type: 'step-timeout'; readonly step: MigrationState; readonly afterMs: number };

export type MachineEventType = MachineEvent['type'];

export type Effect =
  | { readonly kind: 'precheck' }
  | { readonly kind: 'apply-network'; readonly phase: NetworkPhase; readonly ops: readonly DeviceOp[] }
  | { readonly kind: 'start-observers' }
  | { readonly kind: 'migrate' }
  | { readonly kind: 'abort-migration' }
  | { readonly kind: 'verify' }
  /** `txs` newest first; `ops` the inverse operations in the same order (fallback and printing). */
  | { readonly kind: 'rollback-network'; readonly txs: readonly AppliedTx[]; readonly ops: readonly DeviceOp[] }
  | { readonly kind: 'locate-vm' }
  /** Rollback found the VM on the destination: migrate it back to the source (the network was rolled back). */
  | { readonly kind: 'migrate-back' }
  | { readonly kind: 'stop-observers' };

export type FailureKind = 'refused' | 'network' | 'observers' | 'migration' | 'verify' | 'aborted' | 'timeout';

export interface Failure {
  readonly step: MigrationState;
  readonly kind: FailureKind;
  readonly reason: string;
  readonly conflicts?: readonly Conflict[];
}

export interface MachineContext {
  readonly ops: Readonly<Record<NetworkPhase, readonly DeviceOp[]>>;
  readonly applied: readonly AppliedTx[];
  /** A migration job is in flight (started, not yet ended). */
  readonly migrating: boolean;
  readonly resumed: boolean;
  readonly completed: boolean;
  readonly switched: boolean;
  readonly observers: boolean;
  readonly abortRequested: boolean;
  readonly trigger?: 'dst-resumed' | 'job-completed';
  readonly failure?: Failure;
  readonly rollbackStep?: 'await-migration' | 'network' | 'locate' | 'move-back';
  /** The rollback already tried to migrate the VM back (once). */
  readonly movedBack?: boolean;
  readonly residue: readonly string[];
  readonly vmOn?: VmLocation;
}

export interface Machine {
  readonly state: MigrationState;
  readonly ctx: MachineContext;
}

export interface Step {
  readonly machine: Machine;
  readonly effects: readonly Effect[];
}

export function initial(ops: Readonly<Record<NetworkPhase, readonly DeviceOp[]>>): Step {
  const ctx: MachineContext = {
    ops, applied: [], migrating: false, resumed: false, completed: false, switched: false,
    observers: false, abortRequested: false, residue: [],
  };
  return { machine: { state: 'precheck', ctx }, effects: [{ kind: 'precheck' }] };
}

const go = (state: MigrationState, ctx: MachineContext, ...effects: Effect[]): Step => ({
  machine: { state, ctx },
  effects,
});

function finish(state: 'done' | 'rolled-back' | 'failed', ctx: MachineContext): Step {
  return ctx.observers ? go(state, ctx, { kind: 'stop-observers' }) : go(state, ctx);
}

/** Network rollback (newest transaction first), or straight to locating the VM when nothing was applied. */
function rollbackNetwork(ctx: MachineContext): Step {
  if (ctx.applied.length === 0) return go('rolling-back', { ...ctx, rollbackStep: 'locate' }, { kind: 'locate-vm' });
  const txs = [...ctx.applied].reverse();
  const ops = txs.flatMap((t) => [...t.ops].reverse().map(invertOp));
  return go('rolling-back', { ...ctx, rollbackStep: 'network' }, { kind: 'rollback-network', txs, ops });
}

/** Enter rolling-back; the first failure is kept (later ones are consequences). */
function rollback(m: Machine, failure: Omit<Failure, 'step'>): Step {
  const ctx: MachineContext = { ...m.ctx, failure: m.ctx.failure ?? { step: m.state, ...failure } };
  if (ctx.migrating) {
    // After the destination resumed, aborting is meaningless: wait for the job to end instead.
    const effects: Effect[] = ctx.resumed ? [] : [{ kind: 'abort-migration' }];
    return go('rolling-back', { ...ctx, rollbackStep: 'await-migration' }, ...effects);
  }
  return rollbackNetwork(ctx);
}

function toSwitchover(ctx: MachineContext, trigger: 'dst-resumed' | 'job-completed'): Step {
  return go('switchover', { ...ctx, trigger }, { kind: 'apply-network', phase: 'switchover', ops: ctx.ops.switchover });
}

function afterSwitchover(ctx: MachineContext): Step {
  return ctx.switched && ctx.completed ? go('verify', ctx, { kind: 'verify' }) : go('switchover', ctx);
}

type Handler = (m: Machine, e: MachineEvent) => Step | undefined;

/** Handlers per non-terminal state; `undefined` from a handler means "not accepted here". */
const handlers: Readonly<Record<MigrationState, Handler>> = {
  precheck: (m, e) => {
    if (e.type === 'precheck-ok')
      return go('prepare-network', m.ctx, { kind: 'apply-network', phase: 'prepare', ops: m.ctx.ops.prepare });
    if (e.type === 'precheck-failed') {
      const failure: Failure = {
        step: 'precheck',
        kind: 'refused',
        reason: e.reason,
        ...(e.conflicts ? { conflicts: e.conflicts } : {}),
      };
      return go('rolled-back', { ...m.ctx, failure, vmOn: 'source' });
    }
    return undefined;
  },
  'prepare-network': (m, e) => {
    if (e.type === 'network-applied' && e.phase === 'prepare') {
      return go(
        'start-observers',
        { ...m.ctx, applied: [...m.ctx.applied, ...e.applied] },
        { kind: 'start-observers' },
      );
    }
    return undefined;
  },
  'start-observers': (m, e) => {
    if (e.type === 'observers-started') return go('migrate', { ...m.ctx, observers: true }, { kind: 'migrate' });
    if (e.type === 'observers-failed') return rollback(m, { kind: 'observers', reason: e.reason });
    return undefined;
  },
  migrate: (m, e) => {
    const ctx = m.ctx;
    switch (e.type) {
      case 'migration-started':
        return go('migrate', { ...ctx, migrating: true });
      case 'dst-resumed':
        return toSwitchover({ ...ctx, resumed: true }, 'dst-resumed');
      case 'migration-completed':
        return toSwitchover({ ...ctx, migrating: false, completed: true }, 'job-completed');
      case 'migration-failed':
        return rollback({ ...m, ctx: { ...ctx, migrating: false } }, { kind: 'migration', reason: e.reason });
      case 'migration-aborted':
        return rollback({ ...m, ctx: { ...ctx, migrating: false } }, { kind: 'aborted', reason: 'migration aborted' });
      case 'abort':
        if (!ctx.migrating) return rollback(m, { kind: 'aborted', reason: e.reason ?? 'abort requested' });
        return go('migrate', { ...ctx, abortRequested: true }, { kind: 'abort-migration' });
      default:
        return undefined;
    }
  },
  switchover: (m, e) => {
    const ctx = m.ctx;
    switch (e.type) {
      case 'network-applied':
        return e.phase === 'switchover'
          ? afterSwitchover({ ...ctx, switched: true, applied: [...ctx.applied, ...e.applied] })
          : undefined;
      case 'migration-completed':
        return afterSwitchover({ ...ctx, migrating: false, completed: true });
      case 'dst-resumed':
        return go('switchover', { ...ctx, resumed: true });
      case 'migration-failed':
        return rollback({ ...m, ctx: { ...ctx, migrating: false } }, { kind: 'migration', reason: e.reason });
      default:
        return undefined;
    }
  },
  verify: (m, e) => {
    if (e.type === 'verify-ok')
      return go('cleanup', m.ctx, { kind: 'apply-network', phase: 'cleanup', ops: m.ctx.ops.cleanup });
    if (e.type === 'verify-failed') return rollback(m, { kind: 'verify', reason: e.reason });
    return undefined;
  },
  cleanup: (m, e) => {
    if (e.type === 'network-applied' && e.phase === 'cleanup') {
      return finish('done', { ...m.ctx, applied: [...m.ctx.applied, ...e.applied], vmOn: 'destination' });
    }
    return undefined;
  },
  'rolling-back': (m, e) => {
    const ctx = m.ctx;
    if (e.type === 'abort' || e.type === 'dst-resumed' || e.type === 'migration-started') {
      return go('rolling-back', e.type === 'dst-resumed' ? { ...ctx, resumed: true } : ctx);
    }
    if (e.type === 'step-timeout')
      return finish('failed', { ...ctx, residue: [...ctx.residue, `rollback timed out in step ${e.step}`] });
    if (ctx.rollbackStep === 'await-migration'
      && (e.type === 'migration-aborted' || e.type === 'migration-failed' || e.type === 'migration-completed')) {
      return rollbackNetwork({ ...ctx, migrating: false, completed: e.type === 'migration-completed' });
    }
    if (ctx.rollbackStep === 'network' && e.type === 'network-rolled-back') {
      return go('rolling-back', { ...ctx, residue: e.residue, rollbackStep: 'locate' }, { kind: 'locate-vm' });
    }
    if (ctx.rollbackStep === 'locate' && e.type === 'vm-located') {
      // The network now serves the source: a VM that already runs on the destination goes back, or
      // it would be unreachable ("rolled back" means the testbed is as before the run).
      if (e.on === 'destination' && ctx.movedBack !== true) {
        return go(
          'rolling-back',
          { ...ctx, rollbackStep: 'move-back', movedBack: true, vmOn: e.on },
          { kind: 'migrate-back' },
        );
      }
      const clean = ctx.residue.length === 0 && e.on === 'source';
      return finish(clean ? 'rolled-back' : 'failed', {
        ...ctx,
        vmOn: e.on,
        ...(e.on === 'destination'
          ? {
              residue: [...ctx.residue, 'VM stayed on the destination while the network was rolled back to the source'],
            }
          : {}),
      });
    }
    if (ctx.rollbackStep === 'move-back' && (e.type === 'moved-back' || e.type === 'move-back-failed')) {
      const residue =
        e.type === 'move-back-failed' ? [...ctx.residue, `migrating the VM back failed: ${e.reason}`] : ctx.residue;
      return go('rolling-back', { ...ctx, residue, rollbackStep: 'locate' }, { kind: 'locate-vm' });
    }
    return undefined;
  },
  done: () => undefined,
  'rolled-back': () => undefined,
  failed: () => undefined,
};

/** Events accepted in some state regardless of the handler table (failure paths). */
function common(m: Machine, e: MachineEvent): Step | undefined {
  if (TERMINAL_STATES.includes(m.state) || m.state === 'rolling-back') return undefined;
  if (e.type === 'network-failed') {
    return rollback(
      { ...m, ctx: { ...m.ctx, applied: [...m.ctx.applied, ...e.applied] } },
      { kind: 'network', reason: e.reason },
    );
  }
  if (e.type === 'step-timeout')
    return rollback(m, { kind: 'timeout', reason: `step ${e.step} exceeded ${e.afterMs} ms` });
  if (e.type === 'abort' && m.state !== 'migrate') {
    // Once the VM resumed on the destination, finishing is the safe way to stop.
    if (m.ctx.resumed || m.ctx.completed) return go(m.state, { ...m.ctx, abortRequested: true });
    return rollback(m, { kind: 'aborted', reason: e.reason ?? 'abort requested' });
  }
  return undefined;
}

/** Applies one event. Throws IllegalTransitionError for an event the state does not accept. */
export function transition(m: Machine, e: MachineEvent): Step {
  const next = handlers[m.state](m, e) ?? common(m, e);
  if (next === undefined) throw new IllegalTransitionError(m.state, e.type, acceptedEvents(m));
  return next;
}

const ALL_EVENTS: readonly MachineEvent[] = [
  { type: 'precheck-ok' },
  { type: 'precheck-failed', reason: '' },
  { type: 'observers-started' },
  { type: 'observers-failed', reason: '' },
  { type: 'migration-started' },
  { type: 'dst-resumed' },
  { type: 'migration-completed' },
  { type: 'migration-failed', reason: '' },
  { type: 'migration-aborted' },
  { type: 'verify-ok' },
  { type: 'verify-failed', reason: '' },
  { type: 'network-rolled-back', residue: [] },
  { type: 'vm-located', on: 'source' },
  { type: 'moved-back' },
  { type: 'move-back-failed', reason: '' },
  { type: 'abort' },
  { type: 'step-timeout', step: 'precheck', afterMs: 0 },
  ...(['prepare', 'switchover', 'cleanup'] as const).flatMap((phase) => [
    { type: 'network-applied' as const, phase, applied: [] },
    { type: 'network-failed' as const, phase, applied: [], reason: '' },
  ]),
];

/** Event types the machine accepts in its current state (for error messages and tests). */
export function acceptedEvents(m: Machine): string[] {
  const ok = ALL_EVENTS.filter((e) => (handlers[m.state](m, e) ?? common(m, e)) !== undefined)
    .map((e) => ('phase' in e ? `${e.type}(${e.phase})` : e.type));
  return [...new Set(ok)];
}

export function isTerminal(state: MigrationState): boolean {
  return TERMINAL_STATES.includes(state);
}

export type Outcome = 'migrated' | 'refused' | 'rolled-back' | 'failed';

export function outcomeOf(m: Machine): Outcome | undefined {
  if (m.state === 'done') return 'migrated';
  if (m.state === 'rolled-back') return m.ctx.failure?.kind === 'refused' ? 'refused' : 'rolled-back';
  if (m.state === 'failed') return 'failed';
  return undefined;
}
