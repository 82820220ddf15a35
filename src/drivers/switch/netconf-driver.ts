/**
 * Shared NETCONF switch driver: a vendor "dialect" supplies pure payload builders and reply
 * parsers; this file turns them into a SwitchDriver whose changes all go through `transaction()`.
 * Capability methods exist on the driver object only when the dialect supports them, so the type
 * guards in types.ts tell the truth.
 */
import type { SwitchDriverKind } from '../../model/testbed.js';
import type { NetconfClient } from '../../transports/netconf/client.js';
import type { Filter } from '../../transports/netconf/operations.js';
import type { XNode } from '../../transports/netconf/xml.js';
import { UnsupportedError } from '../../errors/classes.js';
import { checkL2Stretch, checkL3Vpn, l2StretchName } from './dci-intent.js';
import type { IoOptions } from '../../util/abort.js';
import { IETF_PLATFORM_QUERY, readNetconfVersion, type VersionQuery } from './netconf-version.js';
import {
  stageTransaction, transaction, type ChangePlan, type Changes, type ConfigChange, type TransactionOptions,
  type TransactionResult,
} from './transaction.js';
import type {
  AddressCapable,
  HostRoute,
  HostRouteCapable,
  HostRouteChange,
  HostRouteStaging,
  InterfaceAddress,
  L2Stretch,
  L2StretchCapable,
  L3Vpn,
  L3VpnCapable,
  MacEntry,
  NeighborEntry,
  RouteEntry,
  Segment,
  SegmentCapable,
  SwitchDriver,
  TunnelCapable,
  TunnelEndpoint,
} from './types.js';

export type ChangeOp = 'add' | 'remove';

/** Host routes configured before a removal, read so the last removal can restore running exactly. */
export interface HostRouteContext {
  readonly configured: readonly string[];
  /** vmmi's routing instance is the only one on the device. */
  readonly onlyInstance: boolean;
}

/**
 * A DCI intent in one dialect: its payload and the plan that decides, from running read inside the
 * transaction, what an apply or removal may touch.
 */
export interface DciIntent<T> {
  /** The whole intent's payload (what apply sends on a device that holds none of it). */
  readonly build: (intent: T, op: ChangeOp) => ConfigChange;
  /** Subtree of running the plan reads. */
  readonly filter: (intent: T) => Filter;
  /**
   * Pure: the edits given running's `<data>`. Throws PrecheckError (nothing edited) when the change would
   * take or destroy configuration vmmi did not create; an empty list when nothing of vmmi's is there.
   */
  readonly plan: (intent: T, op: ChangeOp, running: XNode | undefined, device: string) => readonly ConfigChange[];
}

/** The transaction plan of a DCI change: read the intent's subtree of running under the lock, then decide. */
export function dciPlan<T>(d: DciIntent<T>, intent: T, op: ChangeOp, device: string): ChangePlan {
  return async (c, o) => d.plan(intent, op, (await c.getConfig('running', d.filter(intent), o)).data, device);
}

/** Vendor-specific payloads and parsers (pure except the read functions, which issue RPCs). */
export interface NetconfDialect {
  readonly kind: SwitchDriverKind;
  /** Subtree of running that holds everything the dialect configures (snapshots, diffs). */
  readonly configFilter?: Filter;
  /** `ctx`: what was configured before a removal, when `configuredHostRoutes` exists. */
  readonly hostRoute?: (r: HostRoute, op: ChangeOp, ctx?: HostRouteContext) => ConfigChange;
  /** The host routes vmmi configured (lets a removal take its container away with the last route). */
  readonly configuredHostRoutes?: (c: NetconfClient, o: IoOptions) => Promise<HostRouteContext>;
  /** Filter reading back just one configured host route (verify); default: `configFilter`. */
  readonly hostRouteFilter?: (prefix: string) => Filter;
  readonly segment?: (s: Segment, op: ChangeOp) => ConfigChange;
  readonly tunnel?: (t: TunnelEndpoint, op: ChangeOp) => ConfigChange;
  readTunnels?(c: NetconfClient, o: IoOptions): Promise<number[]>;
  readonly address?: (a: InterfaceAddress, op: ChangeOp) => ConfigChange;
  readAddresses?(c: NetconfClient, o: IoOptions): Promise<InterfaceAddress[]>;
  /** EVPN-VXLAN L2 stretch (DCI). */
  readonly l2Stretch?: DciIntent<L2Stretch>;
  /** L3VPN VRF (DCI). */
  readonly l3Vpn?: DciIntent<L3Vpn>;
  /** Filter reading back one network/routing instance by name (verifies the DCI intents). */
  readonly instanceFilter?: (name: string) => Filter;
  readRoutes(c: NetconfClient, o: IoOptions): Promise<RouteEntry[]>;
  readNeighbors(c: NetconfClient, o: IoOptions): Promise<NeighborEntry[]>;
  readMacTable?(c: NetconfClient, o: IoOptions): Promise<MacEntry[]>;
  /** Version queries in order of trust (default: ietf-system platform); the hello is the fallback. */
  readonly versionQueries?: readonly VersionQuery[];
}

