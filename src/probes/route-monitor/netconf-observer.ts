/**
 * Route observer of a NETCONF device: YANG-push (RFC 8641) when the device's hello advertises
 * ietf-yang-push, otherwise polling its routes through an injected `readRoutes` (route-poller.ts).
 *
 * YANG-push contract: `start` resolves once the subscription is established and its first push-update
 * (the baseline: sync-on-start for on-change, the first period otherwise) has arrived; later updates
 * become add/del records by diffing snapshots (push-update) or from the yang-patch edits
 * (push-change-update). Records are stamped on receipt; `uncertaintyMs` is the path's one-way delay
 * (half the median round trip of a few empty `get`s, measured at start), plus the period when periodic.
 * The notification's eventTime is the device clock and is not used for `t`. A subscription the device
 * ends (subscription-terminated/-suspended) or a session that closes is reported by `failure()`.
 */
import { ProtocolError } from '../../errors/classes.js';
import type { NetconfClient } from '../../transports/netconf/client.js';
import type { NetconfNotification } from '../../transports/netconf/notifications.js';
import { el } from '../../transports/netconf/xml-build.js';
import { withDeadline, type IoOptions } from '../../util/abort.js';
import { monoMs, stamp, type Stamp } from '../../util/stamp.js';
import type { ObservedRecord, RouteObserver } from './observed.js';
import { diffRoutes, routeKey, routeSnapshot, type RouteDiff } from './route-diff.js';
import { DEFAULT_POLL_INTERVAL_MS, diffRecords, startRoutePoller, type ReadRoutes } from './route-poller.js';
import { median } from './ssh-delay.js';
import { ChangeSignal } from './change-signal.js';
import {
  deleteSubscription, establishSubscription, parsePushNotification, subscriptionIdOf, yangPushSupport,
  type PushMessage, type PushMode, type PushSelection,
} from './yang-push.js';

export interface YangPushObserverOptions {
  readonly router: string;
  readonly client: NetconfClient;
  /** Close the client at stop (true when it was opened for this observer alone). */
  readonly ownsClient: boolean;
  /** Default: on-change when the hello lists the feature, else periodic. */
  readonly mode?: PushMode;
  /** Period of a periodic subscription (ms, default 100; sent in centiseconds). */
  readonly periodMs?: number;
  readonly selection?: PushSelection;
  readonly maxLifetimeMs: number;
}

/** Half the median round trip of three `get`s whose subtree filter selects nothing (ms). */
export async function netconfOneWayMs(client: NetconfClient, io: IoOptions): Promise<number> {
  const rtts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = monoMs();
    await client.get({ type: 'subtree', content: el('nothing', { xmlns: 'urn:vmmi:delay-probe' }) }, io);
    rtts.push(monoMs() - t0);
  }
  return Math.round((median(rtts) / 2) * 1000) / 1000;
}

type Snapshot = Map<string, string>;

/** Records for one push message against the current snapshot (which it updates). */
function applyPush(m: PushMessage, snap: Snapshot, t: Stamp, router: string, u: number): ObservedRecord[] {
  if (m.kind === 'update') {
    const next = routeSnapshot(m.routes);
    const out = diffRecords(diffRoutes(snap, next), t, router, u);
    snap.clear();
    for (const [k, v] of next) snap.set(k, v);
    return out;
  }
  if (m.kind !== 'change') return [];
  const diffs: RouteDiff[] = [];
  for (const p of m.removals.map(routeKey)) {
    const hops = snap.get(p);
    snap.delete(p);
    diffs.push({ prefix: p, action: 'del', ...(hops === undefined || hops === '' ? {} : { nextHop: hops }) });
  }
  for (const [k, hops] of routeSnapshot(m.upserts)) {
    const old = snap.get(k);
    if (old === hops) continue;
    snap.set(k, hops);
    diffs.push({ prefix: k, action: 'add', ...(hops === '' ? {} : { nextHop: hops }),
      ...(old === undefined ? {} : { previous: old }) });
  }
  return diffRecords(diffs, t, router, u);
}

