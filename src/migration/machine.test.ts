import { expect, test } from '@playwright/test';
import { IllegalTransitionError } from './errors.js';
import {
  acceptedEvents, initial, isTerminal, outcomeOf, transition,
  type AppliedTx, type Effect, type Machine, type MachineEvent, type MigrationState,
} from './machine.js';
import type { DeviceOp } from './strategies/types.js';

const add = (device: string): DeviceOp => ({ op: 'add-host-route', device, prefix: '198.18.10.100/32', family: 4 });
const ops = { prepare: [add('torB')], switchover: [add('coreA')], cleanup: [add('torA')] };
const tx = (phase: AppliedTx['phase'], device: string): AppliedTx =>
  ({ phase, device, ops: [add(device)], handle: { device, id: `${phase}-${device}` } });

/** Feeds events from the initial state, returning the machine and the effects of the last step. */
function run(...events: MachineEvent[]): { m: Machine; effects: readonly Effect[] } {
  let step = initial(ops);
  for (const e of events) step = transition(step.machine, e);
  return { m: step.machine, effects: step.effects };
}

const toPrepare: MachineEvent[] = [{ type: 'precheck-ok' }];
const toObservers: MachineEvent[] = [
  ...toPrepare,
  { type: 'network-applied', phase: 'prepare', applied: [tx('prepare', 'torB')] },
];
const toMigrate: MachineEvent[] = [...toObservers, { type: 'observers-started' }];
const migrating: MachineEvent[] = [...toMigrate, { type: 'migration-started' }];
const toSwitchover: MachineEvent[] = [...migrating, { type: 'dst-resumed' }];
const switched: MachineEvent[] = [
  ...toSwitchover,
  { type: 'network-applied', phase: 'switchover', applied: [tx('switchover', 'coreA')] },
];
const toVerify: MachineEvent[] = [...switched, { type: 'migration-completed' }];
const toCleanup: MachineEvent[] = [...toVerify, { type: 'verify-ok' }];

const paths: Record<string, MachineEvent[]> = {
  precheck: [], 'prepare-network': toPrepare, 'start-observers': toObservers, migrate: toMigrate,
  'migrate (job running)': migrating, switchover: toSwitchover, verify: toVerify, cleanup: toCleanup,
};

test('initial state runs the precheck', () => {
  const s = initial(ops);
  expect(s.machine.state).toBe('precheck');
  expect(s.effects).toEqual([{ kind: 'precheck' }]);
});

test('happy path: every forward transition and its effects', () => {
  const seen: Array<[MigrationState, readonly Effect[]]> = [];
  let step = initial(ops);
  for (const e of toCleanup) {
    step = transition(step.machine, e);
    seen.push([step.machine.state, step.effects]);
  }
  step = transition(step.machine, { type: 'network-applied', phase: 'cleanup', applied: [tx('cleanup', 'torA')] });
  seen.push([step.machine.state, step.effects]);
  expect(seen).toEqual([
    ['prepare-network', [{ kind: 'apply-network', phase: 'prepare', ops: ops.prepare }]],
    ['start-observers', [{ kind: 'start-observers' }]],
    ['migrate', [{ kind: 'migrate' }]],
    ['migrate', []],
    ['switchover', [{ kind: 'apply-network', phase: 'switchover', ops: ops.switchover }]],
    ['switchover', []],
    ['verify', [{ kind: 'verify' }]],
    ['cleanup', [{ kind: 'apply-network', phase: 'cleanup', ops: ops.cleanup }]],
    ['done', [{ kind: 'stop-observers' }]],
  ]);
  expect(step.machine.ctx.trigger).toBe('dst-resumed');
  expect(step.machine.ctx.applied.map((a) => a.handle.id)).toEqual([
    'prepare-torB',
    'switchover-coreA',
    'cleanup-torA',
  ]);
  expect(outcomeOf(step.machine)).toBe('migrated');
});

test('job completion before the switchover commit waits for both; completion without RESUMED still switches', () => {
  const early = run(...toSwitchover, { type: 'migration-completed' });
  expect(early.m.state).toBe('switchover');
  expect(transition(early.m, { type: 'network-applied', phase: 'switchover', applied: [] }).machine.state).toBe(
    'verify',
  );
  const noEvent = run(...migrating, { type: 'migration-completed' });
  expect(noEvent.m.state).toBe('switchover');
  expect(noEvent.m.ctx.trigger).toBe('job-completed');
  expect(run(...toSwitchover, { type: 'dst-resumed' }).m.state).toBe('switchover');
});

test('precheck refusal keeps the conflict and touches nothing', () => {
  const conflicts = [{ address: '198.18.10.100', holder: 'rogue (02:00:00:00:00:99)', via: 'arp-probe' as const }];
  const { m, effects } = run({ type: 'precheck-failed', reason: 'conflict', conflicts });
  expect(m.state).toBe('rolled-back');
  expect(effects).toEqual([]);
  expect(m.ctx.failure).toEqual({ step: 'precheck', kind: 'refused', reason: 'conflict', conflicts });
  expect(outcomeOf(m)).toBe('refused');
});