export interface NetconfDriverOptions {
  readonly device: string;
  /** Device confirm timer for every change (s, default 120). */
  readonly confirmTimeoutS?: number;
  /** Called with every transaction result (timings, persist id, diff) for the report. */
  readonly onTransaction?: (r: TransactionResult) => void;
}

export type NetconfSwitchDriver = SwitchDriver &
  Partial<HostRouteCapable & HostRouteStaging & SegmentCapable & TunnelCapable & AddressCapable> &
  Partial<L2StretchCapable & L3VpnCapable> & {
    readonly client: NetconfClient;
    /** Applies arbitrary changes (or a plan from running) as one transaction (escape hatch for suites). */
    apply(
      changes: Changes,
      o?: IoOptions & Pick<TransactionOptions, 'verify'>,
    ): Promise<TransactionResult>;
  };

/** Builds a driver over an open NETCONF client. */
export function createNetconfDriver(client: NetconfClient, d: NetconfDialect, opts: NetconfDriverOptions):
  NetconfSwitchDriver {
  const apply = async (changes: Changes, o: IoOptions & Pick<TransactionOptions, 'verify'> = {}):
    Promise<TransactionResult> => {
    const r = await transaction(client, changes, {
      confirmTimeoutS: opts.confirmTimeoutS ?? 120, snapshots: false, ...o,
      ...(d.configFilter ? { snapshotFilter: d.configFilter } : {}),
    });
    opts.onTransaction?.(r);
    return r;
  };
  const driver: NetconfSwitchDriver = {
    kind: d.kind,
    device: opts.device,
    // Devices without a candidate datastore get vmmi's checkpoint/restore on running instead.
    rollback: client.hasCandidate ? 'confirmed-commit' : 'checkpoint',
    client,
    apply,
    async readRunningConfig(o = {}) {
      return (await client.getConfig('running', d.configFilter, o)).xml();
    },
    readRoutes: (o = {}) => d.readRoutes(client, o),
    readNeighbors: (o = {}) => d.readNeighbors(client, o),
    readMacTable: (o = {}) => {
      if (d.readMacTable === undefined) {
        return Promise.reject(
          new UnsupportedError(`${d.kind} has no MAC table model`, { device: opts.device, operation: 'readMacTable' }),
        );
      }
      return d.readMacTable(client, o);
    },
    readVersion: (o = {}) => readNetconfVersion(client, d.versionQueries ?? [IETF_PLATFORM_QUERY], o),
    close: () => client.close(),
  };
  const hostRoute = d.hostRoute;
  if (hostRoute !== undefined) {
    driver.addHostRoute = async (r, o = {}) => {
      await apply([hostRoute(r, 'add')], { ...o, verify: routeVerifier(d, r.prefix, true) });
    };
    driver.removeHostRoute = async (r, o = {}) => {
      const ctx = await d.configuredHostRoutes?.(client, o);
      await apply([hostRoute(r, 'remove', ctx)], { ...o, verify: routeVerifier(d, r.prefix, false) });
    };
    if (client.hasCandidate) {
      driver.stageHostRoutes = async (changes, o = {}) => {
        const ctx = changes.some((c) => c.op === 'remove') ? await d.configuredHostRoutes?.(client, o) : undefined;
        const edits = hostRouteEdits(hostRoute, changes, ctx);
        const checks = changes.map((c) => routeVerifier(d, c.route.prefix, c.op === 'add'));
        const staged = await stageTransaction(client, edits, {
          confirmTimeoutS: opts.confirmTimeoutS ?? 120, snapshots: false, ...o,
          ...(d.configFilter ? { snapshotFilter: d.configFilter } : {}),
          // Every route read back (pipelined reads) before the confirming commit; the first miss is the reason.
          verify: async (c, io) => (await Promise.all(checks.map((v) => v(c, io)))).find((w) => w !== undefined),
          verifyAtConfirm: true,
        });
        return {
          commit: () => staged.commit(),
          confirm: async () => {
            // Not `onTransaction?.(await …)`: optional chaining would skip the confirm when nobody listens.
            const r = await staged.confirm();
            opts.onTransaction?.(r);
          },
          abort: () => staged.abort(),
        };
      };
    }
  }
  const segment = d.segment;
  if (segment !== undefined) {
    driver.attachSegment = async (s, o = {}) => void (await apply([segment(s, 'add')], o));
    driver.detachSegment = async (s, o = {}) => void (await apply([segment(s, 'remove')], o));
  }
  const tunnel = d.tunnel;
  if (tunnel !== undefined) {
    driver.configureTunnel = async (t, o = {}) => void (await apply([tunnel(t, 'add')], o));
    driver.removeTunnel = async (t, o = {}) => void (await apply([tunnel(t, 'remove')], o));
    const readTunnels = d.readTunnels;
    if (readTunnels !== undefined) driver.readTunnels = (o = {}) => readTunnels(client, o);
  }
  const address = d.address;
  const readAddresses = d.readAddresses;
  if (address !== undefined && readAddresses !== undefined) {
    driver.readAddresses = (o = {}) => readAddresses(client, o);
    driver.addAddress = async (a, o = {}) => void (await apply([address(a, 'add')], o));
    driver.removeAddress = async (a, o = {}) => void (await apply([address(a, 'remove')], o));
  }
  addDci(driver, d, opts.device, apply);
  return driver;
}

