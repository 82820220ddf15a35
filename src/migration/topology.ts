/**
 * Pure topology queries over a resolved Testbed: who is the TOR of a hypervisor, the next router
 * toward a device, hop distances (for ordering route pushes) and path delays (for expected RTT).
 */
import { UnsupportedError } from '../errors/classes.js';
import type { Hypervisor, Subnet, Switch, Testbed, Vm } from '../model/testbed.js';
import { defined } from '../model/defined.js';

/** IP address family. */
export type Family = 4 | 6;

/** Everything a strategy needs to plan one move (strategies/types.ts re-exports it with the strategy shapes). */
export interface MoveContext {
  readonly testbed: Testbed;
  readonly vm: Vm;
  /** Hypervisor names. */
  readonly source: string;
  readonly destination: string;
  readonly families: readonly Family[];
}

interface Adj {
  readonly peer: string;
  readonly port: string;
  readonly delayMs: number;
}

export interface ResolvedMove {
  readonly vm: Vm;
  readonly src: Hypervisor;
  readonly dst: Hypervisor;
  readonly home: Subnet;
  /** Subnet natively served at the destination site (the home subnet when the site is the same). */
  readonly dstSubnet?: Subnet;
  readonly srcTor: Switch;
  readonly dstTor: Switch;
  /** TOR at the home subnet's site: where the VM's prefix is natively attracted. */
  readonly homeTor: Switch;
  readonly sameSite: boolean;
  /** Host prefixes (/32, /128) per requested family the VM has an address in. */
  readonly prefixes: ReadonlyArray<{ readonly family: Family; readonly prefix: string; readonly address: string }>;
}

function adjacency(tb: Testbed): Map<string, Adj[]> {
  const adj = new Map<string, Adj[]>();
  const add = (a: string, port: string, b: string, delayMs: number): void => {
    const list = adj.get(a) ?? [];
    list.push({ peer: b, port, delayMs });
    adj.set(a, list);
  };
  for (const l of tb.links) {
    const [x, y] = l.endpoints;
    const d = l.impairment?.delayMs ?? 0;
    add(x.device, x.port, y.device, d);
    add(y.device, y.port, x.device, d);
  }
  return adj;
}

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined)
    throw new UnsupportedError(`${what} not found in the testbed`, { hint: 'check the testbed file' });
  return v;
}

/** The TOR a hypervisor is linked to (else the first TOR of its site). */
export function torOf(tb: Testbed, hv: Hypervisor): Switch {
  const peers = (adjacency(tb).get(hv.name) ?? []).map((a) => a.peer);
  const linked = tb.switches.find((s) => s.role === 'tor' && peers.includes(s.name));
  const bySite = tb.switches.find((s) => s.role === 'tor' && s.site === hv.site);
  return must(linked ?? bySite, `TOR of hypervisor "${hv.name}"`);
}

/** The TOR's port toward a hypervisor, when a link names it. */
export function torPortToward(tb: Testbed, tor: string, hv: string): string | undefined {
  return (adjacency(tb).get(tor) ?? []).find((a) => a.peer === hv)?.port;
}

function hostPrefix(addr: string, family: Family): { prefix: string; address: string } {
  const address = addr.split('/')[0] ?? addr;
  return { address, prefix: `${address}/${family === 4 ? 32 : 128}` };
}

export function resolveMove(ctx: MoveContext): ResolvedMove {
  const tb = ctx.testbed;
  const src = must(tb.hypervisors.find((h) => h.name === ctx.source), `source hypervisor "${ctx.source}"`);
  const dst = must(
    tb.hypervisors.find((h) => h.name === ctx.destination),
    `destination hypervisor "${ctx.destination}"`,
  );
  const home = must(
    tb.subnets.find((s) => s.name === ctx.vm.subnet),
    `subnet "${ctx.vm.subnet}" of VM "${ctx.vm.name}"`,
  );
  const homeTor = must(tb.switches.find((s) => s.role === 'tor' && s.site === home.site), `TOR of site "${home.site}"`);
  const dstSubnet = home.site === dst.site ? home : tb.subnets.find((s) => s.site === dst.site);
  const prefixes: { family: Family; prefix: string; address: string }[] = [];
  for (const f of ctx.families) {
    const a = f === 4 ? ctx.vm.ipv4 : ctx.vm.ipv6;
    if (a !== undefined) prefixes.push({ family: f, ...hostPrefix(a, f) });
  }
  if (prefixes.length === 0) {
    throw new UnsupportedError(
      `VM "${ctx.vm.name}" has no address in the requested families (${ctx.families.join(', ')})`,
    );
  }
  return {
    vm: ctx.vm, src, dst, home, homeTor, prefixes,
    ...defined({ dstSubnet }),
    srcTor: torOf(tb, src), dstTor: torOf(tb, dst), sameSite: src.site === dst.site,
  };
}

/**
 * Shortest paths from `target` over the link graph by hop count, never through hypervisors.
 * Returns, per switch, its hop distance and the next switch toward `target` with the local port.
 */
export function routesToward(tb: Testbed, target: string): Map<string, { dist: number; next?: string; port?: string }> {
  const adj = adjacency(tb);
  const hvs = new Set(tb.hypervisors.map((h) => h.name));
  const switches = new Set(tb.switches.map((s) => s.name));
  const parent = new Map<string, { dist: number; via?: string }>([[target, { dist: 0 }]]);
  const queue = [target];
  for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
    const d = parent.get(node)?.dist ?? 0;
    for (const a of adj.get(node) ?? []) {
      if (parent.has(a.peer) || hvs.has(a.peer)) continue;
      parent.set(a.peer, { dist: d + 1, via: node });
      queue.push(a.peer);
    }
  }
  const out = new Map<string, { dist: number; next?: string; port?: string }>();
  for (const [node, p] of parent) {
    if (!switches.has(node)) continue;
    if (p.via === undefined) {
      out.set(node, { dist: 0 });
      continue;
    }
    // First switch along the path (skips non-router relays such as a WAN delay box).
    let hop = p.via;
    while (!switches.has(hop)) hop = parent.get(hop)?.via ?? target;
    const port = (adj.get(node) ?? []).find((a) => a.peer === p.via)?.port;
    out.set(node, { dist: p.dist, next: hop, ...defined({ port }) });
  }
  return out;
}

/** Switches reachable from `target`, nearest first (ties by name, for a stable order). */
export function byDistance(tb: Testbed, target: string): string[] {
  const r = routesToward(tb, target);
  return [...r.entries()].sort((a, b) => a[1].dist - b[1].dist || a[0].localeCompare(b[0])).map(([n]) => n);
}

/** One-way delay (ms) of the lowest-delay path between two devices (Dijkstra over link delays). */
export function pathDelayMs(tb: Testbed, from: string, to: string): number | undefined {
  const adj = adjacency(tb);
  const dist = new Map<string, number>([[from, 0]]);
  const done = new Set<string>();
  for (;;) {
    let cur: string | undefined;
    for (const [n, d] of dist) if (!done.has(n) && (cur === undefined || d < (dist.get(cur) ?? Infinity))) cur = n;
    if (cur === undefined) return undefined;
    if (cur === to) return dist.get(cur);
    done.add(cur);
    const base = dist.get(cur) ?? 0;
    for (const a of adj.get(cur) ?? []) {
      if (base + a.delayMs < (dist.get(a.peer) ?? Infinity)) dist.set(a.peer, base + a.delayMs);
    }
  }
}

/** Tunnel/VTEP endpoint address of a switch: its router id, else its management address. */
export function endpointOf(sw: Switch): string {
  return sw.routerId ?? sw.address;
}
