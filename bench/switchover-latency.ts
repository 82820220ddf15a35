/**
 * Switchover latency on the emulated lab: for each strategy, MOVES moves hv1 → hv3 (and back), once as
 * vmmi switched over before (whole transactions at RESUMED, one per route; switch agents spawning `ip` after
 * a full kernel read) and once as it does now (transactions staged while the VM migrates, one commit per
 * router; agents writing routes through rtnetlink). Both phases run in this one invocation, each on a
 * freshly started lab (the agents' route writer is chosen when they start).
 *
 *   npx tsx bench/switchover-latency.ts [MOVES=5] [--strategies host-route-static,host-route-bgp] [--no-before]
 *     [--no-rt]
 *
 * A third phase repeats the "after" moves with the controller at SCHED_RR 5 (`chrt`): in the lab the
 * controller shares the host's two cores with both guests' QEMUs, which run at nice −10 and are busy right
 * after a move; a real testbed's controller host runs no guests. --no-rt skips it.
 *
 * Root; takes the lab down and up (testbeds/local.yaml). Per move, relative to the destination's RESUMED event
 * (controller clock, libvirt lifecycle event stamped on receipt): first commit sent; every router's commit
 * answered; every route of the family installed (last route change the route monitor saw for the VM's
 * prefix); first probe reply per family; and the decomposition's L3-route term (switchover-begin → last
 * route change on the watched routers). Medians and p95 over the moves out; the moves back are printed
 * apart. Every move must migrate with conformance ok and no residue, or it is listed as failed.
 * Last lines, one per strategy: `switchover-latency: STRATEGY l3-route median X ms p95 Y ms (before Z ms)`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runLocal } from '../src/exec/local.js';

const args = process.argv.slice(2);
const MOVES = Number(args.find((a) => /^\d+$/.test(a)) ?? 5);
const strategiesArg = args[args.indexOf('--strategies') + 1];
const STRATEGIES = args.includes('--strategies') && strategiesArg !== undefined
  ? strategiesArg.split(',') : ['host-route-static', 'host-route-bgp'];
const WITH_BEFORE = !args.includes('--no-before');
const WITH_RT = !args.includes('--no-rt');
const VM = 'vm1';
const HOME = 'hv1';
const AWAY = 'hv3';
const TESTBED = 'testbeds/local.yaml';

interface Event { tMs: number; source: string; host: string; kind: string; detail?: Record<string, unknown> }
interface MoveJson {
  verdict: string;
  destination: string;
  timeline: Event[];
  attempts: Array<{ outcome: string; residue: string[] }>;
  decomposition?: { components: Array<{ name: string; ms: number }> };
  conformance?: { ok: boolean; edges: Array<{ label: string; ok: boolean; skipped: boolean; message?: string }> };
}
interface Figures {
  firstCommitSent?: number;
  commitsAnswered?: number;
  installed: Record<'4' | '6', number | undefined>;
  firstReply: Record<'4' | '6', number | undefined>;
  l3Route?: number;
}
type Sample = { ok: true; f: Figures } | { ok: false; why: string };

/** Argv prefix of the measured `vmmi migrate` runs (the controller-at-real-time phase sets it). */
let controllerPrefix: string[] = [];

