/**
 * Migration modes against guest dirty rates on the emulated lab: every mode at each dirty rate, vm1 moved
 * hv1 ↔ hv2 (site A's segment, strategy l2) with `vmmi migrate --mode … --json`, the guest's dirtier
 * (lab-assets/dirtier.c, through the reflector's control port) writing RATE MiB/s over WSS MiB meanwhile.
 *
 *   npx tsx bench/migration-modes.ts [--rates 16,32,64] [--wss 32] [--bandwidth 48] [--max-downtime 50]
 *     [--moves 2] [--modes precopy,postcopy,auto-converge,multifd,xbzrle] [--testbed testbeds/local.yaml]
 *
 * Needs a running lab (`vmmi lab up`) and root (the control port is reached from the client namespace).
 * Per mode and rate, MOVES moves alternate hv1 → hv2 → hv1; the table gives medians of QEMU's downtime
 * (hypervisor_downtime_ms), total time (migration_total_ms), bytes (memory_transferred_bytes),
 * iterations, the dirty rate QEMU measured (dirty_rate_mibs) and the rate the dirtier kept, and each
 * mode's downtime, total and bytes as ratios to plain precopy at the same rate in this same run. A move
 * that did not migrate (e.g. postcopy refused: QEMU without userfaultfd) is listed with its reason. The
 * bandwidth is set low on purpose: at the lab's 4096 MiB/s every mode converges in one or two passes and
 * the modes cannot differ.
 */
import { parseArgs } from 'node:util';
import { runLocal } from '../src/exec/local.js';
import { loadTestbed } from '../src/inventory/load.js';
import { labNs, netnsRunner } from '../src/lab/access.js';
import { MIGRATION_MODES, type MigrationMode } from '../src/model/testbed.js';
import { dirtierStatus, startDirtier, stopDirtier } from '../src/probes/guest-control/dirtier.js';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '16,32,64' },
    wss: { type: 'string', default: '32' },
    bandwidth: { type: 'string', default: '48' },
    'max-downtime': { type: 'string', default: '50' },
    moves: { type: 'string', default: '2' },
    modes: { type: 'string', default: MIGRATION_MODES.join(',') },
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
const MODES = (values.modes ?? '').split(',').map((m) => {
  if (!(MIGRATION_MODES as readonly string[]).includes(m)) {
    throw new Error(`--modes: unknown mode "${m}"; allowed: ${MIGRATION_MODES.join(', ')}`);
  }
  return m as MigrationMode;
});
const TESTBED = values.testbed ?? 'testbeds/local.yaml';

interface Move {
  ok: boolean;
  why?: string;
  downtimeMs?: number;
  totalMs?: number;
  bytes?: number;
  iterations?: number;
  qemuDirtyMiBs?: number;
  keptMiBs?: number;
}
interface MetricJson { value: number | null }
interface MoveJson { verdict: string; destination: string; metrics: Record<string, MetricJson>;
  attempts: Array<{ outcome: string; failure?: { reason?: string } }> }

