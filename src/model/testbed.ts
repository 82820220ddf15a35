import type { Secret } from './secret.js';

/** Drivers a hypervisor can be reached through. */
export const HYPERVISOR_DRIVER_KINDS = ['libvirt-rpc', 'virsh'] as const;
export type HypervisorDriverKind = (typeof HYPERVISOR_DRIVER_KINDS)[number];

/** Switch driver kinds; the registry in drivers/switch maps each to a factory. */
export const SWITCH_DRIVER_KINDS = ['netconf-ietf', 'frr-ssh', 'junos-netconf', 'eos', 'openconfig-netconf'] as const;
export type SwitchDriverKind = (typeof SWITCH_DRIVER_KINDS)[number];

export const SWITCH_ROLES = ['tor', 'gateway', 'core', 'wan-edge'] as const;
export type SwitchRole = (typeof SWITCH_ROLES)[number];

export const MIGRATION_STRATEGIES = ['l2', 'host-route-static', 'host-route-bgp', 'tunnel', 'evpn-l2'] as const;
export type MigrationStrategy = (typeof MIGRATION_STRATEGIES)[number];

/**
 * How QEMU moves the guest's memory (docs/migration-modes.md): `precopy` (iterate until the remaining
 * memory fits the max downtime), `postcopy` (start precopy, then switch: the guest runs on the
 * destination and faults missing pages in), `auto-converge` (precopy that throttles the guest's vCPUs),
 * `multifd` (precopy over several parallel connections), `xbzrle` (precopy sending XOR-delta encoded
 * pages from a cache).
 */
export const MIGRATION_MODES = ['precopy', 'postcopy', 'auto-converge', 'multifd', 'xbzrle'] as const;
export type MigrationMode = (typeof MIGRATION_MODES)[number];

/** The mode of a move and each mode's settings (only the chosen mode's settings are used). */
export interface MigrationModeSettings {
  readonly mode: MigrationMode;
  readonly postcopy: {
    /** Switch to postcopy once this many precopy passes completed (memory_iteration > N). */
    readonly afterIterations: number;
    /** ...or earlier, once the remaining bytes did not shrink over this many passes (precopy stalls). */
    readonly stallIterations: number;
  };
  /** vCPU throttle QEMU starts with and adds per pass that does not converge, percent (absent: QEMU's). */
  readonly autoConverge: { readonly initialPct?: number; readonly incrementPct?: number };
  readonly multifd: { readonly channels: number };
  /** xbzrle page cache, MiB (QEMU's default when absent). */
  readonly xbzrle: { readonly cacheMiB?: number };
}

/**
 * How the tunnel strategy's agents encapsulate (lab-assets/tunagent.c `-e`): IP-in-IP (RFC 2003/4213,
 * protocol 4 or 41), GRE (RFC 2784, protocol 47), or the agents' own UDP format with a control header.
 */
export const TUNNEL_ENCAPSULATIONS = ['ipip', 'gre', 'udp'] as const;
export type TunnelEncapsulation = (typeof TUNNEL_ENCAPSULATIONS)[number];

export const TRAFFIC_HOST_KINDS = ['local', 'netns', 'ssh'] as const;
export type TrafficHostKind = (typeof TRAFFIC_HOST_KINDS)[number];

export interface Site {
  readonly name: string;
  readonly description?: string;
}

/** How an SSH peer's host key is verified. `insecure` exists for throw-away labs and is reported. */
export type HostKeyPolicy =
  | { readonly kind: 'known-hosts'; readonly file: string }
  | { readonly kind: 'fingerprint'; readonly sha256: string }
  | { readonly kind: 'insecure-accept-any-host-key' };

export interface Credentials {
  readonly username: string;
  readonly password?: Secret;
  /** Private key (PEM/OpenSSH) contents, resolved from a reference. */
  readonly privateKey?: Secret;
  readonly passphrase?: Secret;
}