async function vmmi(argv: string[], env: Record<string, string> = {}):
  Promise<{ status: number; stdout: string; stderr: string }> {
  const r = await runLocal([...(argv[0] === 'migrate' ? controllerPrefix : []), process.execPath, 'bin/vmmi.js', ...argv], {
    env: { ...process.env, ...env } as Record<string, string>, timeoutMs: 300_000,
  });
  return { status: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function restartLab(routes: 'ip' | 'netlink'): Promise<void> {
  await vmmi(['lab', 'down']);
  const up = await vmmi(['lab', 'up'], { VMMI_LAB_AGENT_ROUTES: routes });
  if (up.status !== 0) throw new Error(`lab up (${routes}) failed:\n${up.stderr.slice(-2000)}`);
}

const familyOf = (prefix: unknown): '4' | '6' => (String(prefix).includes(':') ? '6' : '4');

/** The figures of one move, relative to the destination's RESUMED (pure over the --json output). */
export function figures(j: MoveJson): Figures {
  const tl = j.timeline;
  const resumed = tl.find((e) => e.kind === 'resumed' && e.host === j.destination)?.tMs;
  if (resumed === undefined) throw new Error('no RESUMED event');
  const after = tl.filter((e) => e.tMs >= resumed);
  const rel = (e: Event | undefined): number | undefined => (e === undefined ? undefined : e.tMs - resumed);
  const begin = after.find((e) => e.kind === 'switchover-begin');
  const end = after.find((e) => e.kind === 'verify-begin' || e.kind === 'state:verify')?.tMs ?? Infinity;
  const routeEvents = after.filter((e) => e.source === 'control-plane' && (e.kind === 'route-add' || e.kind === 'route-del')
    && e.tMs <= Math.max(end, resumed + 2000));
  const installed = { '4': undefined, '6': undefined } as Figures['installed'];
  for (const e of routeEvents) installed[familyOf(e.detail?.['prefix'])] = rel(e);
  const reply = (fam: '4' | '6'): number | undefined =>
    rel(after.find((e) => e.kind === 'first-reply' && e.host.endsWith(` v${fam}`)));
  const l3 = j.decomposition?.components.find((c) => c.name === 'l3-route')?.ms;
  return {
    ...(begin === undefined ? {} : {
      firstCommitSent: rel(after.find((e) => e.kind === 'switchover-commit-sent')),
      commitsAnswered: rel(after.filter((e) => e.kind === 'switchover-commit').at(-1)),
    }),
    installed, firstReply: { '4': reply('4'), '6': reply('6') },
    ...(l3 === undefined ? {} : { l3Route: l3 }),
  };
}

async function move(strategy: string, to: string, testbed: string): Promise<Sample> {
  const r = await vmmi(['migrate', VM, '--to', to, '--strategy', strategy, '--testbed', testbed, '--json']);
  let j: MoveJson;
  try {
    j = JSON.parse(r.stdout) as MoveJson;
  } catch {
    return { ok: false, why: `exit ${r.status}, no JSON: ${r.stderr.trim().split('\n').at(-1) ?? ''}` };
  }
  const a = j.attempts.at(-1);
  if (a?.outcome !== 'migrated') return { ok: false, why: `outcome ${a?.outcome ?? '?'} (exit ${r.status})` };
  if ((a.residue ?? []).length > 0) return { ok: false, why: `residue: ${a.residue.join('; ')}` };
  if (j.conformance?.ok !== true) {
    const bad = j.conformance?.edges.filter((e) => !e.ok && !e.skipped).map((e) => e.message ?? e.label) ?? ['none'];
    return { ok: false, why: `conformance: ${bad.join('; ')}` };
  }
  return { ok: true, f: figures(j) };
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
}
const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');

interface PhaseResult { out: Sample[]; back: Sample[] }

async function runPhase(name: string, testbed: string): Promise<Map<string, PhaseResult>> {
  const res = new Map<string, PhaseResult>();
  for (const s of STRATEGIES) {
    const out: Sample[] = [];
    const back: Sample[] = [];
    for (let i = 0; i < MOVES; i += 1) {
      out.push(await move(s, AWAY, testbed));
      back.push(await move(s, HOME, testbed));
      const last = out.at(-1);
      console.error(`${name} ${s} move ${i + 1}/${MOVES}: ${last?.ok === true ? `l3 ${fmt(last.f.l3Route ?? NaN)} ms` : last?.why}`);
    }
    res.set(s, { out, back });
  }
  return res;
}

type Pick = (f: Figures) => number | undefined;
const ROWS: Array<[string, Pick]> = [
  ['RESUMED → first commit sent', (f) => f.firstCommitSent],
  ['→ every commit answered', (f) => f.commitsAnswered],
  ['→ IPv4 routes installed', (f) => f.installed['4']],
  ['→ IPv6 routes installed', (f) => f.installed['6']],
  ['→ first IPv4 reply', (f) => f.firstReply['4']],
  ['→ first IPv6 reply', (f) => f.firstReply['6']],
  ['L3-route term', (f) => f.l3Route],
];

function stats(samples: readonly Sample[], pick: Pick): { median: number; p95: number; n: number } {
  const xs = samples.flatMap((s) => (s.ok ? [pick(s.f)].filter((x): x is number => x !== undefined) : []));
  return { median: quantile(xs, 0.5), p95: quantile(xs, 0.95), n: xs.length };
}

function table(title: string, before: Map<string, PhaseResult> | undefined, after: Map<string, PhaseResult>,
  dir: 'out' | 'back'): void {
  console.log(`\n${title}`);
  console.log(`${'strategy'.padEnd(18)} ${'figure (ms after RESUMED)'.padEnd(28)} ${'median'.padStart(8)} ${'p95'.padStart(8)}`
    + `${before === undefined ? '' : ` ${'before med'.padStart(10)} ${'before p95'.padStart(10)} ${'ratio'.padStart(6)}`}`);
  for (const s of STRATEGIES) {
    for (const [label, pick] of ROWS) {
      const a = stats(after.get(s)?.[dir] ?? [], pick);
      const b = before === undefined ? undefined : stats(before.get(s)?.[dir] ?? [], pick);
      console.log(`${s.padEnd(18)} ${label.padEnd(28)} ${fmt(a.median).padStart(8)} ${fmt(a.p95).padStart(8)}`
        + (b === undefined ? '' : ` ${fmt(b.median).padStart(10)} ${fmt(b.p95).padStart(10)} `
          + `${(b.median / a.median).toFixed(1).padStart(5)}×`));
    }
  }
}

function failures(name: string, r: Map<string, PhaseResult>): number {
  let n = 0;
  for (const [s, p] of r) {
    for (const x of [...p.out, ...p.back]) {
      if (!x.ok) {
        n += 1;
        console.log(`  ${name} ${s}: ${x.why}`);
      }
    }
  }
  return n;
}

if (process.getuid?.() !== 0) throw new Error('needs root (the emulated lab)');
if ((await runLocal(['npm', 'run', '--silent', 'build'], { timeoutMs: 300_000 })).failed) throw new Error('build failed');
const load0 = loadavg()[0] ?? NaN;
const dir = mkdtempSync(join(tmpdir(), 'vmmi-switchover-'));
const doc = parse(readFileSync(TESTBED, 'utf8')) as { defaults: { migration: Record<string, unknown> } };
doc.defaults.migration.stageSwitchover = false;
const beforeTb = join(dir, 'local-unstaged.yaml');
// The copy keeps the lab's ${lab:…} references; only the staging default differs.
writeFileSync(beforeTb, stringify(doc));
let before: Map<string, PhaseResult> | undefined;
if (WITH_BEFORE) {
  await restartLab('ip');
  before = await runPhase('before', beforeTb);
}
await restartLab('netlink');
const after = await runPhase('after', TESTBED);
// The same moves with the controller itself at SCHED_RR 5: in the lab it shares two cores with both TCG guests'
// QEMUs (nice −10), busy right after a move; a controller host of a real testbed runs no guests.
let afterRt: Map<string, PhaseResult> | undefined;
if (WITH_RT) {
  controllerPrefix = ['chrt', '--rr', '5'];
  afterRt = await runPhase('after, controller at RT', TESTBED);
  controllerPrefix = [];
}
const load1 = loadavg()[0] ?? NaN;
console.log(`\nswitchover latency, ${MOVES} moves ${HOME} → ${AWAY} per strategy and phase (and back); load average `
  + `${load0.toFixed(2)} at the start, ${load1.toFixed(2)} at the end, 2 cores`);
table(`moves out (${HOME} → ${AWAY}, routes added)`, before, after, 'out');
table(`moves back (${AWAY} → ${HOME}, routes removed)`, before, after, 'back');
if (afterRt !== undefined) {
  table(`moves out, controller at SCHED_RR 5 (against "after" at normal priority)`, after, afterRt, 'out');
}
console.log('\nfailed moves (not migrated, residue, or conformance violated):');
const nBad = (before === undefined ? 0 : failures('before', before)) + failures('after', after)
  + (afterRt === undefined ? 0 : failures('after, controller at RT', afterRt));
if (nBad === 0) console.log('  none');
for (const s of STRATEGIES) {
  const a = stats(after.get(s)?.out ?? [], (f) => f.l3Route);
  const b = before === undefined ? undefined : stats(before.get(s)?.out ?? [], (f) => f.l3Route);
  const rt = afterRt === undefined ? undefined : stats(afterRt.get(s)?.out ?? [], (f) => f.l3Route);
  console.log(`switchover-latency: ${s} l3-route median ${fmt(a.median)} ms p95 ${fmt(a.p95)} ms`
    + ` (before ${b === undefined ? '-' : fmt(b.median)} ms)`
    + (rt === undefined ? '' : `; controller at RT: median ${fmt(rt.median)} ms p95 ${fmt(rt.p95)} ms`));
}
