/**
 * Intent-level device operations and the shape every migration strategy has. Strategies are pure:
 * they compute ordered operations from the resolved Testbed; drivers translate intents into
 * NETCONF edits, vtysh lines or `ip` commands.
 */
import type { MigrationStrategy, TunnelEncapsulation } from '../../model/testbed.js';
import type { Family, MoveContext } from '../topology.js';

export type { Family, MoveContext } from '../topology.js';

/** Where a host route points: to a neighbour device (address when the testbed knows it) or on-link. */
export interface NextHop {
  readonly device: string;
  readonly address?: string;
}
export interface OnLink {
  /** Subnet served on that device; the driver maps it to its bridge/SVI. */
  readonly subnet?: string;
  /** Port toward the hypervisor when a testbed link names it. */
  readonly port?: string;
  /** Tunnel interface (tunnel strategy). */
  readonly tunnel?: string;
  /**
   * The route serves only packets that came out of this tunnel (its delivery at the far end). It
   * stays local to the device: kept out of the routing protocols, so the rest of the network still
   * reaches the VM through the tunnel's anchor.
   */
  readonly fromTunnel?: string;
}

export type DeviceOp =
  | { readonly op: 'add-host-route'; readonly device: string; readonly prefix: string; readonly family: Family;
    readonly nextHop?: NextHop; readonly dev?: OnLink }
  | { readonly op: 'remove-host-route'; readonly device: string; readonly prefix: string; readonly family: Family;
    readonly nextHop?: NextHop; readonly dev?: OnLink }
  | { readonly op: 'bgp-announce'; readonly device: string; readonly prefix: string; readonly family: Family;
    readonly dev?: OnLink }
  | { readonly op: 'bgp-withdraw'; readonly device: string; readonly prefix: string; readonly family: Family;
    readonly dev?: OnLink }
  /**
   * A tunnel agent between the outer addresses `local` and `remote`; `encapsulation` is how its outer
   * packets look (the testbed's `defaults.tunnel.encapsulation`; absent: ipip).
   */
  | { readonly op: 'tunnel-start'; readonly device: string; readonly tunnel: string; readonly role: 'encap' | 'decap';
    readonly local: string; readonly remote: string; readonly encapsulation?: TunnelEncapsulation }
  | { readonly op: 'tunnel-stop'; readonly device: string; readonly tunnel: string; readonly role: 'encap' | 'decap';
    readonly local: string; readonly remote: string; readonly encapsulation?: TunnelEncapsulation }
  /**
   * `subnet` is the stretched segment; `access` the subnet whose bridge/SVI on this device the VNI
   * joins (the one the destination hypervisor is attached to), when it differs from `subnet`.
   */
  | { readonly op: 'evpn-attach'; readonly device: string; readonly vni: number; readonly subnet: string;
    readonly vtep: string; readonly access?: string }
  | { readonly op: 'evpn-detach'; readonly device: string; readonly vni: number; readonly subnet: string;
    readonly vtep: string; readonly access?: string }
  | { readonly op: 'anycast-gateway'; readonly device: string; readonly subnet: string; readonly gateway: string;
    readonly family: Family; readonly remove?: boolean; readonly access?: string };

export type DeviceOpKind = DeviceOp['op'];

/** Matches timeline events by kind (and host when given). */
export interface EventMatch {
  readonly kind: string;
  readonly host?: string;
}

/**
 * One edge of the expected order: `to` must follow `from` by at least minMs and at most maxMs.
 * A missing `to` is a violation only when `required`.
 */
export interface ExpectedEdge {
  readonly label: string;
  readonly from: EventMatch;
  readonly to: EventMatch;
  readonly minMs: number;
  readonly maxMs: number;
  readonly required: boolean;
}

/** What a strategy does for one move. Each phase is executed in order, one transaction per device run. */
export interface StrategyPlan {
  readonly strategy: MigrationStrategy;
  readonly prepare: readonly DeviceOp[];
  /** Applied on the destination's RESUMED event, never on the migrate call's return. */
  readonly switchover: readonly DeviceOp[];
  readonly cleanup: readonly DeviceOp[];
  /** Routers whose route tables the control-plane observer should watch. */
  readonly watchRouters: readonly string[];
  /** The router where "route installed" ends control-plane reconvergence (the gateway toward peers). */
  readonly gateway?: string;
  /** Extra RTT (ms) a peer at the given device sees versus the direct path after the move. */
  readonly extraRttMs?: Readonly<Record<string, number>>;
  /** The same before the move (the VM already sat behind a detour: the tunnel leaving a foreign site). */
  readonly extraRttBeforeMs?: Readonly<Record<string, number>>;
  readonly notes: readonly string[];
  readonly expectedOrder: readonly ExpectedEdge[];
}

export interface Strategy {
  readonly name: MigrationStrategy;
  readonly summary: string;
  /** Throws UnsupportedError when the move cannot be done with this strategy (message says why). */
  plan(ctx: MoveContext): StrategyPlan;
}
