/**
 * Migration modes against guest dirty rates on the emulated lab: every mode at each dirty rate, vm1 moved
 * hv1 ↔ hv2 (site A's segment, strategy l2) through the `vmmi migrate` use case (migrateVm, the JSON of
 * `vmmi migrate --json`), the guest's dirtier (lab-assets/dirtier.c, through the reflector's control port)
 * writing RATE MiB/s over WSS MiB meanwhile.
 *
 *   npx tsx bench/migration-modes.ts [--rates 16,32,64] [--wss 32] [--bandwidth 48] [--max-downtime 50]
 *     [--moves 2] [--modes precopy,postcopy,auto-converge,multifd,xbzrle] [--move-timeout 20000]
 *     [--testbed testbeds/local.yaml]
 *
 * Needs a running lab (`vmmi lab up`) and root (the control port is reached from the client namespace).
 * Per mode and rate, MOVES moves alternate hv1 → hv2 → hv1; the table gives medians of QEMU's downtime
 * (hypervisor_downtime_ms), total time (migration_total_ms), bytes (memory_transferred_bytes),
 * iterations, the dirty rate QEMU measured (dirty_rate_mibs) and the rate the dirtier kept, and each
 * mode's downtime, total and bytes as ratios to plain precopy at the same rate in this same run. A figure
 * the record does not hold is printed "n/a (why)" and left out of the medians. A move that did not
 * migrate (e.g. postcopy refused: QEMU without userfaultfd) is listed with its reason. The bandwidth is
 * set low on purpose: at the lab's 4096 MiB/s every mode converges in one or two passes and the modes
 * cannot differ.
 *
 * Each move's migrate step is capped at MOVE_TIMEOUT ms (default 20 s, instead of the testbed's 60 s):
 * the slowest move that converged in the first run took 6.7 s (precopy, 32 MiB/s, 20 passes), and a full
 * pass of the 128 MiB guest at 48 MiB/s takes 2.7 s, so 20 s is three times the slowest converging move.
 * Precopy (and multifd, xbzrle) at a dirty rate above the bandwidth never converges: such a move is
 * reported "did not converge (mode, dirty X > bandwidth Y MiB/s)", and the pair's further moves are
 * skipped. A failed guest control query (dirtier start, status, stop) is noted in its move's row and the
 * bench goes on; a second one in the same move ends the bench (the table so far is printed). After a
 * postcopy move the guest is given up to 20 s to answer again before the dirtier is stopped.
 */