const median = (xs: readonly number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function locate(tb: Awaited<ReturnType<typeof loadTestbed>>, vm: string): Promise<string> {
  for (const hv of tb.hypervisors) {
    const r = await runLocal(['virsh', '-c', hv.uri, 'domstate', vm], { timeoutMs: 15_000, env: { LC_ALL: 'C' } });
    if (!r.failed && r.stdout.trim() === 'running') return hv.name;
  }
  throw new Error(`${vm} runs on no hypervisor of ${TESTBED}`);
}

async function moveOnce(vm: string, to: string, mode: MigrationMode): Promise<Move> {
  const r = await runLocal([process.execPath, 'bin/vmmi.js', 'migrate', vm, '--to', to, '--strategy', 'l2',
    '--testbed', TESTBED, '--mode', mode, '--bandwidth', String(BANDWIDTH), '--max-downtime', String(MAX_DOWNTIME),
    ...(mode === 'postcopy' ? ['--postcopy-after', '1'] : []), '--json'], { timeoutMs: 300_000 });
  let j: MoveJson;
  try {
    j = JSON.parse(r.stdout) as MoveJson;
  } catch {
    return { ok: false, why: `vmmi migrate exit ${r.exitCode}: ${r.stderr.trim().split('\n').at(-1) ?? ''}` };
  }
  const v = (k: string): number | undefined => j.metrics[k]?.value ?? undefined;
  if (j.verdict !== 'migrated') {
    return { ok: false, why: `${j.verdict}: ${j.attempts.at(-1)?.failure?.reason ?? ''}`.slice(0, 160) };
  }
  return { ok: true, downtimeMs: v('hypervisor_downtime_ms'), totalMs: v('migration_total_ms'),
    bytes: v('memory_transferred_bytes'), iterations: v('iterations'), qemuDirtyMiBs: v('dirty_rate_mibs') };
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
  const cells = new Map<string, Move[]>();
  for (const rate of RATES) {
    for (const mode of MODES) {
      const moves: Move[] = [];
      for (let i = 0; i < MOVES; i++) {
        await startDirtier(target, { rateMiBs: rate, wssMiB: WSS }, { timeoutMs: 15_000 });
        let m: Move;
        try {
          await new Promise((res) => setTimeout(res, 1000)); // the rate settles before the move
          const kept = (await dirtierStatus(target, { timeoutMs: 5_000 })).achievedMiBs;
          const to = here === 'hv1' ? 'hv2' : 'hv1';
          m = { ...(await moveOnce(vm.name, to, mode)), keptMiBs: kept };
          if (m.ok) here = to;
        } finally {
          await stopDirtier(target, { timeoutMs: 10_000 }).catch(() => undefined);
        }
        console.error(`${mode} @ ${rate} MiB/s move ${i + 1}: ${m.ok ? `downtime ${m.downtimeMs} ms, total ${m.totalMs} ms, `
          + `${m.bytes} bytes, ${m.iterations} passes, QEMU ${m.qemuDirtyMiBs?.toFixed(1)} MiB/s` : `not migrated: ${m.why}`}`);
        moves.push(m);
      }
      cells.set(`${mode}@${rate}`, moves);
    }
  }
  printTable(cells);
}

function printTable(cells: ReadonlyMap<string, Move[]>): void {
  const fmt = (v: number | undefined, d = 0): string => (v === undefined ? '–' : v.toFixed(d));
  const ratio = (a: number | undefined, b: number | undefined): string =>
    (a === undefined || b === undefined || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);
  const head = ['mode', 'dirty MiB/s', 'n', 'downtime ms', 'total ms', 'MiB sent', 'passes', 'QEMU dirty MiB/s',
    'kept MiB/s', 'downtime ×pre', 'total ×pre', 'bytes ×pre', 'not migrated'];
  const rows: string[][] = [head];
  const med = (ms: Move[], k: keyof Move): number | undefined =>
    median(ms.filter((m) => m.ok && typeof m[k] === 'number').map((m) => m[k] as number));
  for (const rate of RATES) {
    const pre = cells.get(`precopy@${rate}`) ?? [];
    for (const mode of MODES) {
      const ms = cells.get(`${mode}@${rate}`) ?? [];
      const bytes = med(ms, 'bytes');
      const failed = ms.filter((m) => !m.ok);
      rows.push([mode, String(rate), String(ms.length - failed.length), fmt(med(ms, 'downtimeMs')), fmt(med(ms, 'totalMs')),
        fmt(bytes === undefined ? undefined : bytes / 1048576, 1), fmt(med(ms, 'iterations')),
        fmt(med(ms, 'qemuDirtyMiBs'), 1), fmt(med(ms, 'keptMiBs'), 1),
        ratio(med(ms, 'downtimeMs'), med(pre, 'downtimeMs')), ratio(med(ms, 'totalMs'), med(pre, 'totalMs')),
        ratio(bytes, med(pre, 'bytes')), failed.map((m) => m.why).join('; ')]);
    }
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  console.log(`migration modes: bandwidth ${BANDWIDTH} MiB/s, max downtime ${MAX_DOWNTIME} ms, working set ${WSS} MiB, `
    + `${MOVES} move(s) per cell, medians; ratios to precopy at the same dirty rate`);
  for (const r of rows) console.log(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '));
}

await main();