export interface Hypervisor {
  readonly name: string;
  readonly site: string;
  /** libvirt URI the controller uses, e.g. `qemu+tcp://198.18.10.11/system`. */
  readonly uri: string;
  /** libvirt URI other hypervisors use as the peer-to-peer migration destination. */
  readonly migrationUri: string;
  readonly driver: HypervisorDriverKind;
  /** Address on the management / lab network. */
  readonly address: string;
  readonly credentials?: Credentials;
  readonly hostKey?: HostKeyPolicy;
  readonly group?: string;
}

export interface CliAccess {
  readonly port: number;
  readonly platform: 'linux' | 'frr-vtysh' | 'junos' | 'eos';
  /** The CLI's own login; absent: the switch's `credentials` (one account for NETCONF and CLI). */
  readonly credentials?: Credentials;
}

export interface Switch {
  readonly name: string;
  readonly site: string;
  readonly role: SwitchRole;
  readonly kind: SwitchDriverKind;
  readonly address: string;
  /** NETCONF (or main protocol) port. */
  readonly port: number;
  readonly credentials: Credentials;
  readonly hostKey: HostKeyPolicy;
  readonly cli?: CliAccess;
  /** Autonomous system number when the switch speaks BGP. */
  readonly asn?: number;
  /** Router id / loopback or uplink address used as VTEP and BGP id. */
  readonly routerId?: string;
  readonly group?: string;
}

export interface LinkEndpoint {
  readonly device: string;
  readonly port: string;
  /** Interface address with prefix length on this end, when the link is routed. */
  readonly ipv4?: string;
  readonly ipv6?: string;
}

/** WAN impairment of a link, one way, applied in both directions. */
export interface Impairment {
  readonly delayMs: number;
  readonly jitterMs: number;
  readonly lossPct: number;
  /** 0 = unlimited. */
  readonly rateMbit: number;
}

export interface Link {
  readonly name: string;
  readonly endpoints: readonly [LinkEndpoint, LinkEndpoint];
  readonly impairment?: Impairment;
  readonly wan: boolean;
}

export interface AddressFamilyPlan {
  /** CIDR prefix, e.g. `198.18.10.0/24`. */
  readonly prefix: string;
  readonly gateway: string;
}

export interface Subnet {
  readonly name: string;
  readonly site: string;
  readonly ipv4?: AddressFamilyPlan;
  readonly ipv6?: AddressFamilyPlan;
  readonly vni?: number;
  /** Interface serving the subnet on its switches (SVI/bridge), when the testbed names it. */
  readonly interface?: string;
  /** Interface holding the subnet's gateway addresses, when the testbed names it. */
  readonly gatewayInterface?: string;
}

export interface Vm {
  readonly name: string;
  readonly home: string;
  readonly subnet: string;
  /** Address with prefix length, e.g. `198.18.10.100/24`. */
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly mac: string;
  readonly memoryMiB: number;
  readonly vcpus: number;
  /** UDP reflector port (0 = no reflector: probes fall back to ICMP, labelled coarse). */
  readonly reflectorPort: number;
  /** TCP echo port for the session-survival probe (0 = none: runs carry no tcp_survived figure). */
  readonly tcpEchoPort: number;
  /**
   * UDP control port of the guest's reflector (0 = none). Through it vmmi asks the guest's memory
   * checker (lab-assets/memcheck.c) after every move whether the guest's memory still holds its
   * pattern: the record's memory_integrity. Without it the move is recorded `unchecked`.
   */
  readonly controlPort: number;
}

