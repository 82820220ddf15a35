/**
 * Recovery of runs whose controller died: for every open journal of this testbed whose writer is
 * gone, wait until the VM is no longer mid-migration, find where it runs on all hypervisors, and
 * roll the network back (VM on the source) or forward (VM on the destination) — migration/journal.ts
 * decides, this file does the I/O. A journal is retired only when its recovery succeeded; otherwise
 * it stays for the next command and the report says why.
 */
import { planRecovery, type FoundOn, type RecoveryDecision } from '../migration/journal.js';
import type { MigrationDrivers } from '../migration/drivers.js';
import { batchByDevice, describeOp } from '../migration/strategies/ops.js';
import type { DomainState } from '../migration/types.js';
import type { Testbed } from '../model/testbed.js';
import { sleep } from '../util/abort.js';
import { openJournals, retireJournal, writerAlive, type OpenJournal } from './journal-file.js';

export interface RecoveryOutcome {
  readonly runId: string;
  readonly vm: string;
  readonly decision: RecoveryDecision | { readonly action: 'skipped'; readonly why: string };
  /** True when the decision was carried out and the journal retired. */
  readonly done: boolean;
  readonly error?: string;
}

export interface RecoverOptions {
  readonly dir?: string;
  /** How long to wait for a migration job still running without its controller (default 180 s). */
  readonly settleTimeoutMs?: number;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** States of `vm` on every hypervisor, polled until no copy is paused (a migration still under way). */
async function settledStates(
  tb: Testbed,
  drivers: MigrationDrivers,
  vm: string,
  o: RecoverOptions,
): Promise<Map<string, DomainState>> {
  const deadline = Date.now() + (o.settleTimeoutMs ?? 180_000);
  let last = '';
  for (;;) {
    const states = new Map<string, DomainState>();
    for (const hv of tb.hypervisors) {
      states.set(
        hv.name,
        await drivers
          .host(hv.name)
          .domainState(vm, { timeoutMs: 15_000 })
          .catch(() => 'other' as const),
      );
    }
    const key = JSON.stringify([...states]);
    const paused = [...states.values()].includes('paused');
    // Two equal readings 2 s apart with no paused copy: no migration job is moving the VM any more.
    if ((!paused && key === last) || Date.now() > deadline) return states;
    last = key;
    await sleep(2000, o.signal);
  }
}

function foundOn(states: ReadonlyMap<string, DomainState>): FoundOn {
  const hosts = [...states].filter(([, s]) => s === 'running' || s === 'paused').map(([h]) => h);
  if (hosts.length === 0) return { kind: 'none' };
  if (hosts.length === 1) return { kind: 'one', host: hosts[0] as string };
  return { kind: 'several', hosts };
}

async function recoverOne(
  tb: Testbed,
  drivers: MigrationDrivers,
  j: OpenJournal,
  o: RecoverOptions,
): Promise<RecoveryOutcome> {
  const base = { runId: j.header.runId, vm: j.header.vm };
  const log = o.log ?? (() => undefined);
  if (j.header.testbed.sha256 !== undefined && tb.sha256 !== undefined && j.header.testbed.sha256 !== tb.sha256) {
    return {
      ...base,
      decision: {
        action: 'skipped',
        why: `written for another testbed (${j.header.testbed.file ?? j.header.testbed.sha256})`,
      },
      done: false,
    };
  }
  if (writerAlive(j.header)) {
    return {
      ...base,
      decision: { action: 'skipped', why: `its controller (pid ${j.header.writer.pid}) still runs` },
      done: false,
    };
  }
  const states = await settledStates(tb, drivers, j.header.vm, o);
  const decision = planRecovery(j.header, j.steps, foundOn(states));
  log(`recover ${j.header.runId}: ${decision.why}`);
  if (decision.action === 'manual') return { ...base, decision, done: false, error: decision.why };
  try {
    if (decision.action === 'roll-back' || decision.action === 'roll-forward') {
      for (const tx of batchByDevice(decision.ops)) {
        for (const op of tx.ops) log(`  ${describeOp(op)}`);
        await drivers.device(tx.device).applyTransaction(tx.ops, { timeoutMs: 60_000 });
      }
    }
    await retireJournal(j, `${decision.action}: ${decision.why}`);
    return { ...base, decision, done: true };
  } catch (e) {
    return { ...base, decision, done: false, error: msg(e) };
  }
}

/** Recovers every open journal of `tb`; returns one outcome per journal found. */
export async function recoverRuns(
  tb: Testbed,
  drivers: MigrationDrivers,
  o: RecoverOptions = {},
): Promise<RecoveryOutcome[]> {
  const out: RecoveryOutcome[] = [];
  for (const j of await openJournals(o.dir)) out.push(await recoverOne(tb, drivers, j, o));
  return out;
}

/** One line per outcome, for terminals and test logs. */
export function formatRecovery(rs: readonly RecoveryOutcome[]): string {
  if (rs.length === 0) return 'recover: no interrupted run';
  return rs
    .map(
      (r) =>
        `recover ${r.runId} (${r.vm}): ${r.decision.action}${r.done ? ' done' : ''}: ${r.decision.why}${r.error === undefined ? '' : `; error: ${r.error}`}`,
    )
    .join('\n');
}
