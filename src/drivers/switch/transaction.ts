/**
 * Configuration transactions with guaranteed rollback.
 *
 * NETCONF devices with a candidate datastore: lock candidate → discard-changes → edit-config
 * (rollback-on-error when offered; these three pipelined in one round trip) → confirmed commit (timeout,
 * persist token with confirmed-commit:1.1) → verify the intended state (its first read pipelined behind the commit) →
 * confirming commit → unlock (pipelined). Three round trips when the verify is a single read. Any failure or
 * abort: cancel-commit (1.1) or drop the session (1.0: the device reverts when the issuing session
 * ends), discard-changes, unlock. If vmmi dies mid-way, the device's confirm timer reverts.
 *
 * Pre/post running-config snapshots give a diff so suites can assert "no residue" at teardown.
 * Never `<validate>` right before `<commit>` (netconfd drops the candidate edits; commit validates).
 */
import { randomBytes } from 'node:crypto';
import { ConfigRejectedError } from '../../errors/classes.js';
import { isVmmiError } from '../../errors/vmmi-error.js';
import type { NetconfClient } from '../../transports/netconf/client.js';
import { CAP } from '../../transports/netconf/hello.js';
import type { Filter } from '../../transports/netconf/operations.js';
import type { IoOptions } from '../../util/abort.js';
import { diffLines, flattenXml } from './config-diff.js';
import { runningTransaction } from './transaction-running.js';
import {
  stepRecorder, type Changes, type ConfigChange, type TransactionOptions, type TransactionResult, type TransactionStep,
} from './transaction-steps.js';

export type {
  ChangePlan, Changes, ConfigChange, TransactionOptions, TransactionResult, TransactionStep,
} from './transaction-steps.js';

/** Running config flattened to sorted leaf lines. */
export async function snapshotRunning(client: NetconfClient, filter?: Filter, o: IoOptions = {}): Promise<string[]> {
  const r = await client.getConfig('running', filter, o);
  return flattenXml(r.data?.children ?? []);
}

/** Runs `changes` as one all-or-nothing transaction (see file comment). Throws the first failure. */
export async function transaction(client: NetconfClient, changes: Changes,
  opts: TransactionOptions = {}): Promise<TransactionResult> {
  // No candidate: vmmi's own checkpoint/restore on running (not crash-safe; the result says so).
  if (!client.hasCandidate) return runningTransaction(client, changes, opts);
  const staged = await stageTransaction(client, changes, opts);
  await staged.commit();
  return staged.confirm();
}

/**
 * A candidate-datastore transaction in three steps, so the slow part can happen before the moment that
 * matters: `stageTransaction` locks the candidate and loads the edits (nothing in force yet); `commit`
 * puts them in force (confirmed commit, verify read pipelined behind it); `confirm` makes them stay
 * (confirming commit, unlock). Until `confirm`, `abort` takes everything back (cancel-commit, or the
 * session drop of confirmed-commit:1.0, discard, unlock); if vmmi dies the device's confirm timer or
 * the session end reverts. A failed step has already aborted. Needs a candidate datastore.
 */
export interface StagedTransaction {
  commit(): Promise<void>;
  confirm(): Promise<TransactionResult>;
  abort(): Promise<void>;
  /** True between a successful commit and confirm/abort: the changes are in force but unconfirmed. */
  readonly pending: boolean;
}

/**
 * Locks the candidate and loads `changes` (one round trip; a plan reads running in that round trip and
 * loads its edits in a second). Throws, with the candidate restored, on failure or a plan's refusal.
 */
