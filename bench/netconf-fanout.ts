/**
 * Fan-out: configure 50 emulated switches (loopback netconfd + sshd each, ports 18420-18469) in
 * parallel vs one switch. "Configure" = one full vmmi transaction per switch through the
 * netconf-ietf driver (lock, discard, edit, confirmed commit with persist, verify, confirming
 * commit, unlock) adding a host route. Sessions are opened first and timed separately. Needs root
 * and Linux (CPU time per process is read from /proc/<pid>/task/<tid>/schedstat).
 *
 *   npx tsx bench/netconf-fanout.ts [switches]
 * Target: parallel total ≤ 3× the single-switch time.
 *
 * Besides wall times it prints where the CPU goes per transaction (vmmi's process, and per switch
 * sshd, netconf-subsystem and netconfd), RPCs and round trips per transaction, and the lower bound
 * that CPU implies for the parallel run on this machine: every switch here shares the controller's
 * cores, so N transactions need at least N × (CPU per transaction) / cores of wall time however
 * well they overlap. 20 transactions on one switch and one parallel round run first, untimed.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLabKeys, startNetconfSwitch, writeKnownHosts, type NetconfSwitch } from '../src/lab/netconfd.js';
import { Secret } from '../src/model/secret.js';
import { NetconfClient } from '../src/transports/netconf/client.js';
import { createNetconfDriver, type NetconfSwitchDriver } from '../src/drivers/switch/netconf-driver.js';
import { netconfIetf } from '../src/drivers/switch/netconf-ietf.js';
import type { TransactionResult } from '../src/drivers/switch/transaction.js';

const COUNT = Number(process.argv[2] ?? 50);
const BASE_PORT = 18420;
/** Sequential transactions on one switch for the CPU accounting. */
const CPU_SAMPLES = 30;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** On-CPU time of a process in ms: sum of its threads' schedstat run time (0 once it is gone). */
async function cpuMs(pid: number): Promise<number> {
  try {
    const tids = await readdir(`/proc/${pid}/task`);
    let ns = 0;
    for (const t of tids) ns += Number((await readFile(`/proc/${pid}/task/${t}/schedstat`, 'utf8')).split(' ')[0]);
    return ns / 1e6;
  } catch {
    return 0;
  }
}

/** pid → [comm, ppid] for every process. */
async function processTable(): Promise<Map<number, { comm: string; ppid: number }>> {
  const out = new Map<number, { comm: string; ppid: number }>();
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = await readFile(`/proc/${d}/stat`, 'utf8');
      const close = s.lastIndexOf(')');
      out.set(Number(d), { comm: s.slice(s.indexOf('(') + 1, close), ppid: Number(s.slice(close + 2).split(' ')[1]) });
    } catch {
      // exited while scanning
    }
  }
  return out;
}

type Role = 'netconfd' | 'sshd' | 'netconf-subsystem';
interface SwitchProcs { readonly pids: readonly { pid: number; role: Role }[] }

/** netconfd plus every process under the switch's sshd listener (session sshd and the subsystem relay). */
function switchProcs(sw: NetconfSwitch, table: Map<number, { comm: string; ppid: number }>): SwitchProcs {
  const pids: { pid: number; role: Role }[] = [{ pid: sw.netconfdPid, role: 'netconfd' }];
  const walk = (parent: number): void => {
    for (const [pid, p] of table) {
      if (p.ppid !== parent) continue;
      pids.push({ pid, role: p.comm.startsWith('netconf-subsys') ? 'netconf-subsystem' : 'sshd' });
      walk(pid);
    }
  };
  walk(sw.sshdPid);
  return { pids };
}

type CpuSnapshot = Record<Role | 'vmmi', number>;

async function snapshot(procs: readonly SwitchProcs[]): Promise<CpuSnapshot> {
  const u = process.cpuUsage();
  const s: CpuSnapshot = { vmmi: (u.user + u.system) / 1000, netconfd: 0, sshd: 0, 'netconf-subsystem': 0 };
  for (const p of procs) for (const { pid, role } of p.pids) s[role] += await cpuMs(pid);
  return s;
}

