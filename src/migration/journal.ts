/**
 * The run journal: a write-ahead record of what a migration changed on the testbed, so that a
 * controller that dies mid-run (SIGKILL, power loss) leaves enough on disk for the next vmmi command
 * to bring the testbed back to a consistent state. Pure part: the entry types and the recovery
 * decision. Storage is an injected `RunJournal` (harness/journal-file.ts writes JSON lines, fsynced).
 *
 * Contract: the executor opens the journal before the first change, records every committed device
 * transaction and every rollback, records the migration call, and closes the journal only when the
 * attempt ended clean (migrated, refused, or rolled back without residue). An open journal whose
 * writer is dead is a run to recover.
 */
import { invertOps } from './strategies/ops.js';
import type { DeviceOp } from './strategies/types.js';
import type { NetworkPhase } from './machine.js';

export interface JournalHeader {
  readonly runId: string;
  readonly vm: string;
  readonly source: string;
  readonly destination: string;
  readonly strategy: string;
  /** The plan's ops in execution order, per phase. */
  readonly ops: Readonly<Record<NetworkPhase, readonly DeviceOp[]>>;
  /** Testbed identity: a journal is only recovered against the testbed it was written for. */
  readonly testbed: { readonly file?: string; readonly sha256?: string };
  /** Writer process (pid + its start time in clock ticks, so a reused pid is not mistaken for it). */
  readonly writer: { readonly pid: number; readonly startTicks?: number };
  readonly startedWall: string;
}

export type JournalStep =
  | {
      readonly step: 'tx-applied';
      readonly phase: NetworkPhase;
      readonly device: string;
      readonly ops: readonly DeviceOp[];
    }
  | { readonly step: 'tx-rolled-back'; readonly device: string; readonly ops: readonly DeviceOp[] }
  | { readonly step: 'migrate-started' }
  | { readonly step: 'ended'; readonly outcome: string; readonly residue: readonly string[] };

export interface JournalHandle {
  record(step: JournalStep): Promise<void>;
  /** The attempt ended clean: the journal is retired (kept for audit, no longer recovered). */
  close(outcome: string): Promise<void>;
  /** The attempt ended unclean: the journal stays for recovery; only the writer's resources are released. */
  release(): Promise<void>;
}

export interface RunJournal {
  open(header: JournalHeader): Promise<JournalHandle>;
}

/** Where the VM was found on the testbed's hypervisors during recovery. */
export type FoundOn =
  | { readonly kind: 'one'; readonly host: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'several'; readonly hosts: readonly string[] };

export type RecoveryDecision =
  | { readonly action: 'nothing'; readonly why: string }
  | { readonly action: 'roll-back'; readonly why: string; readonly ops: readonly DeviceOp[] }
  | { readonly action: 'roll-forward'; readonly why: string; readonly ops: readonly DeviceOp[] }
  | { readonly action: 'manual'; readonly why: string };

/** Ops committed and not rolled back, in the order they were committed. */
export function outstandingOps(steps: readonly JournalStep[]): DeviceOp[] {
  const live: DeviceOp[] = [];
  for (const s of steps) {
    if (s.step === 'tx-applied') live.push(...s.ops);
    if (s.step === 'tx-rolled-back') {
      // A rollback undoes one earlier transaction of the device: remove those ops (last occurrence).
      for (const op of s.ops) {
        const key = JSON.stringify(op);
        const i = live.map((o) => JSON.stringify(o)).lastIndexOf(key);
        if (i >= 0) live.splice(i, 1);
      }
    }
  }
  return live;
}

/**
 * What recovery does for one open journal, given where the VM runs now:
 * - on the source (or on no host): undo every outstanding op, newest first (the network returns to
 *   its state before the run; a VM on no host is reported as lost, never restarted here);
 * - on the destination: the migration finished without its controller: apply the plan's ops that
 *   were not yet committed, in plan order (the network follows the VM);
 * - on several hosts, or on a host that is neither: touch nothing and say so (a human decides).
 * Every op is idempotent on the drivers (adding a present route or withdrawing an absent one is a no-op).
 */
export function planRecovery(header: JournalHeader, steps: readonly JournalStep[], found: FoundOn): RecoveryDecision {
  const outstanding = outstandingOps(steps);
  if (found.kind === 'several') {
    return {
      action: 'manual',
      why: `VM ${header.vm} runs on ${found.hosts.join(' and ')}: stop one copy by hand, then run vmmi recover again`,
    };
  }
  const on = found.kind === 'one' ? found.host : undefined;
  if (on !== undefined && on !== header.source && on !== header.destination) {
    return {
      action: 'manual',
      why: `VM ${header.vm} runs on ${on}, neither source ${header.source} nor destination ${header.destination}`,
    };
  }
  if (on === header.destination) {
    const all = [...header.ops.prepare, ...header.ops.switchover, ...header.ops.cleanup];
    // The plan's ops minus those committed and still in force (multiset difference, plan order kept):
    // a partial rollback before the controller died is redone forward too.
    const pending = outstanding.map((o) => JSON.stringify(o));
    const remaining = all.filter((o) => {
      const i = pending.indexOf(JSON.stringify(o));
      if (i < 0) return true;
      pending.splice(i, 1);
      return false;
    });
    return remaining.length === 0
      ? { action: 'nothing', why: `VM ${header.vm} runs on ${on} and every network change of the plan is committed` }
      : {
          action: 'roll-forward',
          why: `VM ${header.vm} runs on destination ${on}: completing the network changes`,
          ops: remaining,
        };
  }
  const where = on === undefined ? `runs on no hypervisor (reported as lost)` : `runs on source ${on}`;
  return outstanding.length === 0
    ? { action: 'nothing', why: `VM ${header.vm} ${where}; no network change outstanding` }
    : {
        action: 'roll-back',
        why: `VM ${header.vm} ${where}: undoing ${outstanding.length} network change(s)`,
        ops: invertOps(outstanding),
      };
}