export async function stageTransaction(client: NetconfClient, changes: Changes,
  opts: TransactionOptions = {}): Promise<StagedTransaction> {
  if (!client.hasCandidate) {
    throw new ConfigRejectedError('staging needs a candidate datastore', { operation: 'stage' });
  }
  const t0 = performance.now();
  const steps: TransactionStep[] = [];
  const rpcO: IoOptions = { timeoutMs: opts.rpcTimeoutMs ?? 30_000, ...(opts.signal ? { signal: opts.signal } : {}) };
  const v11 = client.has(CAP.confirmedCommit11);
  const v10 = v11 || client.has(CAP.confirmedCommit10);
  const persistId = v11 ? `vmmi-${randomBytes(8).toString('hex')}` : undefined;
  const step = stepRecorder(steps, opts.signal);
  const snaps = opts.snapshots !== false;
  const before = snaps
    ? await step('snapshot-before', () => snapshotRunning(client, opts.snapshotFilter, rpcO))
    : undefined;
  const st = { pending: false, locked: false, done: false };
  // Pipelined groups: the server executes RPCs in order, so lock → discard → edits go out in one
  // round trip (if the lock is refused, the rest fail with in-use/lock-denied and change nothing).
  type Item = readonly [string, () => Promise<unknown>];
  const group = (items: readonly Item[]): Promise<PromiseSettledResult<unknown>[]> =>
    Promise.allSettled(items.map(([name, f]) => step(name, f)));
  const firstFailure = (rs: readonly PromiseSettledResult<unknown>[]): unknown =>
    (rs.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined)?.reason;
  const abort = async (): Promise<void> => {
    if (st.done) return;
    st.done = true;
    await rollback(client, { pending: st.pending, locked: st.locked, persistId, v11, steps });
    st.pending = false;
  };
  const guarded = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      await abort();
      throw e;
    }
  };
  const edits = await guarded(() => openCandidate(client, changes, rpcO, group, (locked) => {
    st.locked = locked;
  }));
  // A plan that found nothing to change: no commit, the confirm only unlocks.
  const nothing = typeof changes === 'function' && edits.length === 0;
  const verify = opts.verify === undefined ? undefined : (): Promise<void> => step('verify', async () => {
    const why = await (opts.verify as NonNullable<TransactionOptions['verify']>)(client, rpcO);
    if (why !== undefined) throw new ConfigRejectedError(`intended state not reached: ${why}`, { operation: 'verify' });
  });
  let committed = false;
  return {
    get pending() {
      return st.pending;
    },
    abort,
    commit: () => guarded(async () => {
      if (st.done || committed) throw new ConfigRejectedError('transaction already committed or aborted', { operation: 'commit' });
      committed = true;
      if (nothing) return;
      if (!v10) {
        // Without confirmed commit the commit is final at once; the verify reads it back.
        await step('commit', () => client.commit({}, rpcO));
        if (verify !== undefined) await verify();
        return;
      }
      st.pending = true;
      // The verify read goes out right behind the confirmed commit (same round trip): the server
      // executes RPCs in order, so it reads running after the commit. Its verdict counts only when
      // the commit succeeded; a failed commit is the error reported. With verifyAtConfirm the read
      // waits for confirm(), so the commit's reply comes back alone.
      const [commit, verified] = await Promise.allSettled([
        step('confirmed-commit', () => client.commit({ confirmed: true, timeoutS: opts.confirmTimeoutS ?? 120,
          ...(persistId !== undefined ? { persist: persistId } : {}) }, rpcO)),
        opts.verifyAtConfirm === true ? undefined : verify?.(),
      ]);
      if (commit.status === 'rejected') throw commit.reason;
      if (verified.status === 'rejected') throw verified.reason;
    }),
    confirm: () => guarded(async () => {
      if (st.done || !committed) throw new ConfigRejectedError('transaction not committed', { operation: 'confirm' });
      // Still unconfirmed: a state that is not the intended one is cancelled (the guard aborts), never confirmed.
      const confirming = v10 && !nothing;
      if (confirming && opts.verifyAtConfirm === true && verify !== undefined) await verify();
      const closing = await group([
        ...(confirming
          ? [['confirming-commit', () => client.commit(persistId !== undefined ? { persistId } : {}, rpcO)] as const]
          : []),
        ['unlock', () => client.unlock('candidate', rpcO)],
      ]);
      if (confirming) st.pending = closing[0]?.status !== 'fulfilled';
      st.locked = closing.at(-1)?.status !== 'fulfilled';
      if (firstFailure(closing) !== undefined) throw firstFailure(closing);
      st.done = true;
      const after = snaps
        ? await step('snapshot-after', () => snapshotRunning(client, opts.snapshotFilter, rpcO))
        : undefined;
      return {
        mechanism: 'confirmed-commit' as const,
        ...(persistId !== undefined ? { persistId } : {}),
        steps,
        durationMs: performance.now() - t0,
        ...(before !== undefined && after !== undefined ? { before, after, diff: diffLines(before, after) } : {}),
      };
    }),
  };
}