function perTx(a: CpuSnapshot, b: CpuSnapshot, n: number): CpuSnapshot {
  return { vmmi: (b.vmmi - a.vmmi) / n, netconfd: (b.netconfd - a.netconfd) / n, sshd: (b.sshd - a.sshd) / n,
    'netconf-subsystem': (b['netconf-subsystem'] - a['netconf-subsystem']) / n };
}

const total = (c: CpuSnapshot): number => c.vmmi + c.netconfd + c.sshd + c['netconf-subsystem'];
const fmt = (c: CpuSnapshot): string =>
  `vmmi ${c.vmmi.toFixed(2)} + sshd ${c.sshd.toFixed(2)} + netconf-subsystem ${c['netconf-subsystem'].toFixed(2)} + ` +
  `netconfd ${c.netconfd.toFixed(2)} = ${total(c).toFixed(2)} ms`;

interface Figures {
  readonly connectAll: number;
  readonly single: readonly number[];
  readonly singleMs: number;
  readonly rounds: readonly number[];
  readonly parallelMs: number;
  readonly rpcsPerTx: number;
  readonly rttPerTx: number;
  readonly cpuSingle: CpuSnapshot;
  readonly cpuParallel: CpuSnapshot;
}

/** Prints each figure with its reference and ratio, and the CPU bound that explains the parallel time. */
function printFigures(f: Figures): void {
  const { connectAll, single, singleMs, rounds, parallelMs, rpcsPerTx, rttPerTx, cpuSingle, cpuParallel } = f;
  const cores = availableParallelism();
  console.log(`connect (SSH + hello) to ${COUNT} switches in parallel: ${connectAll.toFixed(0)} ms`);
  console.log(
    `one transaction on one switch (median of 5): ${singleMs.toFixed(1)} ms  [${single.map((x) => x.toFixed(0)).join(', ')}]`,
  );
  console.log(
    `one transaction on each of ${COUNT} switches in parallel (median of 3): ${parallelMs.toFixed(1)} ms  ` +
      `[${rounds.map((x) => x.toFixed(0)).join(', ')}]`,
  );
  console.log(`ratio parallel/single = ${(parallelMs / singleMs).toFixed(2)}× (target ≤ 3×)`);
  console.log(`per transaction: ${rpcsPerTx.toFixed(1)} RPCs in ${rttPerTx.toFixed(1)} round trips`);
  console.log(`CPU per transaction, one switch busy (mean of ${CPU_SAMPLES}): ${fmt(cpuSingle)}`);
  console.log(`CPU per transaction, ${COUNT} switches busy (mean of ${3 * COUNT}): ${fmt(cpuParallel)}`);
  // The bound: all processes of all switches share this machine's cores.
  const floorMs = (COUNT * total(cpuSingle)) / cores;
  const floorClient = (COUNT * cpuSingle.vmmi) / cores;
  console.log(
    `bound: ${COUNT} transactions × ${total(cpuSingle).toFixed(2)} ms CPU / ${cores} cores = ${floorMs.toFixed(0)} ms at best, ` +
      `i.e. ≥ ${(floorMs / singleMs).toFixed(1)}× the single-switch time before any contention; ≤ 3× would need ≤ ` +
      `${((3 * singleMs * cores) / COUNT).toFixed(2)} ms CPU per transaction across all four processes`,
  );
  console.log(
    `vmmi's own share: ${COUNT} × ${cpuSingle.vmmi.toFixed(2)} ms / ${cores} cores = ${floorClient.toFixed(0)} ms ` +
      `(${(floorClient / singleMs).toFixed(1)}× single): the floor when each switch has its own CPU, as real switches do`,
  );
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-bench-fan-'));
  const switches: NetconfSwitch[] = [];
  const drivers: NetconfSwitchDriver[] = [];
  try {
    const keys = await generateLabKeys(join(dir, 'keys'));
    const ports = Array.from({ length: COUNT }, (_, i) => BASE_PORT + i);
    let t = performance.now();
    for (const port of ports) {
      switches.push(
        await startNetconfSwitch({
          dir: join(dir, `sw${port}`),
          name: `sw${port}`,
          listenAddr: '127.0.0.1',
          port,
          hostKeyDir: keys.dir,
          authorizedKeysFile: keys.authorizedKeys,
          logLevel: 'warn',
        }),
      );
    }
    console.log(`${COUNT} switches started in ${(performance.now() - t).toFixed(0)} ms`);
    const kh = join(dir, 'known_hosts');
    await writeKnownHosts(kh, ports.map((port) => ({ host: '127.0.0.1', port, publicKeys: keys.hostPublicKeys })));
    const privateKey = new Secret('${file:client_ed25519}', await readFile(keys.clientEd25519, 'utf8'));
    const results: TransactionResult[] = [];
    let roundTrips = 0;
    const open = async (port: number): Promise<NetconfSwitchDriver> => {
      const client = await NetconfClient.connect(
        {
          name: `sw${port}`,
          host: '127.0.0.1',
          port,
          credentials: { username: 'root', privateKey },
          hostKey: { kind: 'known-hosts', file: kh },
        },
        { rpcTimeoutMs: 60_000, helloTimeoutMs: 60_000, timeoutMs: 60_000 },
      );
      // Instrument: an RPC sent while nothing is outstanding on its session starts a new round trip.
      const s = client.session;
      const rpc = s.rpc.bind(s);
      s.rpc = (...a: Parameters<typeof rpc>) => {
        if (s.inFlight === 0) roundTrips++;
        return rpc(...a);
      };
      return createNetconfDriver(client, netconfIetf, {
        device: `sw${port}`,
        confirmTimeoutS: 120,
        onTransaction: (r) => results.push(r),
      });
    };
    t = performance.now();
    drivers.push(...(await Promise.all(ports.map(open))));
    const connectAll = performance.now() - t;
    const [first] = drivers;
    const [firstSw] = switches;
    if (first === undefined || firstSw === undefined) throw new Error('no switch');
    const route = (i: number, k: number) => ({
      prefix: `198.18.${100 + (k % 100)}.${(i % 250) + 1}/32`,
      nextHop: '198.18.0.1',
    });
    const table = await processTable();
    const procs = switches.map((sw) => switchProcs(sw, table));
    // Warm-up, untimed: JIT of the client and first-transaction work on every session, so single
    // and parallel figures are both steady state.
    for (let k = 0; k < 20; k++) await first.addHostRoute?.(route(0, 200 + k));
    await Promise.all(drivers.map((d, i) => d.addHostRoute?.(route(i, 250))));
    // single switch: median of 5 transactions (warm session)
    const single: number[] = [];
    for (let k = 0; k < 5; k++) {
      const s = performance.now();
      await first.addHostRoute?.(route(0, k));
      single.push(performance.now() - s);
    }
    const singleMs = median(single);
    // CPU per transaction on one switch (the others idle), with RPCs and round trips per transaction.
    results.length = 0;
    roundTrips = 0;
    const c0 = await snapshot(procs.slice(0, 1));
    for (let k = 0; k < CPU_SAMPLES; k++) await first.addHostRoute?.(route(0, 1000 + k));
    const cpuSingle = perTx(c0, await snapshot(procs.slice(0, 1)), CPU_SAMPLES);
    const rpcsPerTx = results.reduce((a, r) => a + r.steps.length, 0) / results.length;
    const rttPerTx = roundTrips / CPU_SAMPLES;
    const rounds: number[] = [];
    const p0 = await snapshot(procs);
    for (let k = 5; k < 8; k++) {
      const s = performance.now();
      await Promise.all(drivers.map((d, i) => d.addHostRoute?.(route(i, k))));
      rounds.push(performance.now() - s);
    }
    const cpuParallel = perTx(p0, await snapshot(procs), 3 * COUNT);
    const parallelMs = median(rounds);
    printFigures({ connectAll, single, singleMs, rounds, parallelMs, rpcsPerTx, rttPerTx, cpuSingle, cpuParallel });
  } finally {
    await Promise.all(drivers.map((d) => d.close().catch(() => undefined)));
    await Promise.all(switches.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