import { parseArgs } from 'node:util';
import { migrateJson } from '../src/cli/migrate-json.js';
import { runLocal } from '../src/exec/local.js';
import { migrateVm } from '../src/harness/migrate.js';
import { openTestbed } from '../src/harness/open.js';
import { loadTestbed } from '../src/inventory/load.js';
import { labNs, netnsRunner } from '../src/lab/access.js';
import { MIGRATION_MODES, type MigrationMode } from '../src/model/testbed.js';
import { dirtierStatus, startDirtier, stopDirtier } from '../src/probes/guest-control/dirtier.js';
import type { GuestControlTarget } from '../src/probes/guest-control/query.js';
import { type Figure, type MoveRow, moveLine, moveRow, showFigure, valuesOf } from './migration-modes-report.js';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '16,32,64' },
    wss: { type: 'string', default: '32' },
    bandwidth: { type: 'string', default: '48' },
    'max-downtime': { type: 'string', default: '50' },
    moves: { type: 'string', default: '2' },
    modes: { type: 'string', default: MIGRATION_MODES.join(',') },
    'move-timeout': { type: 'string', default: '20000' },
    testbed: { type: 'string', default: 'testbeds/local.yaml' },
  },
});
const int = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got "${v}"`);
  return n;
};
const RATES = (values.rates ?? '').split(',').map((r) => int('rates', r));
const WSS = int('wss', values.wss ?? '');
const BANDWIDTH = int('bandwidth', values.bandwidth ?? '');
const MAX_DOWNTIME = int('max-downtime', values['max-downtime'] ?? '');
const MOVES = int('moves', values.moves ?? '');
const MOVE_TIMEOUT = int('move-timeout', values['move-timeout'] ?? '');
const MODES = (values.modes ?? '').split(',').map((m) => {
  if (!(MIGRATION_MODES as readonly string[]).includes(m)) {
    throw new Error(`--modes: unknown mode "${m}"; allowed: ${MIGRATION_MODES.join(', ')}`);
  }
  return m as MigrationMode;
});
const TESTBED = values.testbed ?? 'testbeds/local.yaml';
/** How long the guest may take to answer again after a postcopy move (pages still faulting in). */
const SETTLE_MS = 20_000;

type Testbed = Awaited<ReturnType<typeof loadTestbed>>;

const median = (xs: readonly number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

async function locate(tb: Testbed, vm: string): Promise<string> {
  for (const hv of tb.hypervisors) {
    const r = await runLocal(['virsh', '-c', hv.uri, 'domstate', vm], { timeoutMs: 15_000, env: { LC_ALL: 'C' } });
    if (!r.failed && r.stdout.trim() === 'running') return hv.name;
  }
  throw new Error(`${vm} runs on no hypervisor of ${TESTBED}`);
}

/** One move through the `vmmi migrate` use case, its migrate step capped at MOVE_TIMEOUT. */
async function moveOnce(tb: Testbed, vm: string, to: string, mode: MigrationMode, rate: number,
  notes: readonly string[]): Promise<MoveRow> {
  const ac = new AbortController();
  const onSigint = (): void => ac.abort(new Error('SIGINT'));
  process.once('SIGINT', onSigint);
  try {
    const opened = await openTestbed(tb, ac.signal);
    try {
      const out = await migrateVm(tb, opened, {
        vm, to, strategy: 'l2',
        migration: { mode, bandwidthMiBs: BANDWIDTH, maxDowntimeMs: MAX_DOWNTIME,
          ...(mode === 'postcopy' ? { postcopyAfterIterations: 1 } : {}) },
      }, { signal: ac.signal, log: (l) => console.error(l),
        overrides: { options: { deadlinesMs: { migrate: MOVE_TIMEOUT } } } });
      return moveRow(migrateJson(out.result, out.runId), { mode, rateMiBs: rate, bandwidthMiBs: BANDWIDTH }, notes);
    } finally {
      await opened.close();
    }
  } catch (e) {
    return { ok: false, why: `vmmi migrate: ${message(e)}`.slice(0, 200), notes };
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** Thrown when a move's second guest control query fails: the guest is gone for the bench. */
class GuestLost extends Error {}

/**
 * One move with the dirtier running. A failed control query is noted in the row (one per move); a second
 * one ends the bench.
 */
async function measuredMove(tb: Testbed, target: GuestControlTarget, vm: string, from: string, mode: MigrationMode,
  rate: number): Promise<{ row: MoveRow; here: string }> {
  const notes: string[] = [];
  let failures = 0;
  const control = async <T>(what: string, body: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await body();
    } catch (e) {
      notes.push(`${what} failed: ${message(e)}`);
      if (++failures > 1) {
        throw new GuestLost(`${mode} @ ${rate} MiB/s: two guest control queries failed in one move: ${notes.join('; ')}`);
      }
      return undefined;
    }
  };
  const started = await control('dirty start', () =>
    startDirtier(target, { rateMiBs: rate, wssMiB: WSS }, { timeoutMs: 15_000 }));
  if (started === undefined) {
    // No load: the move would measure an idle guest. Give the guest its settle time and stop what may run.
    await control('dirty stop', () => stopDirtier(target, { timeoutMs: SETTLE_MS }));
    return { row: { ok: false, why: 'not run: the dirtier did not start', notes }, here: from };
  }
  await new Promise((res) => setTimeout(res, 1000)); // the rate settles before the move
  const status = await control('dirty status', () => dirtierStatus(target, { timeoutMs: 5_000 }));
  const kept: Figure = status === undefined ? { why: 'dirty status not answered' } : { value: status.achievedMiBs };
  const to = from === 'hv1' ? 'hv2' : 'hv1';
  const row = { ...(await moveOnce(tb, vm, to, mode, rate, notes)), keptMiBs: kept };
  const here = row.ok ? to : from;
  if (row.ok && mode === 'postcopy') {
    // The guest may be slow while postcopy faults its pages in: wait (bounded) until it answers again.
    const t0 = Date.now();
    const back = await control('settle after postcopy', () => dirtierStatus(target, { timeoutMs: SETTLE_MS }));
    if (back !== undefined && Date.now() - t0 > 2000) notes.push(`guest answered ${Date.now() - t0} ms after the move`);
  }
  await control('dirty stop', () => stopDirtier(target, { timeoutMs: 10_000 }));
  return { row: { ...row, notes }, here };
}

async function main(): Promise<void> {
  const tb = await loadTestbed(TESTBED);
  const vm = tb.vms[0];
  const client = tb.trafficHosts[0];
  if (tb.lab === undefined || vm === undefined || vm.ipv4 === undefined || client?.netns === undefined) {
    throw new Error(`${TESTBED}: needs the emulated lab with vm1 and a netns client`);
  }
  const target = { runner: netnsRunner(labNs(tb, client.netns)), address: vm.ipv4.split('/')[0] as string,
    port: vm.controlPort };
  let here = await locate(tb, vm.name);
  if (here !== 'hv1' && here !== 'hv2') throw new Error(`${vm.name} is on ${here}: bring it to hv1 or hv2 first`);
  const cells = new Map<string, MoveRow[]>();
  try {
    for (const rate of RATES) {
      for (const mode of MODES) {
        const moves: MoveRow[] = [];
        cells.set(`${mode}@${rate}`, moves);
        for (let i = 0; i < MOVES; i++) {
          const stuck = moves.findIndex((m) => m.notConverged === true);
          if (stuck >= 0) {
            console.error(`${mode} @ ${rate} MiB/s move ${i + 1}: skipped (move ${stuck + 1} did not converge)`);
            continue;
          }
          const r = await measuredMove(tb, target, vm.name, here, mode, rate);
          here = r.here;
          console.error(`${mode} @ ${rate} MiB/s move ${i + 1}: ${moveLine(r.row)}`);
          moves.push(r.row);
        }
      }
    }
  } catch (e) {
    if (e instanceof GuestLost) printTable(cells);
    throw e;
  }
  printTable(cells);
}

function printTable(cells: ReadonlyMap<string, MoveRow[]>): void {
  const fmt = (v: number | undefined, d = 0): string => (v === undefined ? '–' : v.toFixed(d));
  const ratio = (a: number | undefined, b: number | undefined): string =>
    (a === undefined || b === undefined || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);
  const head = ['mode', 'dirty MiB/s', 'n', 'downtime ms', 'total ms', 'MiB sent', 'passes', 'QEMU dirty MiB/s',
    'kept MiB/s', 'downtime ×pre', 'total ×pre', 'bytes ×pre', 'not migrated / n/a'];
  const rows: string[][] = [head];
  const med = (ms: MoveRow[], k: Parameters<typeof valuesOf>[1]): number | undefined => median(valuesOf(ms, k));
  for (const rate of RATES) {
    const pre = cells.get(`precopy@${rate}`) ?? [];
    for (const mode of MODES) {
      const ms = cells.get(`${mode}@${rate}`) ?? [];
      const bytes = med(ms, 'bytes');
      const failed = ms.filter((m) => !m.ok);
      // Figures a migrated move lacks, with why (each reason once).
      const gaps = new Set<string>();
      for (const m of ms.filter((x) => x.ok)) {
        const figs: Array<[string, Figure | undefined]> = [['total', m.totalMs], ['bytes', m.bytes],
          ['passes', m.iterations], ['QEMU dirty', m.qemuDirtyMiBs]];
        for (const [k, x] of figs) if (x !== undefined && x.value === undefined) gaps.add(`${k} ${showFigure(x)}`);
      }
      rows.push([mode, String(rate), String(ms.length - failed.length), fmt(med(ms, 'downtimeMs')),
        fmt(med(ms, 'totalMs')), fmt(bytes === undefined ? undefined : bytes / 1048576, 1), fmt(med(ms, 'iterations')),
        fmt(med(ms, 'qemuDirtyMiBs'), 1), fmt(med(ms, 'keptMiBs'), 1),
        ratio(med(ms, 'downtimeMs'), med(pre, 'downtimeMs')), ratio(med(ms, 'totalMs'), med(pre, 'totalMs')),
        ratio(bytes, med(pre, 'bytes')), [...new Set(failed.map((m) => m.why ?? '')), ...gaps].join('; ')]);
    }
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  console.log(`migration modes: bandwidth ${BANDWIDTH} MiB/s, max downtime ${MAX_DOWNTIME} ms, working set ${WSS} MiB, `
    + `${MOVES} move(s) per cell, migrate step capped at ${MOVE_TIMEOUT} ms, medians; ratios to precopy at the same `
    + 'dirty rate');
  for (const r of rows) console.log(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '));
}

await main();
