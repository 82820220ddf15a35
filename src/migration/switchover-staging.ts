/**
 * The staged switchover: each router's switchover transaction is loaded while the VM migrates (candidate
 * datastore: lock, discard, edits; nothing in force), and at RESUMED each router gets only its commit, in the
 * strategy's order (docs/strategies.md#switchover-timing). `SwitchoverStaging` holds what is loaded and
 * releases what nobody confirmed; `applyStagedSwitchover` runs the switchover with it. Both act through
 * `SwitchoverSteps`, the attempt's own marks, journal and route waits (run-effects.ts).
 */
import { isVmmiError } from '../errors/vmmi-error.js';
import type { AppliedTx, MachineEvent, NetworkPhase } from './machine.js';
import { batchByDevice } from './strategies/ops.js';
import type { DeviceOp } from './strategies/types.js';
import type { NetworkDevice, StagedTx } from './types.js';
import type { JournalHandle } from './journal.js';

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

type Io = { timeoutMs: number; signal?: AbortSignal };
type Tx = { device: string; ops: DeviceOp[] };

/** What the staged switchover needs of the attempt that runs it. */
export interface SwitchoverSteps {
  mark(host: string, kind: string, detail?: Readonly<Record<string, string | number | boolean>>): void;
  journal(step: Parameters<JournalHandle['record']>[0]): Promise<void>;
  /** Resolves once the router shows the ops' routes (or its wait ended); `stop` ends the wait early. */
  awaitInstalled(phase: NetworkPhase, device: string, ops: readonly DeviceOp[], since: bigint,
    stop?: AbortSignal): Promise<void>;
  /** The controller clock (monotonic ns). */
  now(): bigint;
  device(name: string): NetworkDevice;
}

/** The switchover transactions of one attempt, loaded ahead, and the ones not yet confirmed or aborted. */
export class SwitchoverStaging {
  private staging?: Promise<ReadonlyMap<number, StagedTx>>;
  private readonly unsettled = new Set<StagedTx>();

  /**
   * Loads each switchover transaction on its device, all devices at once (by their index in the switchover's
   * batches). A device that cannot stage is left out and takes the usual transaction at the switchover; a
   * staging failure is noted, never fatal. Only the first call of an attempt loads.
   */
  begin(switchover: readonly DeviceOp[], steps: SwitchoverSteps, io: Io, note: (text: string) => void): void {
    this.staging ??= this.load(switchover, steps, io, note);
  }

  private async load(switchover: readonly DeviceOp[], steps: SwitchoverSteps, io: Io,
    note: (text: string) => void): Promise<ReadonlyMap<number, StagedTx>> {
    const out = new Map<number, StagedTx>();
    const txs = batchByDevice(switchover);
    // One candidate per device: a device with two switchover transactions would commit both at the first.
    const devices = txs.map((t) => t.device);
    const once = new Set(devices.filter((d) => devices.indexOf(d) === devices.lastIndexOf(d)));
    await Promise.all(txs.map(async (tx, i) => {
      const dev = steps.device(tx.device);
      if (dev.stage === undefined || !once.has(tx.device)) return;
      try {
        const st = await dev.stage(tx.ops, io);
        if (st === undefined) return;
        out.set(i, st);
        this.unsettled.add(st);
        steps.mark(tx.device, 'switchover-staged', { ops: tx.ops.length });
      } catch (e) {
        note(`${tx.device}: switchover not staged (${msg(e)}); it is applied whole at the switchover`);
      }
    }));
    return out;
  }

  /** The staged transactions, once (a second switchover of the attempt applies whole). */
  async take(): Promise<ReadonlyMap<number, StagedTx>> {
    const p = this.staging;
    this.staging = Promise.resolve(new Map());
    return p === undefined ? new Map() : p;
  }

  /** A confirmed transaction is the attempt's like any applied one: no longer released here. */
  settle(st: StagedTx): void {
    this.unsettled.delete(st);
  }

  /** Takes back staged transactions nobody confirmed (the run ended before or during its switchover). */
  async release(): Promise<void> {
    await this.staging?.catch(() => undefined);
    const left = [...this.unsettled];
    this.unsettled.clear();
    await Promise.all(left.map((st) => st.abort({ timeoutMs: 10_000 })));
  }
}

