/**
 * Cost of one domain-state read: the RPC driver vs the virsh driver, 200 sequential calls each on the
 * same private libvirtd (test driver, unix socket, temp dir). Target: RPC ≥ 50× cheaper per call.
 * Run as root: npx tsx bench/libvirt-call-cost.ts [calls]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibvirtRpcDriver } from '../src/drivers/hypervisor/libvirt-rpc.js';
import type { HypervisorDriver } from '../src/drivers/hypervisor/types.js';
import { VirshDriver } from '../src/drivers/hypervisor/virsh.js';
import { startLibvirtd } from '../src/lab/libvirtd.js';

const CALLS = Number(process.argv[2] ?? 200);
const TARGET_RATIO = 50;

interface Figures { totalMs: number; meanMs: number; p50Ms: number; p95Ms: number }

async function measure(d: HypervisorDriver, dom: Parameters<HypervisorDriver['state']>[0]): Promise<Figures> {
  await d.state(dom); // warm-up
  const each: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    await d.state(dom);
    each.push(performance.now() - t);
  }
  const totalMs = performance.now() - t0;
  each.sort((a, b) => a - b);
  const q = (p: number): number => each[Math.min(each.length - 1, Math.floor(p * each.length))] ?? NaN;
  return { totalMs, meanMs: totalMs / CALLS, p50Ms: q(0.5), p95Ms: q(0.95) };
}

const dir = await mkdtemp(join(tmpdir(), 'vmmi-bench-'));
const daemon = await startLibvirtd({ dir, hostUuid: '6c61622d-6876-4000-8000-0000000000b1', driver: 'test' });
try {
  const rpc = await LibvirtRpcDriver.connect(daemon.unixUri, { host: 'bench' });
  const virsh = new VirshDriver(daemon.unixUri, { host: 'bench' });
  const dom = await rpc.lookup({ name: 'test' });
  const r = await measure(rpc, dom);
  const v = await measure(virsh, 'test');
  await rpc.close();
  const row = (k: string, a: number, b: number): string =>
    `${k.padEnd(14)}${a.toFixed(3).padStart(12)}${b.toFixed(3).padStart(12)}${(b / a).toFixed(1).padStart(10)}×`;
  console.log(
    `libvirt state read, ${CALLS} sequential calls, libvirtd ${await virsh.libVersion()} test driver over a unix socket`,
  );
  console.log(`${''.padEnd(14)}${'rpc ms'.padStart(12)}${'virsh ms'.padStart(12)}${'ratio'.padStart(11)}`);
  console.log(row('total', r.totalMs, v.totalMs));
  console.log(row('mean/call', r.meanMs, v.meanMs));
  console.log(row('p50/call', r.p50Ms, v.p50Ms));
  console.log(row('p95/call', r.p95Ms, v.p95Ms));
  const ratio = v.meanMs / r.meanMs;
  console.log(
    `target: rpc ≥ ${TARGET_RATIO}× cheaper per call → ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'} (${ratio.toFixed(0)}×)`,
  );
} finally {
  await daemon.stop();
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}
