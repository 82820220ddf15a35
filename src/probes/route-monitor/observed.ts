/**
 * What the device observers (SSH exec monitor, YANG-push, polling) have in common, pure: the record
 * they keep, the observer handle, and the mapping onto the executor's RouteChange / TimelineEvent.
 *
 * Every record is stamped on receipt at the controller (`t`), so `offsetMs` is 0. Its `uncertaintyMs`
 * says how long before `t` the change may have happened on the device: the SSH path's one-way delay
 * for pushed records, the window between two answers for polled ones. A device's own timestamps
 * (iproute2's, a notification's eventTime) are another clock and are never used for `t`.
 */
import type { RouteChange, RouteExpectation, TimelineEvent } from '../../migration/types.js';
import { defined } from '../../model/defined.js';
import type { IoOptions } from '../../util/abort.js';
import type { Stamp } from '../../util/stamp.js';
import type { MonitorEvent } from './parse.js';

/** How a device's changes are observed (select.ts chooses by platform data). */
export type ObserverKind = 'ssh-exec' | 'yang-push' | 'netconf-poll' | 'cli-poll';

/** One change seen on a device. */
export interface ObservedRecord extends MonitorEvent {
  /** Controller receipt stamp. */
  readonly t: Stamp;
  readonly router: string;
  /** ms before `t` within which the change happened on the device. */
  readonly uncertaintyMs: number;
}

/** One running observer of one device. */
export interface RouteObserver {
  readonly router: string;
  readonly kind: ObserverKind;
  /** Stated resolution (ms): the bound on `uncertaintyMs` the observer expects to keep. */
  readonly resolutionMs: number;
  /** Records so far, in receipt order. */
  records(): readonly ObservedRecord[];
  /** Resolves at the next record or after `maxMs` (absent: the waiter polls). */
  changed?(maxMs: number): Promise<void>;
  /** Why the observer stopped seeing changes before `stop` (channel lost, subscription ended). */
  failure(): string | undefined;
  /** Ends the observation and whatever it runs on the device; idempotent. */
  stop(io: IoOptions): Promise<void>;
}

/** Route types that are address side effects, not forwarding changes. */
const NOT_FORWARDING = new Set(['local', 'broadcast', 'multicast', 'anycast']);

const isForwarding = (r: ObservedRecord): boolean =>
  r.object === 'route' && r.table !== 'local' && (r.type === undefined || !NOT_FORWARDING.has(r.type));

/** Forwarding-relevant route records → RouteChange (a replace counts as add: a new FIB entry). */
export function observedRouteChanges(records: readonly ObservedRecord[]): RouteChange[] {
  return records.filter(isForwarding).map((r) => {
    const hops = r.nexthops?.map((h) => h.via).filter((v) => v !== undefined).join(',');
    const nextHop = r.via ?? (hops !== undefined && hops !== '' ? hops : r.dev);
    return { t: r.t, router: r.router, prefix: r.prefix, action: r.kind === 'del' ? 'del' : 'add',
      ...defined({ nextHop }), offsetMs: 0, uncertaintyMs: r.uncertaintyMs };
  });
}

/**
 * Neighbour/FDB records as control-plane timeline events, named as the lab monitor names them:
 * `neigh-<kind>`; an FDB entry learned on a local port `mac-move`, one installed by the overlay
 * (extern_learn or a VXLAN dst) `evpn-update`; removals `fdb-del`.
 */
export function observedTimelineEvents(records: readonly ObservedRecord[]): TimelineEvent[] {
  const kindOf = (r: ObservedRecord): string => {
    if (r.object !== 'fdb' || r.kind === 'del') return `${r.object}-${r.kind}`;
    return (r.flags ?? []).includes('extern_learn') || r.dst !== undefined ? 'evpn-update' : 'mac-move';
  };
  return records.filter((r) => r.object !== 'route').map((r) => ({
    t: r.t, source: 'control-plane' as const, host: r.router, kind: kindOf(r), uncertaintyMs: r.uncertaintyMs,
    detail: { address: r.prefix, ...defined({ dev: r.dev, lladdr: r.lladdr, state: r.state, previous: r.previous }) },
  }));
}

/** True when `records` show every expected change at or after `sinceNs` (controller monotonic clock). */
export function showsAll(records: readonly ObservedRecord[], expect: readonly RouteExpectation[],
  sinceNs: bigint): boolean {
  return expect.every((w) => records.some((r) => isForwarding(r) && r.t.monoNs >= sinceNs
    && r.prefix.toLowerCase() === w.prefix.toLowerCase() && (r.kind === 'del') === (w.action === 'del')));
}

/** Merges several observers' records in receipt order. */
export function byReceipt(records: readonly ObservedRecord[]): ObservedRecord[] {
  return [...records].sort((a, b) => (a.t.monoNs < b.t.monoNs ? -1 : a.t.monoNs > b.t.monoNs ? 1 : 0));
}
