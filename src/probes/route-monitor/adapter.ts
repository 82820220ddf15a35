/**
 * The migration executor's `RouteMonitor` over per-namespace `ip monitor` processes (emulated lab,
 * or any router reachable as a local network namespace). Route changes carry the controller receipt
 * stamp (offsetMs 0); `uncertaintyMs` is the measured pipe latency (receipt − iproute2's stamp).
 * Neighbour and FDB changes are exposed as timeline events for the L2-announce/learning terms.
 */
import type { RouteChange, RouteExpectation, RouteMonitor, TimelineEvent } from '../../migration/types.js';
import type { IoOptions } from '../../util/abort.js';
import { NetnsMonitor, type MonitorRecord } from './run.js';
import { defined } from '../../model/defined.js';
import { WAIT_RECHECK_MS } from './change-signal.js';

export interface LabRouteMonitorOptions {
  /** Namespace of a router (`torB` → `vmmi-torB`). */
  readonly nsOf: (router: string) => string;
  /** argv prefix entering a router's namespace (from the emulated lab, which alone enters them). */
  readonly enterOf: (router: string) => readonly string[];
  /** Upper bound of one run's monitoring (ms); monitors die after it even if stop is never called. */
  readonly maxLifetimeMs: number;
  /** Also watch bridge FDBs (MAC moves) on these routers. */
  readonly fdb?: boolean;
}

/** Route types that are address side effects, not forwarding changes. */
const NOT_FORWARDING = new Set(['local', 'broadcast', 'multicast', 'anycast']);

/** Forwarding-relevant route records → RouteChange (replace counts as add: a new FIB entry). */
export function toRouteChanges(records: readonly MonitorRecord[]): RouteChange[] {
  const out: RouteChange[] = [];
  for (const r of records) {
    if (r.object !== 'route' || r.table === 'local' || (r.type !== undefined && NOT_FORWARDING.has(r.type))) continue;
    const hops = r.nexthops?.map((h) => h.via).filter((v) => v !== undefined).join(',');
    const nextHop = r.via ?? (hops !== undefined && hops !== '' ? hops : r.dev);
    const lag = r.kernelWallMs === undefined ? undefined : Math.max(0, r.t.wallMs - r.kernelWallMs);
    out.push({ t: r.t, router: r.router, prefix: r.prefix, action: r.kind === 'del' ? 'del' : 'add',
      ...defined({ nextHop }),
      offsetMs: 0, ...(lag === undefined ? {} : { uncertaintyMs: Math.round(lag * 1000) / 1000 }) });
  }
  return out;
}

/**
 * Neighbour/FDB records as control-plane timeline events. Neighbours keep `neigh-<kind>`. An FDB entry
 * (re)learned on a local bridge port is `mac-move` (with the previous port when it had one); one
 * installed by the overlay control plane (EVPN: `extern_learn`, or a VXLAN `dst` entry) is
 * `evpn-update`; removals stay `fdb-del`.
 */
export function toL2TimelineEvents(records: readonly MonitorRecord[]): TimelineEvent[] {
  const kindOf = (r: MonitorRecord): string => {
    if (r.object !== 'fdb' || r.kind === 'del') return `${r.object}-${r.kind}`;
    const overlay = (r.flags ?? []).includes('extern_learn') || r.dst !== undefined;
    return overlay ? 'evpn-update' : 'mac-move';
  };
  return records.filter((r) => r.object !== 'route').map((r) => ({
    t: r.t, source: 'control-plane' as const, host: r.router, kind: kindOf(r),
    detail: { address: r.prefix, ...defined({ dev: r.dev, lladdr: r.lladdr, state: r.state, previous: r.previous }) },
  }));
}

export interface LabRouteMonitor extends RouteMonitor {
  /** Running monitors by router (after start). */
  readonly monitors: ReadonlyMap<string, NetnsMonitor>;
  /** Every record seen so far, all routers, in receipt order per router. */
  records(): MonitorRecord[];
  /** Neighbour and FDB changes as timeline events (the executor keeps the VM's own). */
  timelineEvents(): TimelineEvent[];
  waitForRoutes(
    router: string,
    expect: readonly RouteExpectation[],
    sinceNs: bigint,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean>;
}

export function createLabRouteMonitor(o: LabRouteMonitorOptions): LabRouteMonitor {
  const monitors = new Map<string, NetnsMonitor>();
  const all = (): MonitorRecord[] => [...monitors.values()].flatMap((m) => m.records)
    .sort((a, b) => (a.t.monoNs < b.t.monoNs ? -1 : a.t.monoNs > b.t.monoNs ? 1 : 0));
  return {
    monitors,
    records: all,
    timelineEvents: () => toL2TimelineEvents(all()),
    async waitForRoutes(router, expect, sinceNs, timeoutMs, signal): Promise<boolean> {
      const m = monitors.get(router);
      if (m === undefined) return false;
      const want = expect.map((x) => ({ prefix: x.prefix.toLowerCase(), action: x.action }));
      const seen = (): boolean => want.every((w) => m.records.some((r) => r.object === 'route' && r.t.monoNs >= sinceNs
        && r.table !== 'local' && r.prefix.toLowerCase() === w.prefix && (r.kind === 'del') === (w.action === 'del')));
      const t0 = performance.now();
      while (!seen()) {
        if (performance.now() - t0 >= timeoutMs || signal?.aborted === true) return false;
        await m.changed.next(Math.min(WAIT_RECHECK_MS, Math.max(1, timeoutMs - (performance.now() - t0))));
      }
      return true;
    },
    async start(routers: readonly string[], io: IoOptions): Promise<void> {
      const started = await Promise.allSettled(routers.map(async (r) => {
        const m = await NetnsMonitor.start({ ns: o.nsOf(r), enter: o.enterOf(r), router: r,
          maxLifetimeMs: o.maxLifetimeMs,
          ...defined({ fdb: o.fdb }) }, io);
        monitors.set(r, m);
      }));
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed !== undefined) {
        await Promise.all([...monitors.values()].map((m) => m.stop()));
        monitors.clear();
        throw failed.reason;
      }
    },
    async stop(_io: IoOptions): Promise<readonly RouteChange[]> {
      await Promise.all([...monitors.values()].map((m) => m.stop()));
      return toRouteChanges(all());
    },
  };
}