// Rollback from every non-terminal state, through the whole rollback sequence.
for (const [name, path] of Object.entries(paths)) {
  for (const trigger of ['timeout', 'abort', 'failure'] as const) {
    test(`rollback from ${name} on ${trigger}`, () => {
      let { m, effects } = run(...path);
      const failure: MachineEvent = trigger === 'timeout' ? { type: 'step-timeout', step: m.state, afterMs: 1000 }
        : trigger === 'abort' ? { type: 'abort', reason: 'SIGINT' }
          : failureFor(m.state);
      ({ machine: m, effects } = transition(m, failure));
      const resumed = m.ctx.resumed || m.ctx.completed;
      if (trigger === 'abort' && resumed) {
        // The VM already runs on the destination: the run finishes instead of stranding it.
        expect(m.ctx.abortRequested).toBe(true);
        expect(m.state).toBe(name === 'migrate (job running)' ? 'migrate' : name);
        return;
      }
      if (trigger === 'abort' && name === 'migrate (job running)') {
        expect(effects).toEqual([{ kind: 'abort-migration' }]);
        ({ machine: m, effects } = transition(m, { type: 'migration-aborted' }));
      }
      expect(m.state).toBe('rolling-back');
      if (m.ctx.rollbackStep === 'await-migration') {
        expect(effects).toEqual(m.ctx.resumed ? [] : [{ kind: 'abort-migration' }]);
        ({ machine: m, effects } = transition(m, { type: 'migration-aborted' }));
      }
      const applied = m.ctx.applied;
      if (applied.length > 0) {
        expect(effects).toHaveLength(1);
        const rb = effects[0];
        expect(rb?.kind).toBe('rollback-network');
        if (rb?.kind === 'rollback-network') {
          expect(rb.txs.map((t) => t.handle.id)).toEqual([...applied].reverse().map((t) => t.handle.id));
          expect(rb.ops.every((o) => o.op === 'remove-host-route')).toBe(true);
        }
        ({ machine: m, effects } = transition(m, { type: 'network-rolled-back', residue: [] }));
      }
      expect(effects).toEqual([{ kind: 'locate-vm' }]);
      ({ machine: m, effects } = transition(m, { type: 'vm-located', on: 'source' }));
      expect(m.state).toBe('rolled-back');
      expect(effects).toEqual(m.ctx.observers ? [{ kind: 'stop-observers' }] : []);
      expect(m.ctx.failure?.step).toBeDefined();
      expect(outcomeOf(m)).toBe('rolled-back');
    });
  }
}

function failureFor(state: MigrationState): MachineEvent {
  switch (state) {
    case 'precheck': return { type: 'step-timeout', step: 'precheck', afterMs: 1 };
    case 'prepare-network': return { type: 'network-failed', phase: 'prepare', applied: [], reason: 'rejected' };
    case 'start-observers': return { type: 'observers-failed', reason: 'probe missing' };
    case 'migrate': return { type: 'migration-failed', reason: 'destination died' };
    case 'switchover': return { type: 'network-failed', phase: 'switchover', applied: [], reason: 'rejected' };
    case 'verify': return { type: 'verify-failed', reason: 'guest silent' };
    case 'cleanup': return { type: 'network-failed', phase: 'cleanup', applied: [], reason: 'rejected' };
    default: throw new Error(state);
  }
}

test('a partial prepare is rolled back: the committed part only, newest first', () => {
  const { m, effects } = run(...toPrepare, {
    type: 'network-failed',
    phase: 'prepare',
    reason: 'torB rejected',
    applied: [tx('prepare', 'coreB'), tx('prepare', 'coreA')],
  });
  expect(m.ctx.failure).toMatchObject({ step: 'prepare-network', kind: 'network', reason: 'torB rejected' });
  expect(effects[0]?.kind === 'rollback-network' && effects[0].txs.map((t) => t.device)).toEqual(['coreA', 'coreB']);
});

test('rollback ends failed when residue remains or the VM is on no host / both hosts', () => {
  const base = run(...toPrepare, {
    type: 'network-failed',
    phase: 'prepare',
    reason: 'x',
    applied: [tx('prepare', 'torB')],
  }).m;
  const residue = transition(
    transition(base, { type: 'network-rolled-back', residue: ['torB: diff not empty'] }).machine,
    { type: 'vm-located', on: 'source' },
  );
  expect(residue.machine.state).toBe('failed');
  for (const on of ['none', 'both'] as const) {
    const located = transition(transition(base, { type: 'network-rolled-back', residue: [] }).machine, {
      type: 'vm-located',
      on,
    });
    expect(located.machine.state).toBe('failed');
    expect(outcomeOf(located.machine)).toBe('failed');
  }
  const timedOut = transition(base, { type: 'step-timeout', step: 'rolling-back', afterMs: 10 });
  expect(timedOut.machine.state).toBe('failed');
});