/**
 * The switchover with staged transactions, in the strategy's order: each device gets its commit (one round
 * trip), and the next device's commit goes out once this one's routes show at the router (route monitor), or
 * at once when it was refused, which stops the run. Confirming commits go out together at the end, off the
 * path the traffic waits for. A device without a staged transaction gets the whole transaction at its turn.
 * On failure every staged transaction is taken back (a committed one reverts) and only confirmed ones are
 * reported as applied.
 */
export async function applyStagedSwitchover(steps: SwitchoverSteps, staging: SwitchoverStaging,
  run: { phase: NetworkPhase; txs: readonly Tx[]; staged: ReadonlyMap<number, StagedTx>; io: Io }):
  Promise<MachineEvent[]> {
  const { phase, txs, staged, io } = run;
  const applied: AppliedTx[] = [];
  const committed: Array<{ tx: Tx; st: StagedTx }> = [];
  const failed = async (device: string, e: unknown, unknown: boolean): Promise<MachineEvent[]> => {
    steps.mark(device, `${phase}-rejected`, { error: msg(e) });
    await staging.release();
    for (const c of committed) await steps.journal({ step: 'tx-rolled-back', device: c.tx.device, ops: c.tx.ops });
    const ops = txs.find((t) => t.device === device)?.ops ?? [];
    const partial: AppliedTx[] = unknown ? [{ phase, device, ops, handle: { device, id: `${device}#unknown` } }] : [];
    return [{ type: 'network-failed', phase, applied: [...applied, ...partial], reason: `${device}: ${msg(e)}` }];
  };
  for (const [i, tx] of txs.entries()) {
    const since = steps.now();
    const last = i === txs.length - 1;
    const st = staged.get(i);
    steps.mark(tx.device, `${phase}-commit-sent`, { ops: tx.ops.length, staged: st !== undefined });
    if (st === undefined) {
      try {
        const handle = await steps.device(tx.device).applyTransaction(tx.ops, io);
        applied.push({ phase, device: tx.device, ops: tx.ops, handle });
        await steps.journal({ step: 'tx-applied', phase, device: tx.device, ops: tx.ops });
        steps.mark(tx.device, `${phase}-commit`, { ops: tx.ops.length, tx: handle.id });
        if (!last) await steps.awaitInstalled(phase, tx.device, tx.ops, since);
      } catch (e) {
        return failed(tx.device, e, isVmmiError(e) && (e.code === 'CONNECTION' || e.code === 'TIMEOUT'));
      }
      continue;
    }
    // Journaled before the commit: from its sending on, the change may be in force.
    await steps.journal({ step: 'tx-applied', phase, device: tx.device, ops: tx.ops });
    let failure: unknown;
    const commit = st.commit(io).then(
      () => steps.mark(tx.device, `${phase}-commit`, { ops: tx.ops.length, staged: true }),
      (e: unknown) => {
        failure = e ?? new Error('commit failed');
      },
    );
    committed.push({ tx, st });
    const stopWaiting = new AbortController();
    const installed = last ? Promise.resolve()
      : steps.awaitInstalled(phase, tx.device, tx.ops, since, stopWaiting.signal);
    // Go on when both are in, or at once when the commit is refused.
    await Promise.race([
      Promise.all([commit, installed]),
      commit.then(() => (failure === undefined ? installed : undefined)),
    ]);
    if (failure !== undefined) {
      stopWaiting.abort();
      return failed(tx.device, failure, false);
    }
    if (!last) await installed;
  }
  // Every commit answered (the last one included) before they are confirmed together.
  const results = await Promise.allSettled(committed.map(async ({ tx, st }) => {
    const handle = await st.confirm(io);
    staging.settle(st);
    applied.push({ phase, device: tx.device, ops: tx.ops, handle });
    steps.mark(tx.device, `${phase}-confirmed`, { tx: handle.id });
  }));
  const bad = results.findIndex((r) => r.status === 'rejected');
  if (bad >= 0) {
    const c = committed[bad];
    return failed(c?.tx.device ?? '?', (results[bad] as PromiseRejectedResult).reason, false);
  }
  return [{ type: 'network-applied', phase, applied }];
}