export async function startYangPushObserver(o: YangPushObserverOptions, io: IoOptions = {}): Promise<RouteObserver> {
  const support = yangPushSupport(o.client.capabilities);
  const mode = o.mode ?? (support.onChange ? 'on-change' : 'periodic');
  const periodMs = o.periodMs ?? DEFAULT_POLL_INTERVAL_MS;
  const bound: IoOptions = { timeoutMs: io.timeoutMs ?? 10_000,
    ...(io.signal === undefined ? {} : { signal: io.signal }) };
  const oneWay = await netconfOneWayMs(o.client, bound);
  const u = mode === 'periodic' ? periodMs + oneWay : oneWay;
  const records: ObservedRecord[] = [];
  const signal = new ChangeSignal();
  const snap: Snapshot = new Map();
  let id: string | undefined;
  let failure: string | undefined;
  let unparsed = 0;
  let haveBaseline = false;
  let baseline: () => void = () => undefined;
  const gotBaseline = new Promise<void>((resolve) => { baseline = resolve; });
  const early: { n: NetconfNotification; t: Stamp }[] = [];
  const handle = (n: NetconfNotification, t: Stamp): void => {
    const m = parsePushNotification(n.body);
    if (m.kind === 'other' || m.id !== id) return;
    if (m.kind === 'ended') failure = m.reason;
    if (m.kind === 'change') unparsed += m.unparsed;
    // The first full update is the baseline: what was there before the subscription is not a change.
    const found = applyPush(m, snap, t, o.router, u);
    if (haveBaseline && found.length > 0) {
      records.push(...found);
      signal.notify();
    }
    if (m.kind === 'update' && !haveBaseline) {
      haveBaseline = true;
      baseline();
    }
  };
  // Registered before the RPC: a device may send the first update right behind (or, wrongly, before) the reply.
  const off = o.client.session.onNotification((n) => {
    if (id === undefined) early.push({ n, t: stamp() });
    else handle(n, stamp());
  });
  const offClose = o.client.session.onClose((err) => { failure ??= `NETCONF session closed: ${err?.message ?? ''}`; });
  let stopped = false;
  const stop = async (stopIo: IoOptions): Promise<void> => {
    if (stopped) return;
    stopped = true;
    clearTimeout(lifetime);
    off();
    offClose();
    const tmo = { timeoutMs: stopIo.timeoutMs ?? 5000 };
    if (id !== undefined && !o.client.session.closed)
      await o.client.rpc(deleteSubscription(id), tmo).catch(() => undefined);
    if (o.ownsClient) await o.client.close(tmo);
  };
  const lifetime = setTimeout(() => void stop({}), o.maxLifetimeMs);
  lifetime.unref();
  try {
    const reply = await o.client.rpc(establishSubscription(mode, periodMs, o.selection), bound);
    id = subscriptionIdOf(reply.root());
    if (id === undefined) throw new ProtocolError('establish-subscription reply has no <id>', { device: o.router });
    for (const x of early.splice(0)) handle(x.n, x.t);
    await withDeadline(gotBaseline, 'first push-update', { ...bound, ctx: { device: o.router } });
  } catch (e) {
    await stop({});
    throw e;
  }
  return {
    router: o.router, kind: 'yang-push', resolutionMs: u,
    records: () => records,
    changed: (maxMs: number) => signal.next(maxMs),
    failure: () => failure ?? (unparsed > 0 ? `${unparsed} yang-patch edit(s) named no route prefix` : undefined),
    stop,
  };
}

export interface NetconfObserverOptions {
  readonly router: string;
  /** A session for this observer alone; it is closed at stop. */
  readonly client: NetconfClient;
  /** The fallback when the device has no YANG-push. */
  readonly readRoutes: ReadRoutes;
  /** Poll interval, or period of a periodic subscription (ms, default 100). */
  readonly intervalMs?: number;
  readonly maxLifetimeMs: number;
}

/** YANG-push when the hello lists it, else polling `readRoutes` (the client is then closed at once). */
export async function startNetconfObserver(o: NetconfObserverOptions, io: IoOptions = {}): Promise<RouteObserver> {
  if (yangPushSupport(o.client.capabilities).push) {
    return startYangPushObserver({ router: o.router, client: o.client, ownsClient: true,
      maxLifetimeMs: o.maxLifetimeMs, ...(o.intervalMs === undefined ? {} : { periodMs: o.intervalMs }) }, io);
  }
  await o.client.close({ timeoutMs: io.timeoutMs ?? 5000 });
  return startRoutePoller({ router: o.router, kind: 'netconf-poll', readRoutes: o.readRoutes,
    maxLifetimeMs: o.maxLifetimeMs, ...(o.intervalMs === undefined ? {} : { intervalMs: o.intervalMs }) }, io);
}