export interface TrafficHost {
  readonly name: string;
  readonly kind: TrafficHostKind;
  readonly site?: string;
  /** Network namespace name (kind netns; the lab prefixes it per run). */
  readonly netns?: string;
  readonly address?: string;
  /** SSH port (kind ssh; default 22). */
  readonly port?: number;
  /** The host's interface on its subnet (conflict probes), when the testbed names it. */
  readonly interface?: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly credentials?: Credentials;
  readonly hostKey?: HostKeyPolicy;
  /**
   * Probe every migration from this host unless a run names its traffic hosts. A lab guest under TCG
   * echoes a few kpps at most: each extra host adds two flows and a TCP session to its load.
   */
  readonly probeByDefault: boolean;
}

export interface MigrationDefaults {
  /** MiB/s; always passed to libvirt (QEMU's own default of 32 MiB/s makes migrations ~8× longer). */
  readonly bandwidthMiBs: number;
  readonly maxDowntimeMs: number;
  readonly strategy: MigrationStrategy;
  readonly timeoutMs: number;
  /**
   * Load each router's switchover transaction while the VM migrates (candidate datastore: lock, edit),
   * so the switchover sends one commit per router. Default true; false holds no lock during the
   * migration and sends whole transactions at the switchover.
   */
  readonly stageSwitchover?: boolean;
  /**
   * Migration mode (absent: precopy) and each mode's settings, flat so that run manifests record them
   * as they are (absent: the defaults of migration/mode.ts; docs/migration-modes.md).
   */
  readonly mode?: MigrationMode;
  readonly postcopyAfterIterations?: number;
  readonly postcopyStallIterations?: number;
  readonly autoConvergeInitialPct?: number;
  readonly autoConvergeIncrementPct?: number;
  readonly multifdChannels?: number;
  readonly xbzrleCacheMiB?: number;
}

/** Settings of the tunnel strategy (`defaults.tunnel`). */
export interface TunnelDefaults {
  /** Encapsulation of the agents' outer packets (default ipip). */
  readonly encapsulation: TunnelEncapsulation;
}

export interface ProbeDefaults {
  /** Per-flow offered rate, packets per second. */
  readonly ratePps: number;
  /** Baseline before the trigger, ms. */
  readonly baselineMs: number;
  /** Drain for late replies after the last send, ms. */
  readonly drainMs: number;
  readonly payloadBytes: number;
}

/** Pass/fail thresholds; suites read them from here, never from spec code. */
export interface Thresholds {
  readonly maxOutageMs: number;
  readonly maxLossPct: number;
  readonly maxReconvergenceMs: number;
  readonly maxRttStepMs: number;
  /**
   * Thresholds on statistics of a scenario's repetitions, as expressions (`p95(outage) <= 500 ms`,
   * verdict/threshold.ts); judged when a run ends, over every repetition of each scenario.
   */
  readonly statistics?: readonly string[];
}

export interface EmulatedLab {
  /** Namespace prefix of this lab (`<prefix>-<node>`); two labs with distinct prefixes coexist. */
  readonly prefix: string;
  /** State directory of the lab (sockets, keys, known_hosts, logs); `${lab:dir}` in the file expands to it. */
  readonly dir: string;
  /** Name of the link the WAN relay (or netem) impairs. */
  readonly wanLink?: string;
}

/** A resolved, frozen testbed. Built by inventory/resolve or defineTestbed(). */
export interface Testbed {
  readonly name: string;
  readonly description?: string;
  /** Source file, when loaded from one. */
  readonly file?: string;
  /** sha256 of the source text (hex), for the run manifest. */
  readonly sha256?: string;
  readonly sites: readonly Site[];
  readonly hypervisors: readonly Hypervisor[];
  readonly switches: readonly Switch[];
  readonly links: readonly Link[];
  readonly subnets: readonly Subnet[];
  readonly vms: readonly Vm[];
  readonly trafficHosts: readonly TrafficHost[];
  readonly migration: MigrationDefaults;
  readonly probe: ProbeDefaults;
  readonly thresholds: Thresholds;
  /** The tunnel strategy's settings; absent (a testbed built in code): ipip. */
  readonly tunnel?: TunnelDefaults;
  readonly lab?: EmulatedLab;
}