type Group = (items: ReadonlyArray<readonly [string, () => Promise<unknown>]>) =>
  Promise<PromiseSettledResult<unknown>[]>;

/**
 * Lock → discard → edits in one round trip; a plan's read takes the edits' place in that round trip
 * and its edits follow in a second. Returns the edits loaded; throws the first failure (or the plan's
 * refusal) with `locked` already reported, so the caller's abort releases the lock.
 */
async function openCandidate(client: NetconfClient, changes: Changes, rpcO: IoOptions, group: Group,
  locked: (yes: boolean) => void): Promise<readonly ConfigChange[]> {
  const errorOption = client.has(CAP.rollbackOnError) ? 'rollback-on-error' as const : 'stop-on-error' as const;
  const edit = (c: ConfigChange) => [`edit: ${c.description}`, () => client.editConfig(c.config,
    { target: 'candidate', errorOption, ...(c.defaultOperation ? { defaultOperation: c.defaultOperation } : {}) },
    rpcO)] as const;
  const firstFailure = (rs: readonly PromiseSettledResult<unknown>[]): unknown =>
    (rs.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined)?.reason;
  const plan = typeof changes === 'function' ? changes : undefined;
  let edits: readonly ConfigChange[] = plan === undefined ? changes as readonly ConfigChange[] : [];
  const opening = await group([
    ['lock', () => client.lock('candidate', rpcO)],
    ['discard-changes', () => client.discardChanges(rpcO)],
    ...(plan === undefined ? edits.map(edit)
      : [['plan from running', async () => { edits = await plan(client, rpcO); }] as const]),
  ]);
  locked(opening[0]?.status === 'fulfilled');
  if (firstFailure(opening) !== undefined) throw firstFailure(opening);
  if (plan !== undefined && edits.length > 0) {
    const editing = await group(edits.map(edit));
    if (firstFailure(editing) !== undefined) throw firstFailure(editing);
  }
  return edits;
}

/** Best-effort undo; never throws (the original failure is what the caller needs to see). */
async function rollback(client: NetconfClient, s: { pending: boolean; locked: boolean; persistId: string | undefined;
  v11: boolean; steps: TransactionStep[] }): Promise<void> {
  const o: IoOptions = { timeoutMs: 10_000 };
  const run = async (name: string, f: () => Promise<unknown>): Promise<void> => {
    const t = performance.now();
    try {
      await f();
      s.steps.push({ name, ms: performance.now() - t, ok: true });
    } catch (e) {
      s.steps.push({ name, ms: performance.now() - t, ok: false, error: isVmmiError(e) ? e.message : String(e) });
    }
  };
  if (client.session.closed) return; // the device's confirm timer (or session end) reverts
  if (s.pending && s.v11) await run('cancel-commit', () => client.cancelCommit(s.persistId, o));
  if (s.pending && !s.v11) {
    // confirmed-commit:1.0 has no cancel: ending the issuing session makes the device revert.
    s.steps.push({ name: 'drop-session (1.0 revert)', ms: 0, ok: true });
    client.session.destroy();
    return;
  }
  await run('discard-changes', () => client.discardChanges(o));
  if (s.locked) await run('unlock', () => client.unlock('candidate', o));
}
