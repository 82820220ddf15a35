/**
 * Fan-out: configure 50 emulated switches (loopback netconfd + sshd each, ports 18420-18469) in
 * parallel. "Configure" = one full vmmi transaction per switch through the netconf-ietf driver
 * (lock, discard, edit, confirmed commit with persist, verify, confirming commit, unlock: 7 RPCs in
 * 3 round trips) adding a host route. Sessions are opened first and timed separately. Needs root
 * and Linux (CPU time per process is read from /proc/<pid>/task/<tid>/schedstat).
 *
 *   npx tsx bench/netconf-fanout.ts [switches]
 * Targets: vmmi's CPU per transaction ≤ 1 ms (one switch busy, mean of 30 after 25 warm-up
 * transactions); each parallel round finishes within 1.3× its CPU floor.
 *
 * The CPU floor of a round is the CPU all its processes used during it (vmmi's process, and per
 * switch sshd, netconf-subsystem and netconfd), divided by the cores: every switch here shares the
 * controller's cores, so the round cannot end sooner however well the transactions overlap. Wall
 * time above the floor is time a core sat idle or ran something else; the bench prints both (the
 * machine's busy time from /proc/stat, ours and others'), so a round slowed by other work on the
 * machine shows as such. The figure needs a quiet machine; CPU per transaction is the one to trust
 * under load. 20 transactions on one switch and one parallel round run first, untimed.
 *
 * Last line, fixed form for scripts:
 *   netconf-fanout: cpu per transaction X ms, fan-out Y x the cpu floor
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLabKeys, startNetconfSwitch, writeKnownHosts, type NetconfSwitch } from '../src/lab/netconfd.js';
import { Secret } from '../src/model/secret.js';
import { NetconfClient } from '../src/transports/netconf/client.js';
import { createNetconfDriver, type NetconfSwitchDriver } from '../src/drivers/switch/netconf-driver.js';
import { netconfIetf } from '../src/drivers/switch/netconf-ietf.js';
import type { TransactionResult } from '../src/drivers/switch/transaction.js';
import { sshConnect, type SshTarget } from '../src/transports/ssh.js';

const COUNT = Number(process.argv[2] ?? 50);
const BASE_PORT = 18420;
/** Sequential transactions on one switch for the CPU accounting. */
const CPU_SAMPLES = 30;
/** Timed parallel rounds (the median is reported). */
const ROUNDS = 5;

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

/** CPU so far (ms, 10-ms ticks) of every process on the machine, with its name. */
async function allProcessCpu(): Promise<Map<number, { comm: string; ms: number }>> {
  const out = new Map<number, { comm: string; ms: number }>();
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = await readFile(`/proc/${d}/stat`, 'utf8');
      const close = st.lastIndexOf(')');
      const f = st.slice(close + 2).split(' ');
      out.set(Number(d), { comm: st.slice(st.indexOf('(') + 1, close), ms: (Number(f[11]) + Number(f[12])) * 10 });
    } catch {
      // exited while scanning
    }
  }
  return out;
}

/** The processes outside this bench that used the most CPU between two allProcessCpu() readings. */
function othersBetween(a: Map<number, { comm: string; ms: number }>, b: Map<number, { comm: string; ms: number }>,
  ours: ReadonlySet<number>): string {
  const byName = new Map<string, number>();
  let sum = 0;
  for (const [pid, x] of b) {
    if (ours.has(pid)) continue;
    const d = x.ms - (a.get(pid)?.ms ?? 0);
    if (d <= 0) continue;
    sum += d;
    byName.set(x.comm, (byName.get(x.comm) ?? 0) + d);
  }
  const top = [...byName].sort((x, y) => y[1] - x[1]).slice(0, 4).map(([n, ms]) => `${n} ${ms} ms`);
  return `${sum} ms${top.length > 0 ? ` (${top.join(', ')})` : ''}`;
}

