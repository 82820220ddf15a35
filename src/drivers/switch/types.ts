/**
 * Switch driver contract: a small base interface every driver implements, plus optional capability
 * interfaces (host routes, VM segments, tunnel endpoints) discovered with type guards, so a suite
 * can skip cleanly when a device kind cannot do what a strategy needs.
 */
import type { SwitchDriverKind } from '../../model/testbed.js';
import type { IoOptions } from '../../util/abort.js';

/** How a driver makes a configuration change undoable. */
export type RollbackMechanism =
  /** candidate + confirmed commit: the device itself reverts if vmmi goes away. */
  | 'confirmed-commit'
  /** no candidate datastore: vmmi snapshots and applies inverse changes (not crash-safe). */
  | 'checkpoint';

export interface RouteEntry {
  /** CIDR, e.g. `198.18.10.100/32` or `2001:2::64/128`. */
  readonly prefix: string;
  readonly nextHops: readonly string[];
  readonly device?: string;
  /** Protocol/source as the device names it (static, connected, bgp, kernel …). */
  readonly protocol: string;
  readonly active: boolean;
}

export interface NeighborEntry {
  readonly ip: string;
  readonly mac: string;
  readonly device?: string;
  /** Device's state word (REACHABLE, STALE, dynamic …). */
  readonly state?: string;
}

export interface MacEntry {
  readonly mac: string;
  readonly vlan?: number;
  readonly port: string;
  /** dynamic, static, remote (learned via tunnel) … */
  readonly type?: string;
}

/** Host route intent; exactly one of nextHop / device is needed by most platforms. */
export interface HostRoute {
  /** CIDR, usually /32 or /128. */
  readonly prefix: string;
  readonly nextHop?: string;
  readonly device?: string;
  readonly description?: string;
}

/** A VM segment on a switch port: bridge membership, VLAN and/or VNI. */
export interface Segment {
  readonly port: string;
  readonly vlan?: number;
  readonly vni?: number;
  /** Linux bridge / VLAN name where the platform names them. */
  readonly bridge?: string;
}

export interface TunnelEndpoint {
  readonly vni: number;
  /** Local VTEP address. */
  readonly localAddress: string;
  readonly remotes: readonly string[];
  /** UDP port, default 4789. */
  readonly udpPort?: number;
  readonly vlan?: number;
  readonly bridge?: string;
}

/** Every switch driver. */
export interface SwitchDriver {
  readonly kind: SwitchDriverKind;
  readonly device: string;
  readonly rollback: RollbackMechanism;
  readRunningConfig(o?: IoOptions): Promise<string>;
  readRoutes(o?: IoOptions): Promise<RouteEntry[]>;
  /** ARP and ND entries. */
  readNeighbors(o?: IoOptions): Promise<NeighborEntry[]>;
  readMacTable(o?: IoOptions): Promise<MacEntry[]>;
  /**
   * Software versions as the device reports them through its management interface, for the run
   * manifest (keys such as `os-release`, `junos`, `eos`, `frr`, `kernel`; `source` names the query
   * that answered). Only reported values, never defaults; throws when the device cannot be asked.
   */
  readVersion?(o?: IoOptions): Promise<Readonly<Record<string, string>>>;
  close(): Promise<void>;
}

export interface HostRouteCapable {
  addHostRoute(r: HostRoute, o?: IoOptions): Promise<void>;
  removeHostRoute(r: HostRoute, o?: IoOptions): Promise<void>;
}

/** One host-route change of a staged batch. */
export interface HostRouteChange {
  readonly route: HostRoute;
  readonly op: 'add' | 'remove';
}

/**
 * A change loaded but not yet in force (drivers/switch/transaction.ts StagedTransaction): `commit` puts
 * it in force unconfirmed, `confirm` makes it stay, `abort` takes it back at any point before confirm.
 */
export interface StagedChange {
  commit(o?: IoOptions): Promise<void>;
  confirm(o?: IoOptions): Promise<void>;
  abort(o?: IoOptions): Promise<void>;
}

/** Devices with a candidate datastore: several host routes staged as one transaction, committed later. */
export interface HostRouteStaging {
  stageHostRoutes(changes: readonly HostRouteChange[], o?: IoOptions): Promise<StagedChange>;
}

export function canStageHostRoutes(d: SwitchDriver): d is SwitchDriver & HostRouteStaging {
  return typeof (d as Partial<HostRouteStaging>).stageHostRoutes === 'function';
}

export interface SegmentCapable {
  attachSegment(s: Segment, o?: IoOptions): Promise<void>;
  detachSegment(s: Segment, o?: IoOptions): Promise<void>;
}

