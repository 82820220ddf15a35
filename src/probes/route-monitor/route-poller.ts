/**
 * Route observer by polling a device's route table through an injected `readRoutes` (a driver's or
 * NetworkDevice's readRoutes: NETCONF get, vtysh json), for devices that push nothing.
 *
 * Contract: `start` resolves after the first answer, the baseline, so a route present after a later
 * answer and absent from the baseline (or the reverse) is reported. Changes are stamped when the
 * answer that showed them arrived; `uncertaintyMs` is the time since the previous answer (the window in
 * which the device changed), so it covers the interval, the RPC round trip and any late answer. A
 * route added and removed within one window is not seen: the stated resolution is interval + the
 * baseline's round trip. Reads are sequential (never two in flight), each bounded by `readTimeoutMs`;
 * five failed reads in a row end the polling with a failure.
 */
import { AbortedError } from '../../errors/classes.js';
import { isVmmiError } from '../../errors/vmmi-error.js';
import { sleep, withDeadline, type IoOptions } from '../../util/abort.js';
import { diffMs, stamp, type Stamp } from '../../util/stamp.js';
import type { ObservedRecord, ObserverKind, RouteObserver } from './observed.js';
import { diffRoutes, routeSnapshot, type RouteDiff, type RouteLike, type RouteSnapshot } from './route-diff.js';

export type ReadRoutes = (io: IoOptions) => Promise<readonly RouteLike[]>;

export interface RoutePollerOptions {
  readonly router: string;
  readonly kind: Extract<ObserverKind, 'netconf-poll' | 'cli-poll'>;
  readonly readRoutes: ReadRoutes;
  /** Pause between an answer and the next request (ms, default 100). */
  readonly intervalMs?: number;
  /** Bound of one read (ms, default 5000). */
  readonly readTimeoutMs?: number;
  /** Polling ends after this (ms) even if stop is never called. */
  readonly maxLifetimeMs: number;
}

export const DEFAULT_POLL_INTERVAL_MS = 100;
const MAX_FAILED_READS = 5;

/** Diffs as records: a changed route is an `add` with `previous`, as the SSH monitor's replace. */
export function diffRecords(diffs: readonly RouteDiff[], t: Stamp, router: string, uncertaintyMs: number):
  ObservedRecord[] {
  return diffs.map((d) => ({
    object: 'route', kind: d.action === 'del' ? 'del' : d.previous === undefined ? 'add' : 'replace',
    family: d.prefix.includes(':') ? 6 : 4, prefix: d.prefix, raw: '',
    ...(d.nextHop === undefined ? {} : { via: d.nextHop }),
    ...(d.previous === undefined ? {} : { previous: d.previous }),
    t, router, uncertaintyMs: Math.round(uncertaintyMs * 1000) / 1000,
  }));
}

export async function startRoutePoller(o: RoutePollerOptions, io: IoOptions = {}): Promise<RouteObserver> {
  const intervalMs = o.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs < 1) throw new TypeError(`intervalMs: ≥ 1, got ${intervalMs}`);
  const readTimeoutMs = o.readTimeoutMs ?? 5000;
  const stopper = new AbortController();
  const read = (signal: AbortSignal): Promise<readonly RouteLike[]> =>
    withDeadline(o.readRoutes({ timeoutMs: readTimeoutMs, signal }), 'read routes',
      { timeoutMs: readTimeoutMs, signal, ctx: { device: o.router } });
  const asked = stamp();
  const first = await read(io.signal === undefined ? stopper.signal : AbortSignal.any([io.signal, stopper.signal]));
  let prev: { snap: RouteSnapshot; t: Stamp } = { snap: routeSnapshot(first), t: stamp() };
  const resolutionMs = intervalMs + diffMs(asked, prev.t);
  const records: ObservedRecord[] = [];
  let failure: string | undefined;
  const loop = (async () => {
    for (let failed = 0; !stopper.signal.aborted;) {
      try {
        await sleep(intervalMs, stopper.signal);
        const routes = await read(stopper.signal);
        const t = stamp();
        const snap = routeSnapshot(routes);
        records.push(...diffRecords(diffRoutes(prev.snap, snap), t, o.router, diffMs(prev.t, t)));
        prev = { snap, t };
        failed = 0;
      } catch (e) {
        if (stopper.signal.aborted || e instanceof AbortedError) return;
        if (++failed >= MAX_FAILED_READS) {
          failure = `${failed} route reads failed in a row, polling ended: ${isVmmiError(e) ? e.message : String(e)}`;
          return;
        }
      }
    }
  })();
  const lifetime = setTimeout(() => stopper.abort(), o.maxLifetimeMs);
  lifetime.unref();
  return {
    router: o.router, kind: o.kind, resolutionMs: Math.round(resolutionMs * 1000) / 1000,
    records: () => records,
    failure: () => failure,
    stop: async (stopIo) => {
      clearTimeout(lifetime);
      stopper.abort();
      await withDeadline(loop, 'route poller stop', { timeoutMs: stopIo.timeoutMs ?? readTimeoutMs })
        .catch(() => undefined);
    },
  };
}