/** Machine-wide busy and total CPU time in ms from /proc/stat (all processes, ours or not). */
async function machineCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  // USER_HZ is 100 on Linux: a tick is 10 ms.
  return { busy: busy * 10, total: (busy + (idle ?? 0) + (iowait ?? 0)) * 10 };
}

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

/**
 * CPU so far of vmmi's process (all its threads) and of the switches' processes by role. The
 * switches' /proc files are read first and vmmi's own counter last, so reading ~150 processes' files
 * is not counted as vmmi's; `after` reverses the order for the same reason.
 */
async function snapshot(procs: readonly SwitchProcs[], order: 'before' | 'after' = 'before'): Promise<CpuSnapshot> {
  const vmmiMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const v = order === 'after' ? vmmiMs() : 0;
  const s: CpuSnapshot = { vmmi: 0, netconfd: 0, sshd: 0, 'netconf-subsystem': 0 };
  for (const p of procs) for (const { pid, role } of p.pids) s[role] += await cpuMs(pid);
  s.vmmi = order === 'after' ? v : vmmiMs();
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

/** One timed parallel round: wall time, CPU of all its processes, and what the machine did meanwhile. */
interface Round {
  readonly wallMs: number;
  readonly cpu: CpuSnapshot;
  /** Busy CPU of the whole machine during the round (ms, /proc/stat, 10-ms ticks). */
  readonly machineBusyMs: number;
}

interface Figures {
  readonly connectAll: number;
  readonly single: readonly number[];
  readonly singleMs: number;
  readonly rounds: readonly Round[];
  readonly rpcsPerTx: number;
  readonly rttPerTx: number;
  readonly cpuSingle: CpuSnapshot;
  /** vmmi's process CPU per transaction for the bare frames over ssh2 (transportFloorMs). */
  readonly transportMs: number;
}

/** A round's CPU floor: all its processes' CPU divided by the cores. */
const floorOf = (r: Round, cores: number): number => total(r.cpu) / cores;

/** Prints each figure with its reference and ratio; the last line has the fixed form for scripts. */
function printFigures(f: Figures, cores: number): void {
  const { connectAll, single, singleMs, rounds, rpcsPerTx, rttPerTx, cpuSingle, transportMs } = f;
  console.log(`connect (SSH + hello) to ${COUNT} switches in parallel: ${connectAll.toFixed(0)} ms`);
  console.log(
    `one transaction on one switch (median of 5): ${singleMs.toFixed(1)} ms  [${single.map((x) => x.toFixed(0)).join(', ')}]`,
  );
  console.log(`per transaction: ${rpcsPerTx.toFixed(1)} RPCs in ${rttPerTx.toFixed(1)} round trips`);
  console.log(`CPU per transaction, one switch busy (mean of ${CPU_SAMPLES}): ${fmt(cpuSingle)}`);
  console.log(`vmmi's CPU per transaction: ${cpuSingle.vmmi.toFixed(2)} ms (target ≤ 1 ms); the same frames over ssh2 ` +
    `without vmmi's session and driver: ${transportMs.toFixed(2)} ms, so vmmi's code adds ` +
    `${(cpuSingle.vmmi - transportMs).toFixed(2)} ms`);
  const all = rounds.reduce<CpuSnapshot>((a, r) => ({ vmmi: a.vmmi + r.cpu.vmmi, netconfd: a.netconfd + r.cpu.netconfd,
    sshd: a.sshd + r.cpu.sshd, 'netconf-subsystem': a['netconf-subsystem'] + r.cpu['netconf-subsystem'] }),
  { vmmi: 0, netconfd: 0, sshd: 0, 'netconf-subsystem': 0 });
  console.log(`CPU per transaction, ${COUNT} switches busy (mean of ${rounds.length * COUNT}): ` +
    fmt(perTx({ vmmi: 0, netconfd: 0, sshd: 0, 'netconf-subsystem': 0 }, all, rounds.length * COUNT)));
  console.log(`one transaction on each of ${COUNT} switches in parallel, ${rounds.length} rounds (${cores} cores):`);
  for (const [i, r] of rounds.entries()) {
    const floor = floorOf(r, cores);
    const others = Math.max(0, r.machineBusyMs - total(r.cpu));
    console.log(
      `  round ${i + 1}: ${r.wallMs.toFixed(1)} ms, CPU floor ${floor.toFixed(1)} ms (${total(r.cpu).toFixed(0)} ms CPU: ` +
        `vmmi ${r.cpu.vmmi.toFixed(0)}, switches ${(total(r.cpu) - r.cpu.vmmi).toFixed(0)}) → ` +
        `${(r.wallMs / floor).toFixed(2)}× the floor; machine busy ${r.machineBusyMs.toFixed(0)} of ` +
        `${(r.wallMs * cores).toFixed(0)} ms core time (others ≈ ${others.toFixed(0)} ms), vmmi busy ` +
        `${((100 * r.cpu.vmmi) / r.wallMs).toFixed(0)} % of the round`,
    );
  }
  const ratio = median(rounds.map((r) => r.wallMs / floorOf(r, cores)));
  const wall = median(rounds.map((r) => r.wallMs));
  console.log(`parallel round: median ${wall.toFixed(1)} ms, ${(wall / singleMs).toFixed(1)}× the single-switch time; ` +
    `median ${ratio.toFixed(2)}× its CPU floor (target ≤ 1.3×)`);
  // Explanation only, not the figure: the share of the round other processes took from our cores.
  const net = median(rounds.map((r) =>
    (r.wallMs - Math.max(0, r.machineBusyMs - total(r.cpu)) / cores) / floorOf(r, cores)));
  console.log(`  with the core time other processes used taken out (wall − others / cores): median ${net.toFixed(2)}× ` +
    'the floor (1.0 = the cores never idled for want of our work)');
  console.log(`netconf-fanout: cpu per transaction ${cpuSingle.vmmi.toFixed(2)} ms, fan-out ${ratio.toFixed(2)} x the cpu floor`);
}

/**
 * The same transaction's 7 frames, written as fixed text over one SSH `netconf` channel in its 3
 * round trips, replies only counted (no session, driver, XML or timers of vmmi): what ssh2, Node's
 * streams and the kernel cost the client on their own. vmmi's CPU per transaction minus this is
 * what vmmi's code adds. Measured like vmmi's figure: 25 transactions warm-up, mean of the next 30.
 */
async function transportFloorMs(target: SshTarget): Promise<number> {
  const ssh = await sshConnect(target, { timeoutMs: 60_000 });
  try {
    const ch = await ssh.subsystem('netconf', { timeoutMs: 60_000 });
    let buf = '';
    let want = 0;
    let wake = (): void => undefined;
    ch.on('data', (b: Buffer) => {
      buf += b.toString('latin1');
      for (let i = buf.indexOf(want < 0 ? ']]>]]>' : '\n##\n'); i >= 0; i = buf.indexOf('\n##\n')) {
        buf = buf.slice(i + (want < 0 ? 6 : 4));
        want = want < 0 ? 0 : want - 1;
        if (want === 0) wake();
      }
    });
    const roundTrip = (frames: string, replies: number): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        want = replies;
        wake = resolve;
        ch.write(frames);
        setTimeout(() => reject(new Error('transport floor: no reply in 60 s')), 60_000).unref();
      });
    await roundTrip('<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>' +
      'urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>]]>]]>', -1);
    let id = 0;
    const f = (body: string): string => {
      const x = `<rpc message-id="${++id}" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">${body}</rpc>`;
      return `\n#${Buffer.byteLength(x)}\n${x}\n##\n`;
    };
    const rt = '<routing xmlns="urn:ietf:params:xml:ns:yang:ietf-routing"><control-plane-protocols>' +
      '<control-plane-protocol><type xmlns:rt="urn:ietf:params:xml:ns:yang:ietf-routing">rt:static</type><name>vmmi</name>' +
      '<static-routes><ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ipv4-unicast-routing"><route><destination-prefix>';
    const end = '</ipv4></static-routes></control-plane-protocol></control-plane-protocols></routing>';
    const tx = async (k: number): Promise<void> => {
      const prefix = `198.18.${100 + (k % 100)}.251/32`;
      await roundTrip(f('<lock><target><candidate/></target></lock>') + f('<discard-changes/>') +
        f(`<edit-config><target><candidate/></target><error-option>rollback-on-error</error-option><config>${rt}` +
          `${prefix}</destination-prefix><next-hop><next-hop-address>198.18.0.1</next-hop-address></next-hop></route>` +
          `${end}</config></edit-config>`), 3);
      await roundTrip(f(`<commit><confirmed/><confirm-timeout>120</confirm-timeout><persist>floor${k}</persist></commit>`) +
        f(`<get-config><source><running/></source><filter type="subtree">${rt}${prefix}</destination-prefix></route>` +
          `${end}</filter></get-config>`), 2);
      await roundTrip(f(`<commit><persist-id>floor${k}</persist-id></commit>`) +
        f('<unlock><target><candidate/></target></unlock>'), 2);
    };
    for (let k = 0; k < 25; k++) await tx(k);
    const u0 = process.cpuUsage();
    for (let k = 0; k < CPU_SAMPLES; k++) await tx(100 + k);
    const u = process.cpuUsage(u0);
    return (u.user + u.system) / 1000 / CPU_SAMPLES;
  } finally {
    ssh.close();
  }
}

