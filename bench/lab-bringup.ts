/**
 * Bring-up and teardown of the emulated lab vs booting one guest alone.
 *   cold: `lab up` from nothing with the hypervisors' QEMU capability caches deleted
 *   warm: `lab up` from nothing with the caches kept (the normal case after the first run)
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
  const up = async (): Promise<number> => {
    const fresh = await loadTestbed(FILE, { labPrefix: PREFIX, labDir: DIR });
    return (await labUp(fresh, { assetsDir: ASSETS_DIR, glue: labGlue(fresh) })).totalMs;
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
  const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  await Promise.all(plan.hypervisors.map((h) => rm(`${h.dir}/cache`, { recursive: true, force: true })));
  const cold = await up();
  const downs = [await down()];
  const warms: number[] = [];
  for (let i = 0; i < 3; i++) {
    warms.push(await up());
    downs.push(await down());
  }
  const boots: number[] = [];
  for (let i = 0; i < 3; i++) boots.push(await guestBootMs());
  const boot = median(boots);
  const warm = median(warms);
  const f = (ms: number): string => `${(ms / 1000).toFixed(2).padStart(6)} s`;
  const all = (xs: readonly number[]): string => xs.map((x) => (x / 1000).toFixed(2)).join(' / ');
  console.log(
    `lab bring-up (prefix ${PREFIX}; load average ${load0} → ${loadAvg()} on ${cpus().length} cores; medians of 3)`,
  );
  console.log(`  one guest boot (plain QEMU, TCG)   ${f(boot)}   reference (${all(boots)} s)`);
  console.log(`  lab up, cold capability cache      ${f(cold)}   ratio ${(cold / boot).toFixed(2)}×`);
  console.log(
    `  lab up, warm capability cache      ${f(warm)}   ratio ${(warm / boot).toFixed(2)}× (target ≤ 2×) ${warm / boot <= 2 ? 'MET' : 'MISSED'} (${all(warms)} s)`,
  );
  console.log(
    `  teardown                           ${f(Math.max(...downs))} worst  (target ≤ 3 s) ${Math.max(...downs) <= 3000 ? 'MET' : 'MISSED'} (${all(downs)} s)`,
  );
}

await main();
