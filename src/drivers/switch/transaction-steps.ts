/**
 * What both transaction kinds share: the change and option shapes, the result, and the step recorder.
 * transaction.ts (candidate datastore, confirmed commit) and transaction-running.ts (checkpoint on
 * running) both import it; neither imports the other's steps.
 */
import type { NetconfClient } from '../../transports/netconf/client.js';
import type { DefaultOperation, Filter } from '../../transports/netconf/operations.js';
import type { XChild } from '../../transports/netconf/xml-build.js';
import { throwIfAborted, type IoOptions } from '../../util/abort.js';
import type { ConfigDiff } from './config-diff.js';

export interface ConfigChange {
  /** Human-readable intent ("add host route 198.18.10.100/32"). */
  readonly description: string;
  /** Content of `<config>` for edit-config. */
  readonly config: XChild;
  readonly defaultOperation?: DefaultOperation;
}

/**
 * Changes decided inside the transaction from what running holds: called once the datastore is locked
 * (its read pipelined behind the lock), before any edit. Throwing refuses the transaction with nothing
 * edited; an empty list edits and commits nothing.
 */
export type ChangePlan = (client: NetconfClient, o: IoOptions) => Promise<readonly ConfigChange[]>;

/** A transaction's changes: fixed, or planned from running under the lock. */
export type Changes = readonly ConfigChange[] | ChangePlan;

export interface TransactionOptions extends IoOptions {
  /** Device confirm timer (s): the device reverts unless confirmed in time. Default 120. */
  readonly confirmTimeoutS?: number;
  /** Checks the intended state on running after the confirmed commit; return a reason to fail. */
  readonly verify?: (client: NetconfClient, o: IoOptions) => Promise<string | undefined>;
  /**
   * Staged transactions: read the intended state back in `confirm` (before the confirming commit) instead of
   * right behind the confirmed commit, so the commit's reply, which the switchover waits for, comes alone.
   */
  readonly verifyAtConfirm?: boolean;
  /** Per-RPC timeout (ms, default 30 000). */
  readonly rpcTimeoutMs?: number;
  /** Limit snapshots to a subtree (default: whole running config). Required (subtree) without candidate. */
  readonly snapshotFilter?: Filter;
  /** Skip the running-config snapshots (fast path for hot migration steps). */
  readonly snapshots?: boolean;
}

export interface TransactionStep {
  readonly name: string;
  readonly ms: number;
  readonly ok: boolean;
  readonly error?: string;
}

export interface TransactionResult {
  /** confirmed-commit: device-side revert; checkpoint: vmmi-side restore (not crash-safe). */
  readonly mechanism: 'confirmed-commit' | 'checkpoint';
  /** Persist token used (confirmed-commit:1.1), for recovery from another session. */
  readonly persistId?: string;
  readonly steps: readonly TransactionStep[];
  readonly durationMs: number;
  /** Leaf lines of running before/after, and their diff (present when snapshots are on). */
  readonly before?: readonly string[];
  readonly after?: readonly string[];
  readonly diff?: ConfigDiff;
}

/**
 * Times each named step of a transaction into `steps` (failures too, with their message). A step is
 * refused before it starts once `signal` fired, unless `checkAbort` is false (undo steps must still run).
 */
export function stepRecorder(steps: TransactionStep[], signal: AbortSignal | undefined) {
  return async <T>(name: string, f: () => Promise<T>, checkAbort = true): Promise<T> => {
    if (checkAbort) throwIfAborted(signal, { operation: `transaction ${name}` });
    const s = performance.now();
    try {
      const v = await f();
      steps.push({ name, ms: performance.now() - s, ok: true });
      return v;
    } catch (e) {
      steps.push({ name, ms: performance.now() - s, ok: false, error: (e as Error).message });
      throw e;
    }
  };
}