export interface TunnelCapable {
  configureTunnel(t: TunnelEndpoint, o?: IoOptions): Promise<void>;
  removeTunnel(t: TunnelEndpoint, o?: IoOptions): Promise<void>;
  /** VNIs with a configured tunnel endpoint (so an attach of what exists is a no-op), when readable. */
  readTunnels?(o?: IoOptions): Promise<number[]>;
}

/**
 * An L2 stretch between sites (DCI): one VLAN mapped to one VNI in an EVPN-VXLAN MAC-VRF, with its
 * route distinguisher and route targets. The VTEP source is an interface (loopback) on every
 * platform vmmi drives: none of their models takes a bare address for it.
 * Formats (dci-intent.ts): RD `ASN:nn` or `IPv4:nn`; RT `target:ASN:nn`.
 */
export interface L2Stretch {
  /** 1..16777215 (Junos: 1..16777214). */
  readonly vni: number;
  /** 1..4094. */
  readonly vlan: number;
  /** MAC-VRF / bridge-domain name; default `vmmi-l2-<vni>`. */
  readonly name?: string;
  readonly routeDistinguisher: string;
  readonly importTargets: readonly string[];
  readonly exportTargets: readonly string[];
  /** Local VTEP source interface, e.g. `lo0.0`, `Loopback0`. */
  readonly vtepInterface: string;
  /** The device's BGP AS, where the platform configures RD/RTs under `router bgp` (EOS). */
  readonly localAs?: number;
}

/** An L3VPN: a VRF with route distinguisher, route targets and the interfaces it holds. */
export interface L3Vpn {
  readonly name: string;
  readonly routeDistinguisher: string;
  readonly importTargets: readonly string[];
  readonly exportTargets: readonly string[];
  /** `name` or `name.unit` (subinterface; default unit 0), e.g. `xe-0/0/2.0`, `Ethernet2`. */
  readonly interfaces: readonly string[];
  /** The device's BGP AS, where route targets live under `router bgp` (EOS). */
  readonly localAs?: number;
}

/** Devices that stretch a VLAN/VNI between sites over EVPN-VXLAN. */
export interface L2StretchCapable {
  applyL2Stretch(s: L2Stretch, o?: IoOptions): Promise<void>;
  /** Takes back exactly what applyL2Stretch added. */
  removeL2Stretch(s: L2Stretch, o?: IoOptions): Promise<void>;
}

/** Devices that configure L3VPN VRFs. */
export interface L3VpnCapable {
  applyL3Vpn(v: L3Vpn, o?: IoOptions): Promise<void>;
  /** Takes back exactly what applyL3Vpn added. */
  removeL3Vpn(v: L3Vpn, o?: IoOptions): Promise<void>;
}

export function hasL2Stretch(d: SwitchDriver): d is SwitchDriver & L2StretchCapable {
  return typeof (d as Partial<L2StretchCapable>).applyL2Stretch === 'function';
}

export function hasL3Vpn(d: SwitchDriver): d is SwitchDriver & L3VpnCapable {
  return typeof (d as Partial<L3VpnCapable>).applyL3Vpn === 'function';
}

/** An address configured on an interface (`addr/len`). */
export interface InterfaceAddress {
  readonly iface: string;
  readonly cidr: string;
}

/** Interface addresses (anycast gateways). */
export interface AddressCapable {
  readAddresses(o?: IoOptions): Promise<InterfaceAddress[]>;
  addAddress(a: InterfaceAddress, o?: IoOptions): Promise<void>;
  removeAddress(a: InterfaceAddress, o?: IoOptions): Promise<void>;
}

export function hasAddresses(d: SwitchDriver): d is SwitchDriver & AddressCapable {
  return typeof (d as Partial<AddressCapable>).addAddress === 'function';
}

export function hasHostRoutes(d: SwitchDriver): d is SwitchDriver & HostRouteCapable {
  return typeof (d as Partial<HostRouteCapable>).addHostRoute === 'function';
}

export function hasSegments(d: SwitchDriver): d is SwitchDriver & SegmentCapable {
  return typeof (d as Partial<SegmentCapable>).attachSegment === 'function';
}

export function hasTunnels(d: SwitchDriver): d is SwitchDriver & TunnelCapable {
  return typeof (d as Partial<TunnelCapable>).configureTunnel === 'function';
}

/** Splits `a.b.c.d/n` or `x::/n`; throws TypeError on anything else. */
export function parsePrefix(prefix: string): { addr: string; len: number; family: 4 | 6 } {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(prefix);
  if (m === null) throw new TypeError(`not a CIDR prefix: "${prefix}"`);
  const family = (m[1] as string).includes(':') ? 6 : 4;
  const len = Number(m[2]);
  if (len > (family === 4 ? 32 : 128)) throw new TypeError(`prefix length too long: "${prefix}"`);
  return { addr: m[1] as string, len, family };
}
