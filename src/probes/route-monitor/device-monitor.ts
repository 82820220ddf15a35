/**
 * The executor's RouteMonitor for hardware: one observer per router, chosen by select.ts from the
 * testbed's switch data (and the NETCONF hello), reaching each device only through SSH and NETCONF.
 * Same surface as the lab's createLabRouteMonitor: RouteChanges at stop, neighbour/FDB changes as
 * timeline events, waitForRoutes. Connections are opened through injected factories, so the
 * composition root decides pools, profiles and credentials; every observer owns what it is given and
 * closes it at stop.
 */
import { UsageError } from '../../errors/classes.js';
import type { RouteChange, RouteMonitor, TimelineEvent } from '../../migration/types.js';
import type { Switch } from '../../model/testbed.js';
import { cliEndpoint } from '../../model/switch-access.js';
import type { NetconfClient } from '../../transports/netconf/client.js';
import { sshConnect, type SshConnection, type SshTarget } from '../../transports/ssh.js';
import type { IoOptions } from '../../util/abort.js';
import { stamp } from '../../util/stamp.js';
import { startYangPushObserver } from './netconf-observer.js';
import {
  byReceipt, observedRouteChanges, observedTimelineEvents, showsAll, type ObservedRecord, type ObserverKind,
  type RouteObserver,
} from './observed.js';
import { startRoutePoller, type ReadRoutes } from './route-poller.js';
import { noObserverError, observerFor, pushCapableKind, type ObserverChoice, type SelectOptions } from './select.js';
import { startSshMonitor } from './ssh-monitor.js';
import { WAIT_RECHECK_MS } from './change-signal.js';

export interface DeviceRouteMonitorDeps extends SelectOptions {
  /** The testbed's switches; `start` takes router names among them. */
  readonly switches: readonly Switch[];
  /** The router's route reader for polling (a NetworkDevice's or driver's readRoutes). */
  readonly readRoutesOf: (router: string) => ReadRoutes;
  /** Opens a NETCONF session for the observer alone (it is closed at stop). Absent: NETCONF devices are polled. */
  readonly netconfClientOf?: (sw: Switch, io: IoOptions) => Promise<NetconfClient>;
  /** Opens an SSH connection for the monitor alone (closed at stop). Default: sshConnect(sshTargetFor(sw)). */
  readonly connectSsh?: (sw: Switch, io: IoOptions) => Promise<SshConnection>;
  /** Upper bound of one run's observation (ms); remote monitors and pollers end after it regardless. */
  readonly maxLifetimeMs: number;
  /** Also watch bridge FDBs on SSH-exec devices. Default false. */
  readonly fdb?: boolean;
}

export interface DeviceRouteMonitor extends RouteMonitor {
  /** How each started router is observed, with its stated resolution (ms). */
  observers(): ReadonlyMap<string, { readonly kind: ObserverKind; readonly resolutionMs: number }>;
  records(): ObservedRecord[];
  timelineEvents(): TimelineEvent[];
  waitForRoutes: NonNullable<RouteMonitor['waitForRoutes']>;
}

/** Where a switch's Linux shell answers SSH: the CLI port when the testbed names one. */
export function sshTargetFor(sw: Switch): SshTarget {
  return cliEndpoint(sw);
}

async function startObserver(sw: Switch, first: ObserverChoice, d: DeviceRouteMonitorDeps, io: IoOptions):
  Promise<RouteObserver> {
  const common = { router: sw.name, maxLifetimeMs: d.maxLifetimeMs };
  if (first.kind === 'ssh-exec') {
    const connection = await (d.connectSsh ?? ((s, o) => sshConnect(sshTargetFor(s), o)))(sw, io);
    return startSshMonitor({ ...common, connection, ownsConnection: true, fdb: d.fdb === true }, io);
  }
  let choice: ObserverChoice = first;
  if (pushCapableKind(sw.kind) && d.netconfClientOf !== undefined) {
    const client = await d.netconfClientOf(sw, io);
    choice = observerFor(sw, client.capabilities, d);
    if (choice.kind === 'yang-push') {
      return startYangPushObserver({ ...common, client, ownsClient: true, mode: choice.mode,
        ...(d.pollIntervalMs === undefined ? {} : { periodMs: d.pollIntervalMs }) }, io);
    }
    await client.close({ timeoutMs: io.timeoutMs ?? 5000 });
  }
  if (choice.kind === 'none') throw noObserverError(sw.name, choice.missing);
  if (choice.kind !== 'netconf-poll' && choice.kind !== 'cli-poll') throw new UsageError(`unexpected ${choice.kind}`);
  return startRoutePoller({ ...common, kind: choice.kind, readRoutes: d.readRoutesOf(sw.name),
    ...(d.pollIntervalMs === undefined ? {} : { intervalMs: d.pollIntervalMs }) }, io);
}

/** Choices for every router, refusing before anything starts when one cannot be observed at all. */
function choose(routers: readonly string[], d: DeviceRouteMonitorDeps): [Switch, ObserverChoice][] {
  return routers.map((r) => {
    const sw = d.switches.find((s) => s.name === r);
    if (sw === undefined) throw noObserverError(r, 'a switch entry in the testbed (it has none by this name)');
    const c = observerFor(sw, undefined, d);
    // A NETCONF device's hello may still offer YANG-push; only one that cannot be asked is refused here.
    if (c.kind === 'none' && !(pushCapableKind(sw.kind) && d.netconfClientOf !== undefined))
      throw noObserverError(sw.name, c.missing);
    return [sw, c];
  });
}

export function createDeviceRouteMonitor(d: DeviceRouteMonitorDeps): DeviceRouteMonitor {
  const running = new Map<string, RouteObserver>();
  const failures: TimelineEvent[] = [];
  const all = (): ObservedRecord[] => byReceipt([...running.values()].flatMap((o) => o.records()));
  const stopAll = async (io: IoOptions): Promise<void> => {
    const t = stamp();
    for (const o of running.values()) {
      const why = o.failure();
      if (why !== undefined) failures.push({ t, source: 'control-plane', host: o.router, kind: 'observer-failed',
        detail: { observer: o.kind, reason: why } });
    }
    await Promise.all([...running.values()].map((o) => o.stop(io)));
  };
  return {
    observers: () => new Map([...running].map(([r, o]) => [r, { kind: o.kind, resolutionMs: o.resolutionMs }])),
    records: all,
    timelineEvents: () => [...observedTimelineEvents(all()), ...failures],
    async start(routers, io): Promise<void> {
      const choices = choose(routers, d);
      const started = await Promise.allSettled(choices.map(async ([sw, c]) => {
        running.set(sw.name, await startObserver(sw, c, d, io));
      }));
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed !== undefined) {
        await Promise.all([...running.values()].map((o) => o.stop({ timeoutMs: 2000 })));
        running.clear();
        throw failed.reason;
      }
    },
    async stop(io): Promise<readonly RouteChange[]> {
      await stopAll(io);
      return observedRouteChanges(all());
    },
    async waitForRoutes(router, expect, sinceNs, timeoutMs, signal): Promise<boolean> {
      const o = running.get(router);
      if (o === undefined) return false;
      const t0 = performance.now();
      while (!showsAll(o.records(), expect, sinceNs)) {
        if (performance.now() - t0 >= timeoutMs || signal?.aborted === true) return false;
        const left = Math.max(1, timeoutMs - (performance.now() - t0));
        await (o.changed?.(Math.min(WAIT_RECHECK_MS, left)) ?? new Promise((res) => setTimeout(res, 5)));
      }
      return true;
    },
  };
}
