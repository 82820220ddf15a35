/**
 * Bring-up and teardown of the emulated lab vs booting one guest alone.
 *   cold: `lab up` from nothing with the hypervisors' QEMU capability caches deleted
 *   warm: `lab up` from nothing with the caches kept (the normal case after the first run)
 *   orders: warm `lab up` with guests and switches together (default), guests first, switches first
 *   guest: one lab guest booted with plain QEMU (same kernel, initramfs, TCG, 128 MiB) until LAB-GUEST-READY
 * Targets: warm bring-up ≤ 2 × one guest boot; teardown ≤ 3 s.
 * Run as root: npx tsx bench/lab-bringup.ts     (prefix vmmib, management addresses 198.19.2.x)
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpus, loadavg, tmpdir } from 'node:os';
import { ASSETS_DIR, labGlue } from '../src/cli/lab.js';
import { spawnPiped } from '../src/exec/spawn.js';
import { loadTestbed } from '../src/inventory/load.js';
import { labDown } from '../src/lab/down.js';
import { planLab } from '../src/lab/topology.js';
import { labUp } from '../src/lab/up.js';
import { AGENT_PHASE_DEADLINE_MS, AGENT_PHASES, phaseDurations, type AgentPhase } from '../src/lab/agent/phases.js';

const PREFIX = 'vmmib';
const DIR = `/var/lib/vmmi/lab/${PREFIX}`;
/** 1-minute load average, printed next to timings: other work on the cores inflates them. */
const loadAvg = (): string => loadavg()[0]?.toFixed(1) ?? '?';

async function guestBootMs(): Promise<number> {
  const t0 = performance.now();
  const q = spawnPiped([
    'qemu-system-x86_64', '-machine', 'pc,accel=tcg', '-m', '128', '-nographic', '-no-reboot', '-nodefaults',
    '-serial', 'stdio', '-kernel', `${ASSETS_DIR}/guest-vmlinuz`, '-initrd', `${ASSETS_DIR}/guest-initrd.gz`,
    '-append', 'console=ttyS0 panic=-1 quiet labip=198.18.10.100/24',
    // A NIC on an otherwise empty QEMU hub: the guest finds eth0 at once and no frame leaves QEMU.
    '-netdev', 'hubport,id=n0,hubid=0', '-device', 'virtio-net-pci,netdev=n0,romfile='],
    { stdin: 'ignore', stderr: 'ignore', keepLocale: true });
  let out = '';
  try {
    return await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('guest not ready within 120 s')), 120_000);
      q.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('LAB-GUEST-READY')) {
          clearTimeout(t);
          resolve(performance.now() - t0);
        }
      });
    });
  } finally {
    q.kill('SIGKILL');
  }
}

