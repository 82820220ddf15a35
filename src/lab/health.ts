import { runLocal } from '../exec/local.js';
import type { IoOptions } from '../util/abort.js';
import { bgpSessions, type BgpSession } from './frr.js';
import { hostOf } from './addr.js';
import type { LabPlan } from './topology.js';

/**
 * The lab's health gate. The verdict is pure; the checks here need no drivers (BGP through vtysh,
 * the guests' reflectors from the client namespace). The NETCONF hello check (host key verified)
 * comes from the composition root, which owns the NETCONF client.
 */

export interface CheckResult {
  /** Node the check concerns (`vm1`, `torA`, `torA→coreA`). */
  readonly node: string;
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface HealthVerdict {
  readonly ok: boolean;
  readonly results: readonly CheckResult[];
  /** One line per failed check: `<node>: <check>: <why>`. */
  readonly failures: readonly string[];
}

export function healthVerdict(results: readonly CheckResult[]): HealthVerdict {
  const failures = results.filter((r) => !r.ok).map((r) => `${r.node}: ${r.check}: ${r.detail}`);
  return { ok: results.length > 0 && failures.length === 0, results, failures };
}

export function bgpResults(sessions: readonly BgpSession[]): CheckResult[] {
  return sessions.map((s) => ({
    node: `${s.router}→${s.peer}`, check: `BGP ${s.address}`, ok: s.state === 'Established', detail: s.state,
  }));
}

export async function checkBgp(plan: LabPlan, opts: IoOptions = {}): Promise<CheckResult[]> {
  return bgpResults(await bgpSessions(plan, opts));
}

/**
 * Bounded UDP echo check run by a short-lived `node` inside a namespace: up to `count` datagrams,
 * one every `intervalMs`, success on the first echo carrying our random token. Prints
 * `ok <rtt ms>` or `fail <why>` and always exits within count × interval + 500 ms.
 */
const UDP_CHECK = `
const dgram = await import('node:dgram');
const [host, port, count, interval] = process.argv.slice(1);
const token = Buffer.from('vmmi-health-' + Math.random().toString(36).slice(2));
const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
let sent = 0, t0 = 0, done = false;
const end = (msg) => { if (done) return; done = true; console.log(msg); s.close(); };
s.on('message', (m) => { if (m.equals(token)) end('ok ' + (performance.now() - t0).toFixed(2)); });
s.on('error', (e) => end('fail ' + e.message));
const tick = () => {
  if (done) return;
  if (sent >= Number(count)) { setTimeout(() => end('fail no echo to ' + sent + ' datagram(s)'), 500); return; }
  t0 = performance.now(); sent++;
  s.send(token, Number(port), host, () => setTimeout(tick, Number(interval)));
};
tick();
`;

export async function udpEcho(ns: string, address: string, port: number,
  o: { count?: number; intervalMs?: number } & IoOptions = {}): Promise<{ ok: boolean; detail: string }> {
  const count = o.count ?? 20;
  const interval = o.intervalMs ?? 100;
  const r = await runLocal(
    [
      'ip',
      'netns',
      'exec',
      ns,
      process.execPath,
      '--input-type=module',
      '-e',
      UDP_CHECK,
      address,
      String(port),
      String(count),
      String(interval),
    ],
    { timeoutMs: count * interval + 5000, ...(o.signal ? { signal: o.signal } : {}) },
  );
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (line.startsWith('ok ')) return { ok: true, detail: `echo in ${line.slice(3)} ms` };
  return {
    ok: false,
    detail: line.startsWith('fail ') ? line.slice(5) : `checker failed: ${r.stderr.trim().slice(0, 200)}`,
  };
}

export interface ReflectorTarget {
  readonly vm: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly port: number;
}

/** Every VM's reflector from the client namespace, over IPv4 and IPv6 (each address it has). */
export async function checkReflectors(
  plan: LabPlan,
  vms: readonly ReflectorTarget[],
  opts: IoOptions = {},
): Promise<CheckResult[]> {
  const ns = plan.clientNs;
  if (ns === undefined)
    return [{ node: 'client', check: 'reflector', ok: false, detail: 'the testbed has no netns traffic host' }];
  const jobs = vms.flatMap((vm) => [
    ...(vm.ipv4 ? [{ vm: vm.vm, fam: 'IPv4', addr: hostOf(vm.ipv4), port: vm.port }] : []),
    ...(vm.ipv6 ? [{ vm: vm.vm, fam: 'IPv6', addr: hostOf(vm.ipv6), port: vm.port }] : []),
  ]);
  return Promise.all(
    jobs.map(async (j): Promise<CheckResult> => {
      const r = await udpEcho(ns, j.addr, j.port, opts);
      return { node: j.vm, check: `reflector ${j.fam} ${j.addr}:${j.port} from client`, ok: r.ok, detail: r.detail };
    }),
  );
}