test('failure after the resume waits for the job to end instead of aborting it', () => {
  const { m, effects } = run(...switched, { type: 'migration-failed', reason: 'confirm failed' });
  expect(m.state).toBe('rolling-back');
  expect(m.ctx.failure?.kind).toBe('migration');
  expect(effects[0]?.kind).toBe('rollback-network');
  const net = run(...toSwitchover, {
    type: 'network-failed',
    phase: 'switchover',
    applied: [],
    reason: 'coreA rejected',
  });
  expect(net.effects).toEqual([]);
  expect(net.m.ctx.rollbackStep).toBe('await-migration');
  expect(transition(net.m, { type: 'migration-completed' }).effects[0]?.kind).toBe('rollback-network');
});

test('the first failure is kept; later events during rollback are tolerated', () => {
  let { m } = run(...migrating, { type: 'step-timeout', step: 'migrate', afterMs: 60000 });
  m = transition(m, { type: 'abort' }).machine;
  m = transition(m, { type: 'dst-resumed' }).machine;
  m = transition(m, { type: 'migration-failed', reason: 'aborted by vmmi' }).machine;
  expect(m.ctx.failure).toMatchObject({ kind: 'timeout', step: 'migrate' });
});

const illegal: Array<[string, MachineEvent[], MachineEvent]> = [
  ['precheck', [], { type: 'dst-resumed' }],
  ['precheck', [], { type: 'network-applied', phase: 'prepare', applied: [] }],
  ['prepare-network', toPrepare, { type: 'network-applied', phase: 'switchover', applied: [] }],
  ['start-observers', toObservers, { type: 'migration-started' }],
  ['migrate', toMigrate, { type: 'verify-ok' }],
  ['switchover', toSwitchover, { type: 'network-applied', phase: 'cleanup', applied: [] }],
  ['verify', toVerify, { type: 'dst-resumed' }],
  ['cleanup', toCleanup, { type: 'verify-ok' }],
  [
    'rolling-back',
    [...toPrepare, { type: 'step-timeout', step: 'prepare-network', afterMs: 1 }],
    { type: 'verify-ok' },
  ],
];
for (const [state, path, event] of illegal) {
  test(`illegal in ${state}: ${event.type} is rejected with a typed error`, () => {
    const { m } = run(...path);
    expect(m.state).toBe(state);
    let err: unknown;
    try { transition(m, event); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(IllegalTransitionError);
    expect((err as IllegalTransitionError).code).toBe('MIGRATION');
    expect((err as IllegalTransitionError).state).toBe(state);
    expect((err as Error).message).toContain(`"${event.type}" is not accepted in state "${state}"`);
  });
}

test('terminal states accept nothing', () => {
  const terminal = [
    run(...toCleanup, { type: 'network-applied', phase: 'cleanup', applied: [] }).m,
    run({ type: 'precheck-failed', reason: 'r' }).m,
  ];
  for (const m of terminal) {
    expect(isTerminal(m.state)).toBe(true);
    expect(acceptedEvents(m)).toEqual([]);
    expect(() => transition(m, { type: 'abort' })).toThrow(IllegalTransitionError);
  }
  expect(acceptedEvents(run(...toMigrate).m)).toEqual(expect.arrayContaining(['dst-resumed', 'abort', 'step-timeout']));
});

test('a rollback that finds the VM on the destination migrates it back before calling the run rolled back', () => {
  const rolled = (last: MachineEvent): Machine => {
    let m = run(...toSwitchover, {
      type: 'network-failed',
      phase: 'switchover',
      applied: [],
      reason: 'coreA rejected',
    }).m;
    m = transition(m, { type: 'migration-completed' }).machine;
    m = transition(m, { type: 'network-rolled-back', residue: [] }).machine;
    const located = transition(m, { type: 'vm-located', on: 'destination' });
    expect(located.effects).toEqual([{ kind: 'migrate-back' }]);
    const back = transition(located.machine, last);
    expect(back.effects).toEqual([{ kind: 'locate-vm' }]);
    return back.machine;
  };
  const ok = transition(rolled({ type: 'moved-back' }), { type: 'vm-located', on: 'source' });
  expect(ok.machine.state).toBe('rolled-back');
  expect(ok.machine.ctx.residue).toEqual([]);
  const stuck = transition(rolled({ type: 'move-back-failed', reason: 'hv1 refused' }), {
    type: 'vm-located',
    on: 'destination',
  });
  expect(stuck.machine.state).toBe('failed');
  expect(stuck.machine.ctx.residue.join('\n')).toMatch(/back failed: hv1 refused[\s\S]*stayed on the destination/);
});
