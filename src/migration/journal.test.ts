import { expect, test } from '@playwright/test';
import { deviceConfigs, worldWith, type FakeWorld } from '../../test/fakes/migration-world.js';
import { labTestbed } from './fixtures/lab-testbed.js';
import {
  outstandingOps,
  planRecovery,
  type JournalHandle,
  type JournalHeader,
  type JournalStep,
  type RunJournal,
} from './journal.js';
import { runMigration, type RunMigrationOptions } from './run.js';
import { batchByDevice } from './strategies/ops.js';
import type { MigrationStrategy } from '../model/testbed.js';

const tb = labTestbed();
const fast: RunMigrationOptions = { verify: { timeoutMs: 300, intervalMs: 20 }, holdMs: 0 };

/** An in-memory journal: what the file journal would have on disk, step by step. */
function memoryJournal(): RunJournal & { header?: JournalHeader; steps: JournalStep[]; closed?: string } {
  const j: RunJournal & { header?: JournalHeader; steps: JournalStep[]; closed?: string } = {
    steps: [],
    open(header) {
      j.header = header;
      const h: JournalHandle = {
        record: (s) => { j.steps.push(s); return Promise.resolve(); },
        close: (o) => { j.closed = o; return Promise.resolve(); },
        release: () => Promise.resolve(),
      };
      return Promise.resolve(h);
    },
  };
  return j;
}

function world(): FakeWorld {
  return worldWith(tb);
}

const configs = deviceConfigs;

async function applyOps(w: FakeWorld, ops: Parameters<typeof batchByDevice>[0]): Promise<void> {
  for (const tx of batchByDevice(ops)) await w.drivers.device(tx.device).applyTransaction(tx.ops, { timeoutMs: 1000 });
}

for (const strategy of ['host-route-static', 'host-route-bgp', 'tunnel'] as MigrationStrategy[]) {
  test(`${strategy}: a journal of a clean run is retired; recovery from a crash after any step restores a consistent network`, async () => {
    const initial = await configs(world());
    const w = world();
    const journal = memoryJournal();
    const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy, families: [4] }, w.drivers, {
      ...fast,
      journal,
      runId: 'r1',
    });
    expect(r.verdict).toBe('migrated');
    expect(journal.closed).toBe('migrated');
    const header = journal.header as JournalHeader;
    expect(header).toMatchObject({ runId: 'r1-1', vm: 'vm1', source: 'hv1', destination: 'hv3', strategy });
    const kinds = journal.steps.map((s) => s.step);
    expect(kinds).toContain('migrate-started');
    expect(kinds.filter((k) => k === 'tx-applied').length).toBeGreaterThan(0);
    const moved = await configs(w);
    expect(moved).not.toEqual(initial);

    // Crash after k journal steps, VM found on either host: recovery's ops give the network of
    // "nothing happened" (VM on source) or of "the migration completed" (VM on destination).
    for (let k = 0; k <= journal.steps.length; k++) {
      const prefix = journal.steps.slice(0, k);
      for (const on of ['hv1', 'hv3']) {
        const c = world();
        await applyOps(
          c,
          prefix.flatMap((s) => (s.step === 'tx-applied' ? s.ops : [])),
        );
        const d = planRecovery(header, prefix, { kind: 'one', host: on });
        if (d.action === 'roll-back' || d.action === 'roll-forward') await applyOps(c, d.ops);
        expect(await configs(c), `crash after ${k} steps, VM on ${on}: ${d.action}`).toEqual(
          on === 'hv1' ? initial : moved,
        );
      }
    }
  });
}

test('a run rolled back by a device refusal journals the rollback and is retired clean', async () => {
  const w = world();
  const torA = w.devices.get('torA');
  if (torA) torA.rejectOn = (op) => op.op === 'add-host-route' || op.op === 'remove-host-route';
  const journal = memoryJournal();
  const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] }, w.drivers, {
    ...fast,
    journal,
  });
  expect(r.verdict).toBe('rolled-back');
  expect(journal.closed).toBe('rolled-back');
  const applied = journal.steps.filter((s) => s.step === 'tx-applied').length;
  expect(applied).toBeGreaterThan(0);
  expect(journal.steps.filter((s) => s.step === 'tx-rolled-back')).toHaveLength(applied);
  expect(outstandingOps(journal.steps)).toEqual([]);
});

test('recovery refuses to act when the VM runs twice or on an unrelated host, and reports a lost VM', () => {
  const header: JournalHeader = {
    runId: 'x',
    vm: 'vm1',
    source: 'hv1',
    destination: 'hv3',
    strategy: 'host-route-static',
    ops: {
      prepare: [{ op: 'add-host-route', device: 'torB', prefix: '198.18.10.100/32', family: 4 }],
      switchover: [],
      cleanup: [],
    },
    testbed: {},
    writer: { pid: 1 },
    startedWall: '',
  };
  const steps: JournalStep[] = [{ step: 'tx-applied', phase: 'prepare', device: 'torB', ops: header.ops.prepare }];
  expect(planRecovery(header, steps, { kind: 'several', hosts: ['hv1', 'hv3'] }).action).toBe('manual');
  expect(planRecovery(header, steps, { kind: 'one', host: 'hv2' }).action).toBe('manual');
  const lost = planRecovery(header, steps, { kind: 'none' });
  expect(lost.action).toBe('roll-back');
  expect(lost.why).toMatch(/lost/);
  expect(planRecovery(header, [], { kind: 'one', host: 'hv1' }).action).toBe('nothing');
});

test('a journal that cannot be opened refuses the run before anything changes', async () => {
  const w = world();
  const before = await configs(w);
  const journal: RunJournal = { open: () => Promise.reject(new Error('EROFS: read-only file system')) };
  await expect(
    runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] }, w.drivers, {
      ...fast,
      journal,
    }),
  ).rejects.toThrow(/run journal.*read-only/);
  expect(await configs(w)).toEqual(before);
  expect(w.cluster.where('vm1')).toEqual(['hv1']);
});
