/**
 * How the controller reaches the nodes of a testbed other than through hypervisor and switch drivers:
 * where probes run, where commands run on a traffic host, which host answers for a subnet (conflict
 * probes), which observers watch the routers and who runs tunnel endpoints. Two providers implement
 * it and the testbed's data picks one (harness/open.ts `accessFor`):
 * - the emulated lab (src/lab/access.ts), whose nodes are network namespaces on this host;
 * - devices (harness/device-access.ts), reached only through their management interfaces (SSH exec,
 *   SFTP, NETCONF); with it open, no process of this controller may enter a namespace.
 */
import type { CommandRunner } from '../exec/types.js';
import type { CapabilityNeeds } from '../migration/drivers.js';
import type { FloodObserver, RouteMonitor } from '../migration/types.js';
import type { Subnet, TrafficHost, Vm } from '../model/testbed.js';
import type { ProbePlacement } from '../probes/udp/run.js';
import type { LabTunnelDriver } from '../tunnel/lab-driver.js';
import type { IoOptions } from '../util/abort.js';

/** A host attached to a subnet, where the destination-subnet conflict probe runs. */
export interface SubnetHost {
  /** Name for messages (`client`, `hv3-host`, `netns:vmmi-hv3`). */
  readonly name: string;
  /** A runner on the host and its interface on the subnet (a bridge in the lab, a NIC on a plain host). */
  open(io: IoOptions): Promise<{ readonly runner: CommandRunner; readonly dev: string }>;
}

/** What a run needs from the testbed that the precheck can find missing (each names the device). */
export type AccessNeeds = CapabilityNeeds;

export interface TestbedAccess {
  /** One line for manifests and messages: how this testbed's nodes are reached. */
  readonly via: string;
  /**
   * Makes the named traffic hosts ready (SSH hosts: connect, check `node`, upload the agent) so that
   * `placementOf` answers at once. Throws PrecheckError naming what a host lacks.
   */
  prepare(hosts: readonly TrafficHost[], io: IoOptions): Promise<void>;
  /** Where probes of this host run (after `prepare`). */
  placementOf(host: TrafficHost): ProbePlacement;
  /**
   * The path probe helper on a prepared traffic host that runs it remotely (SSH: uploaded once per run);
   * undefined where it runs from this machine's build (the lab's namespaces, local hosts).
   */
  pathProbeOf?(host: TrafficHost, io: IoOptions): Promise<string | undefined>;
  /** Runs commands on a traffic host (guest control queries); undefined when the host offers none. */
  runnerOf(host: TrafficHost, io: IoOptions): Promise<CommandRunner | undefined>;
  /** A host attached to `subnet` for the conflict probe; undefined when the testbed has none. */
  subnetHost(subnet: Subnet): SubnetHost | undefined;
  /** The route, neighbour and FDB observers of the testbed's routers. */
  readonly routes: RouteMonitor;
  /** Counts the flooding in the VM's segments over the move window, when the testbed can. */
  readonly flooding?: FloodObserver;
  /** Tunnel endpoints on devices, when the testbed can run them. */
  readonly tunnels: LabTunnelDriver | undefined;
  /** Capabilities a run with `needs` lacks, each one line naming the device and what it must offer. */
  missing(needs: AccessNeeds, io: IoOptions): Promise<readonly string[]>;
  /**
   * Boots a fresh copy of `vm` at `source` after an infrastructure failure (a guest that stopped
   * answering), when the testbed can; hardware cannot, and the failure stands.
   */
  readonly freshVm?: (vm: Vm, source: string) => Promise<{ vm: Vm; from: string } | undefined>;
  /**
   * A cheaper reachability check of a guest from `host` than the probe agent (the lab's plain-node
   * echo), when the provider has one.
   */
  echoFrom?(host: TrafficHost): ((target: string, port: number, io: IoOptions) => Promise<boolean>) | undefined;
  /** Controller-stamped route events: their resolution, ms. */
  readonly routeResolutionMs: number;
  /** True when every clock involved is one host's (the lab), so cross-host offsets are 0 by construction. */
  readonly clockSyncKnown: boolean;
  close(): Promise<void>;
}
