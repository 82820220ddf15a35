/**
 * Checkpoint/rollback for NETCONF devices without a candidate datastore (writable-running only).
 * The device cannot revert on its own, so vmmi does: snapshot the subtrees it may touch, lock
 * running, edit running (rollback-on-error when offered), verify, unlock; on a failed verify or an
 * abort it writes the snapshot back with per-subtree `replace` (and `remove` for subtrees that did
 * not exist). NOT crash-safe: if vmmi dies between edit and restore the change stays, and the
 * teardown diff shows it as residue. Results say `mechanism: 'checkpoint'`.
 */
import { ConfigRejectedError, UnsupportedError } from '../../errors/classes.js';
import type { NetconfClient } from '../../transports/netconf/client.js';
import { CAP } from '../../transports/netconf/hello.js';
import { nodeOperation, type Filter } from '../../transports/netconf/operations.js';
import { el, raw, type XChild, type XElement } from '../../transports/netconf/xml-build.js';
import { NS_BASE, serializeXml, type XNode } from '../../transports/netconf/xml.js';
import { type IoOptions } from '../../util/abort.js';
import { diffLines, flattenXml } from './config-diff.js';
import { stepRecorder, type Changes, type TransactionOptions, type TransactionResult, type TransactionStep }
  from './transaction-steps.js';

function roots(filter: Filter | undefined): XElement[] {
  if (filter === undefined || filter.type !== 'subtree') return [];
  const list = Array.isArray(filter.content) ? filter.content : [filter.content as XChild];
  return list.filter((x): x is XElement => typeof x === 'object' && x !== null && x !== false && x.kind === 'el');
}

/** Edit that puts every snapshotted subtree back and removes subtrees that were absent. */
export function restoreEdit(snapshot: readonly XNode[], filterRoots: readonly XElement[]): XChild[] {
  return filterRoots.map((r) => {
    const ns = typeof r.attrs.xmlns === 'string' ? r.attrs.xmlns : undefined;
    const had = snapshot.find((n) => n.name === r.name && n.ns === ns);
    if (had === undefined) return el(r.name, { ...(ns ? { xmlns: ns } : {}), ...nodeOperation('remove') });
    return raw(serializeXml({ ...had, attrs: { ...had.attrs, 'xmlns:nc': NS_BASE, 'nc:operation': 'replace' } }));
  });
}

export async function runningTransaction(client: NetconfClient, changes: Changes,
  opts: TransactionOptions = {}): Promise<TransactionResult> {
  const filterRoots = roots(opts.snapshotFilter);
  if (!client.has(CAP.writableRunning) || filterRoots.length === 0) {
    throw new UnsupportedError(
      'device has neither a candidate datastore nor writable-running with a subtree snapshot filter',
      { operation: 'transaction', hint: 'give the driver a configFilter (subtree) so vmmi can checkpoint and restore' },
    );
  }
  const t0 = performance.now();
  const steps: TransactionStep[] = [];
  const o: IoOptions = { timeoutMs: opts.rpcTimeoutMs ?? 30_000, ...(opts.signal ? { signal: opts.signal } : {}) };
  // Undo steps run with `safe` options and must run even after an abort.
  const record = stepRecorder(steps, opts.signal);
  const step = <T>(name: string, f: () => Promise<T>, io: IoOptions = o): Promise<T> => record(name, f, io === o);
  const snap = async (): Promise<XNode[]> => [
    ...((await client.getConfig('running', opts.snapshotFilter, o)).data?.children ?? []),
  ];
  const before = await step('checkpoint', snap);
  let locked = false;
  let edited = false;
  try {
    await step('lock running', () => client.lock('running', o));
    locked = true;
    const errorOption = client.has(CAP.rollbackOnError) ? 'rollback-on-error' as const : 'stop-on-error' as const;
    // A plan reads running under the lock; its refusal throws before anything is edited.
    const edits = typeof changes === 'function' ? await step('plan from running', () => changes(client, o)) : changes;
    for (const c of edits) {
      edited = true;
      await step(`edit running: ${c.description}`, () => client.editConfig(c.config, {
        target: 'running', errorOption, ...(c.defaultOperation ? { defaultOperation: c.defaultOperation } : {}) }, o));
    }
    if (opts.verify !== undefined) {
      const verify = opts.verify;
      await step('verify', async () => {
        const why = await verify(client, o);
        if (why !== undefined)
          throw new ConfigRejectedError(`intended state not reached: ${why}`, { operation: 'verify' });
      });
    }
  } catch (e) {
    const safe: IoOptions = { timeoutMs: 10_000 };
    if (edited && !client.session.closed) {
      await step(
        'restore checkpoint',
        () => client.editConfig(restoreEdit(before, filterRoots), { target: 'running' }, safe),
        safe,
      ).catch(() => undefined);
    }
    if (locked && !client.session.closed)
      await step('unlock running', () => client.unlock('running', safe), safe).catch(() => undefined);
    throw e;
  }
  await step('unlock running', () => client.unlock('running', o));
  const after = await step('snapshot-after', snap);
  const b = flattenXml(before);
  const a = flattenXml(after);
  return {
    mechanism: 'checkpoint',
    steps,
    durationMs: performance.now() - t0,
    before: b,
    after: a,
    diff: diffLines(b, a),
  };
}
