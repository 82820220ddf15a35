/**
 * Controller overhead of one measured migration on the emulated lab: the wall time of `vmmi migrate`
 * (process start to exit) against libvirt's own total migration time (job stats `time_elapsed`), split
 * into setup, precheck, prepare, observer start, baseline (configured), migration, switchover, verify,
 * cleanup, tail (configured) and stop. Overhead is everything except the configured baseline and tail
 * windows and the migrate call (libvirt's: its total plus its own protocol steps around it), in % of
 * libvirt's total.
 *
 *   npx tsx bench/migration-overhead.ts [RUNS=3] [--strategy host-route-static]
 *
 * Root; the lab must be up (`vmmi lab up`). Each run moves vm1 hv1 → hv3 (measured) and back (not measured).
 * Last line: `migration-overhead: overhead X % of libvirt total` (median of the runs).
 */
import { loadavg } from 'node:os';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { runLocal } from '../src/exec/local.js';

const args = process.argv.slice(2);
const RUNS = Number(args.find((a) => /^\d+$/.test(a)) ?? 3);
const strategy = args.includes('--strategy') ? args[args.indexOf('--strategy') + 1] ?? 'host-route-static'
  : 'host-route-static';
type Doc = { defaults?: { probe?: { baselineMs?: number } } };
const doc = parse(readFileSync('testbeds/local.yaml', 'utf8')) as Doc;
const BASELINE_MS = doc.defaults?.probe?.baselineMs ?? 1000;

interface Event { tMs: number; wall: string; host: string; kind: string }
interface MoveJson {
  timeline: Event[];
  metrics: Record<string, { value: number | null }>;
  attempts: Array<{ outcome: string }>;
}

interface Split {
  wallMs: number;
  libvirtTotalMs: number;
  parts: Array<[string, number, 'overhead' | 'window' | 'libvirt']>;
}

/** The split of one run (pure over the --json output and the process's start/exit wall clock). */
export function split(j: MoveJson, startWall: number, exitWall: number): Split {
  const tl = j.timeline;
  // Intervals from the events' controller-monotonic offsets; the wall clock only ties run-start to the process.
  const wallOf = (kind: string): number => {
    const e = tl.find((x) => x.kind === kind);
    if (e === undefined) throw new Error(`no ${kind} event`);
    return e.tMs;
  };
  const lastWall = (kind: string): number | undefined => tl.filter((x) => x.kind === kind).at(-1)?.tMs;
  const anchor = Date.parse(tl.find((x) => x.kind === 'run-start')?.wall ?? '');
  const runStart = wallOf('run-start');
  const precheck = wallOf('precheck-ok');
  const observing = wallOf('state:start-observers');
  const observed = wallOf('observers-started');
  const call = wallOf('migrate-call');
  const returned = wallOf('migrate-returned');
  const verify = wallOf('state:verify');
  const cleanup = wallOf('state:cleanup');
  const done = wallOf('state:done');
  const holdEnd = wallOf('hold-end');
  const probesStopped = wallOf('probes-stopped');
  const observersStopped = wallOf('observers-stopped');
  const swBegin = wallOf('switchover-begin');
  const swEnd = lastWall('switchover-confirmed') ?? lastWall('switchover-commit') ?? swBegin;
  const libvirtTotalMs = j.metrics['migration_total_ms']?.value ?? NaN;
  const callMs = returned - call;
  // The switchover runs while libvirt's call is still open (its source-side teardown): only what outlasts
  // the call would add to the run.
  const switchoverOutside = Math.max(0, swEnd - Math.max(swBegin, returned));
  return {
    wallMs: exitWall - startWall,
    libvirtTotalMs,
    parts: [
      ['setup (process start → run-start: load, connect)', anchor - startWall, 'overhead'],
      ['precheck', precheck - runStart, 'overhead'],
      ['prepare network', observing - precheck, 'overhead'],
      ['observer start (beyond the baseline)', observed - observing - BASELINE_MS, 'overhead'],
      ['baseline window (configured)', BASELINE_MS, 'window'],
      ['migrate call to its first byte', call - observed, 'overhead'],
      ['migration: libvirt total (job stats)', libvirtTotalMs, 'libvirt'],
      ["migration: libvirt's own steps around it", callMs - libvirtTotalMs, 'libvirt'],
      [`switchover (${(swEnd - swBegin).toFixed(0)} ms, inside the call)`, switchoverOutside, 'overhead'],
      ['wait for the call after it (verify starts)', verify - returned, 'overhead'],
      ['verify (guest answers, memory check)', cleanup - verify, 'overhead'],
      ['cleanup', done - cleanup, 'overhead'],
      ['tail window left after verify and cleanup', holdEnd - done, 'window'],
      ['probes stop (drain of late replies, configured)', probesStopped - holdEnd, 'overhead'],
      ['route monitors stop', observersStopped - probesStopped, 'overhead'],
      ['after the run (records, reports, sessions closed, exit)', exitWall - (anchor + observersStopped - runStart),
        'overhead'],
    ],
  };
}

async function migrate(to: string): Promise<{ j: MoveJson; start: number; exit: number }> {
  const start = Date.now();
  const r = await runLocal([process.execPath, 'bin/vmmi.js', 'migrate', 'vm1', '--to', to, '--strategy', strategy,
    '--json'], { timeoutMs: 300_000 });
  const exit = Date.now();
  const j = JSON.parse(r.stdout) as MoveJson;
  if (j.attempts.at(-1)?.outcome !== 'migrated') throw new Error(`move to ${to} did not migrate: ${r.stderr.slice(-500)}`);
  return { j, start, exit };
}

if (process.getuid?.() !== 0) throw new Error('needs root (the emulated lab)');
const load0 = loadavg()[0] ?? NaN;
const splits: Split[] = [];
for (let i = 0; i < RUNS; i += 1) {
  const out = await migrate('hv3');
  splits.push(split(out.j, out.start, out.exit));
  await migrate('hv1');
}
const load1 = loadavg()[0] ?? NaN;
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
console.log(`migration overhead, ${strategy} vm1 hv1 → hv3, ${RUNS} run(s), medians; load average ${load0.toFixed(2)} → `
  + `${load1.toFixed(2)}, 2 cores`);
const first = splits[0];
if (first === undefined) throw new Error('no run');
first.parts.forEach(([label, , kind], k) => {
  const v = med(splits.map((s) => s.parts[k]?.[1] ?? NaN));
  console.log(`  ${label.padEnd(52)} ${v.toFixed(0).padStart(6)} ms  ${kind}`);
});
const overhead = splits.map((s) => s.parts.filter((p) => p[2] === 'overhead').reduce((a, p) => a + p[1], 0));
const total = med(splits.map((s) => s.libvirtTotalMs));
console.log(`  ${'wall time of vmmi migrate'.padEnd(52)} ${med(splits.map((s) => s.wallMs)).toFixed(0).padStart(6)} ms`);
console.log(`  ${'controller overhead (all "overhead" rows)'.padEnd(52)} ${med(overhead).toFixed(0).padStart(6)} ms`
  + `  against libvirt's total ${total.toFixed(0)} ms; target ≤ 10 %`);
const pct = med(splits.map((s, k) => (100 * (overhead[k] ?? NaN)) / s.libvirtTotalMs));
console.log(`migration-overhead: overhead ${pct.toFixed(0)} % of libvirt total`);
