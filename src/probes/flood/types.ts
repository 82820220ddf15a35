/**
 * Flooding counts of one L2 segment (a bridge with its ports, the VXLAN port among them) over a time
 * window: broadcast ARP, IPv6 ND to multicast, unknown unicast. One interface, two kinds of source:
 * the lab's packet counter (AF_PACKET on every bridge port, lab-assets/floodcount.c, counter.ts) and, on
 * hardware, a switch driver reading interface counters (not implemented here: a driver provides a
 * {@link FloodCounterSource} and says in `method` what its counters are, leaving undefined what they
 * cannot tell apart).
 */
import type { IoOptions } from '../../util/abort.js';

/** One segment on one device: the lab's `br<vni>` in a TOR namespace, a VLAN/VNI/bridge domain on a switch. */
export interface FloodSegmentRef {
  /** Device name for results and messages (`torA`, `leaf1`). */
  readonly device: string;
  /** The segment's name on the device (the bridge interface in the lab). */
  readonly bridge: string;
}

/**
 * Frames per class. Copies: per port and direction. Segment: distinct frames (each counted once
 * however many ports it crossed). `arpGratuitous` is a subset of `arpRequest` + `arpReply`.
 */
export interface FloodClassCounts {
  /** Every frame (also those in no class below). */
  readonly frames: number;
  readonly unicast: number;
  /** ARP to ff:ff:ff:ff:ff:ff. */
  readonly arpRequest: number;
  readonly arpReply: number;
  /** Broadcast ARP whose sender IP equals its target IP (request or reply form); also in the two above. */
  readonly arpGratuitous: number;
  /** RARP broadcast (QEMU's self-announce after a move); not part of `flood_arp_packets`. */
  readonly rarp: number;
  /** ICMPv6 router/neighbour solicitations and advertisements to a multicast MAC. */
  readonly ndRs: number;
  readonly ndRa: number;
  readonly ndNs: number;
  readonly ndNa: number;
  /** Unicast frames the bridge flooded (see the method in lab-assets/floodcount.c). */
  readonly unknownUnicast: number;
}

/** One bridge port: `rx` = into the bridge from the port (ingress), `tx` = out of the bridge onto it. */
export interface FloodPortCounts {
  readonly port: string;
  readonly rx: FloodClassCounts;
  readonly tx: FloodClassCounts;
  /** Frames the kernel dropped from this port's capture buffer (counts are lower bounds when > 0). */
  readonly drops: number;
  /** The port's device was removed during the window (what it counted until then is kept). */
  readonly gone?: boolean;
}

export type FloodHealth = 'ok' | 'degraded' | 'errored';

/** The three report columns of a segment, each counting a flooded frame once per segment. */
export interface FloodTotals {
  /** Broadcast ARP requests + replies (gratuitous ARP included; RARP not). */
  readonly flood_arp_packets: number | undefined;
  /** ICMPv6 RS + RA + NS + NA sent to multicast destinations. */
  readonly flood_nd_packets: number | undefined;
  /** Unicast frames flooded for an unknown destination. */
  readonly flood_unknown_unicast_packets: number | undefined;
}

export interface FloodSegmentResult extends FloodTotals {
  readonly device: string;
  readonly bridge: string;
  /** Distinct frames per class on the segment; undefined when the source cannot classify. */
  readonly segment: FloodClassCounts | undefined;
  readonly ports: readonly FloodPortCounts[];
  /** Counting window on the counter's monotonic clock (ms); `final` false for a reading mid-window. */
  readonly window: { readonly startMonoMs: number; readonly endMonoMs: number; readonly durationMs: number };
  readonly final: boolean;
  /** How the counts were made, their grain, and which clock bounds the window (measurement guide). */
  readonly method: string;
  readonly resolution: string;
  readonly clock: string;
  readonly health: FloodHealth;
  readonly reasons: readonly string[];
}

/** A counter running on one segment. */
export interface FloodCounting {
  readonly segment: FloodSegmentRef;
  /** Counts from the start up to now (cumulative); the counter keeps running. */
  read(io: IoOptions): Promise<FloodSegmentResult>;
  /** Ends the window and returns the final counts; later calls return the same result. Never throws. */
  stop(io: IoOptions): Promise<FloodSegmentResult>;
}

export type SuppressionState = 'on' | 'off' | 'mixed';

/** ARP/ND suppression of a segment's ports (`neigh_suppress` of each bridge port). */
export interface SuppressionReading {
  /** `on`: every port considered suppresses, `off`: none does (or no port), `mixed`: some do. */
  readonly arp_nd_suppression: SuppressionState;
  readonly ports: readonly { readonly port: string; readonly neighSuppress: boolean }[];
}

/** Where flooding counts come from: the lab's packet counter, or a switch's interface counters. */
export interface FloodCounterSource {
  /** Short name of the implementation (`af-packet`, a driver's name). */
  readonly kind: string;
  /** Starts counting on `segment`; resolves once counting has begun (the window's start). */
  start(segment: FloodSegmentRef, io: IoOptions): Promise<FloodCounting>;
  /** ARP/ND suppression of the segment's ports, optionally only `ports` (e.g. the VXLAN ports). */
  suppression(segment: FloodSegmentRef, io: IoOptions & { readonly ports?: readonly string[] }):
    Promise<SuppressionReading>;
}