/** ROUNDS timed rounds of one transaction on every switch at once, each with its CPU and the machine's. */
async function parallelRounds(drivers: readonly NetconfSwitchDriver[], procs: readonly SwitchProcs[],
  route: (i: number, k: number) => { prefix: string; nextHop: string }): Promise<Round[]> {
  const rounds: Round[] = [];
  console.log(`load average before the parallel rounds: ${load()}`);
  const ours = new Set([process.pid, ...procs.flatMap((p) => p.pids.map((x) => x.pid))]);
  const everyone0 = await allProcessCpu();
  for (let k = 5; k < 5 + ROUNDS; k++) {
    const c = await snapshot(procs);
    const m = await machineCpu();
    const s = performance.now();
    await Promise.all(drivers.map((d, i) => d.addHostRoute?.(route(i, k))));
    const wallMs = performance.now() - s;
    const m1 = await machineCpu();
    rounds.push({ wallMs, cpu: perTx(c, await snapshot(procs, 'after'), 1), machineBusyMs: m1.busy - m.busy });
  }
  console.log(`load average after: ${load()}; CPU of other processes during the rounds (/proc, 10-ms ticks): ` +
    othersBetween(everyone0, await allProcessCpu(), ours));
  return rounds;
}

async function main(): Promise<void> {
  console.log(`load average at start: ${load()}`);
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
    const target = (port: number): SshTarget => ({ name: `sw${port}`, host: '127.0.0.1', port,
      credentials: { username: 'root', privateKey }, hostKey: { kind: 'known-hosts', file: kh } });
    const open = async (port: number): Promise<NetconfSwitchDriver> => {
      const client = await NetconfClient.connect(target(port),
        { rpcTimeoutMs: 60_000, helloTimeoutMs: 60_000, timeoutMs: 60_000 });
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
    const cpuSingle = perTx(c0, await snapshot(procs.slice(0, 1), 'after'), CPU_SAMPLES);
    const rpcsPerTx = results.reduce((a, r) => a + r.steps.length, 0) / results.length;
    const rttPerTx = roundTrips / CPU_SAMPLES;
    const transportMs = await transportFloorMs(target(BASE_PORT));
    const rounds = await parallelRounds(drivers, procs, route);
    printFigures({ connectAll, single, singleMs, rounds, rpcsPerTx, rttPerTx, cpuSingle, transportMs },
      availableParallelism());
  } finally {
    await Promise.all(drivers.map((d) => d.close().catch(() => undefined)));
    await Promise.all(switches.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