type Order = 'together' | 'guests-first' | 'switches-first';
interface UpRun {
  readonly totalMs: number;
  readonly steps: ReadonlyMap<string, number>;
  /** Per agent: each phase's time after the one before (ms), and ready after the process start. */
  readonly agents: ReadonlyArray<{ readonly phases: Partial<Record<AgentPhase, number>>; readonly readyMs: number }>;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const sec = (ms: number): string => (ms / 1000).toFixed(2);

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root');
  const FILE = join(await mkdtemp(join(tmpdir(), 'vmmib-testbed-')), 'local.yaml');
  await writeFile(
    FILE,
    (await readFile(new URL('../testbeds/local.yaml', import.meta.url), 'utf8')).replaceAll('198.19.0.', '198.19.2.'),
  );
  const tb = await loadTestbed(FILE, { labPrefix: PREFIX, labDir: DIR });
  const plan = planLab(tb, { assetsDir: ASSETS_DIR });
  await labDown(plan);
  // Fresh load per run: key secrets are read on first use and every lab run generates new keys.
  const up = async (order: Order): Promise<UpRun> => {
    const fresh = await loadTestbed(FILE, { labPrefix: PREFIX, labDir: DIR });
    const steps = new Map<string, number>();
    const r = await labUp(fresh, { assetsDir: ASSETS_DIR, glue: labGlue(fresh), order,
      progress: (e) => steps.set(e.step, e.ms) });
    const agents = [...r.agents.values()].flatMap((a) => (a.start === undefined || a.verdict.state !== 'ready' ? []
      : [{ phases: phaseDurations(a.start), readyMs: a.verdict.readyMs }]));
    return { totalMs: r.totalMs, steps, agents };
  };
  const down = async (): Promise<number> => {
    const t0 = performance.now();
    const r = await labDown(plan);
    if (r.after.namespaces.length + r.after.processes.length > 0)
      throw new Error(`teardown left ${JSON.stringify(r.after)}`);
    return performance.now() - t0;
  };
  const load0 = loadAvg();
  // Medians of three: single runs on two busy cores swing by a second either way.
  await Promise.all(plan.hypervisors.map((h) => rm(`${h.dir}/cache`, { recursive: true, force: true })));
  const cold = (await up('together')).totalMs;
  const downs = [await down()];
  const runs = new Map<Order, UpRun[]>([['together', []], ['guests-first', []], ['switches-first', []]]);
  for (let i = 0; i < 3; i++) {
    for (const [order, list] of runs) {
      list.push(await up(order));
      downs.push(await down());
    }
  }
  const boots: number[] = [];
  for (let i = 0; i < 3; i++) boots.push(await guestBootMs());
  const boot = median(boots);
  const together = runs.get('together') ?? [];
  const warms = together.map((r) => r.totalMs);
  const warm = median(warms);
  printHeadline({ load0, boot, boots, cold, warm, warms, downs });
  printSteps(together);
  printPhases(together);
  console.log('  order of guests and switches (warm, medians of 3)');
  for (const [order, list] of runs) {
    const ready = median(list.flatMap((r) => r.agents.map((a) => a.readyMs)));
    const guests = median(list.map((r) => r.steps.get('guests') ?? NaN));
    console.log(`    ${order.padEnd(15)} lab up ${sec(median(list.map((r) => r.totalMs)))} s   guests step ${sec(guests)} s` +
      `   agent ready ${sec(ready)} s after its start`);
  }
}

function printHeadline(h: { load0: string; boot: number; boots: number[]; cold: number; warm: number; warms: number[];
  downs: number[] }): void {
  const f = (ms: number): string => `${sec(ms).padStart(6)} s`;
  const all = (xs: readonly number[]): string => xs.map(sec).join(' / ');
  console.log(
    `lab bring-up (prefix ${PREFIX}; load average ${h.load0} → ${loadAvg()} on ${cpus().length} cores; medians of 3)`,
  );
  console.log(`  one guest boot (plain QEMU, TCG)   ${f(h.boot)}   reference (${all(h.boots)} s)`);
  console.log(`  lab up, cold capability cache      ${f(h.cold)}   ratio ${(h.cold / h.boot).toFixed(2)}×`);
  console.log(`  lab up, warm capability cache      ${f(h.warm)}   ratio ${(h.warm / h.boot).toFixed(2)}× (target ≤ 2×) ` +
    `${h.warm / h.boot <= 2 ? 'MET' : 'MISSED'} (${all(h.warms)} s)`);
  const worst = Math.max(...h.downs);
  console.log(`  teardown                           ${f(worst)} worst  (target ≤ 3 s) ${worst <= 3000 ? 'MET' : 'MISSED'}` +
    ` (${all(h.downs)} s)`);
}

/** Per step of the warm runs: the median of its duration (steps overlap: see docs/emulated-lab.md). */
function printSteps(list: readonly UpRun[]): void {
  console.log('  steps (warm, started together; medians of 3; steps overlap)');
  for (const name of list[0]?.steps.keys() ?? [])
    console.log(`    ${name.padEnd(42)} ${sec(median(list.map((r) => r.steps.get(name) ?? NaN))).padStart(6)} s`);
}

/** Per agent phase, over every agent of the warm runs: the median time after the phase before. */
function printPhases(list: readonly UpRun[]): void {
  const agents = list.flatMap((r) => r.agents);
  console.log(`  switch agent phases (warm, started together; medians over ${agents.length} agent starts)`);
  for (const p of AGENT_PHASES) {
    const xs = agents.map((a) => a.phases[p]).filter((x): x is number => x !== undefined);
    console.log(`    ${p.padEnd(12)} ${sec(median(xs)).padStart(6)} s after the phase before   ` +
      `(max ${sec(Math.max(...xs))} s; deadline ${sec(AGENT_PHASE_DEADLINE_MS[p])} s)`);
  }
  console.log(`    ${'ready'.padEnd(12)} ${sec(median(agents.map((a) => a.readyMs))).padStart(6)} s after the process start`);
}

await main();