type Apply = NetconfSwitchDriver['apply'];

/**
 * The DCI capabilities a dialect has. Each change reads the intent's subtree of running inside its
 * transaction and plans from it (refusing what vmmi did not create), then is verified by reading its
 * instance back.
 */
function addDci(driver: NetconfSwitchDriver, d: NetconfDialect, device: string, apply: Apply): void {
  const { l2Stretch, l3Vpn, instanceFilter } = d;
  if (instanceFilter === undefined) return;
  if (l2Stretch !== undefined) {
    const change = async (s: L2Stretch, op: ChangeOp, o: IoOptions): Promise<void> => {
      checkL2Stretch(s, device);
      await apply(dciPlan(l2Stretch, s, op, device),
        { ...o, verify: instanceVerifier(instanceFilter, l2StretchName(s), op === 'add') });
    };
    driver.applyL2Stretch = (s, o = {}) => change(s, 'add', o);
    driver.removeL2Stretch = (s, o = {}) => change(s, 'remove', o);
  }
  if (l3Vpn !== undefined) {
    const change = async (v: L3Vpn, op: ChangeOp, o: IoOptions): Promise<void> => {
      checkL3Vpn(v, device);
      await apply(dciPlan(l3Vpn, v, op, device), { ...o, verify: instanceVerifier(instanceFilter, v.name, op === 'add') });
    };
    driver.applyL3Vpn = (v, o = {}) => change(v, 'add', o);
    driver.removeL3Vpn = (v, o = {}) => change(v, 'remove', o);
  }
}

/** After the confirmed commit: the named instance must (not) be in running. */
export function instanceVerifier(filter: (name: string) => Filter, name: string, present: boolean):
  (c: NetconfClient, o: IoOptions) => Promise<string | undefined> {
  return async (c, o) => {
    const xml = (await c.getConfig('running', filter(name), o)).xml();
    if (xml.includes(`>${name}<`) === present) return undefined;
    return `instance ${name} ${present ? 'missing from' : 'still in'} running config`;
  };
}

/**
 * The edits of a batch, in order. A removal is built against what is configured once the batch's earlier
 * changes are made, so the last route of vmmi's instance still takes the instance with it.
 */
function hostRouteEdits(hostRoute: NonNullable<NetconfDialect['hostRoute']>, changes: readonly HostRouteChange[],
  ctx: HostRouteContext | undefined): ConfigChange[] {
  let configured = ctx?.configured ?? [];
  return changes.map((c) => {
    const now = ctx === undefined ? undefined : { ...ctx, configured };
    configured = c.op === 'add' ? [...new Set([...configured, c.route.prefix])]
      : configured.filter((p) => p !== c.route.prefix);
    return hostRoute(c.route, c.op, now);
  });
}

/** After the confirmed commit: the prefix must (not) appear in running's configured routes. */
function routeVerifier(d: NetconfDialect, prefix: string, present: boolean):
  (c: NetconfClient, o: IoOptions) => Promise<string | undefined> {
  const filter = d.hostRouteFilter?.(prefix) ?? d.configFilter;
  return async (c, o) => {
    const xml = (await c.getConfig('running', filter, o)).xml();
    const has = xml.includes(`>${prefix}<`);
    if (has === present) return undefined;
    return `route ${prefix} ${present ? 'missing from' : 'still in'} running config`;
  };
}
