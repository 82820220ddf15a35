/**
 * Pure parts of the flooding counter: the bridge's ports and flags from iproute2 JSON, the
 * helper's command line and output lines (lab-assets/floodcount.c), and the per-segment result.
 */
import type {
  FloodClassCounts, FloodHealth, FloodPortCounts, FloodSegmentResult, SuppressionReading, SuppressionState,
} from './types.js';

/** One port of a bridge as `bridge -j -d link show` reports it. */
export interface BridgePortFlags {
  readonly port: string;
  readonly learning: boolean;
  readonly neighSuppress: boolean;
}

function jsonArray(text: string, what: string): Record<string, unknown>[] {
  const t = text.trim();
  if (t === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (e) {
    throw new TypeError(`${what}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!Array.isArray(v)) throw new TypeError(`${what}: expected a JSON array`);
  return v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Port names of `ip -j link show master BR`. */
export function parseBridgePorts(ipLinkJson: string): string[] {
  return jsonArray(ipLinkJson, 'ip -j link show master')
    .map((l) => str(l.ifname))
    .filter((n): n is string => n !== undefined && n !== '');
}

/**
 * Ports of `bridge` in `bridge -j -d link show` (the flags need `-d`). A port without a `learning`
 * key (an older iproute2) is taken as learning; without `neigh_suppress`, as not suppressing.
 */
export function parseBridgeLinks(bridgeLinkJson: string, bridge: string): BridgePortFlags[] {
  return jsonArray(bridgeLinkJson, 'bridge -j -d link show')
    .filter((l) => l.master === bridge && str(l.ifname) !== undefined)
    .map((l) => ({
      port: str(l.ifname) as string, learning: l.learning !== false, neighSuppress: l.neigh_suppress === true,
    }));
}

/**
 * ARP/ND suppression of a bridge from `bridge -j -d link show`: `on` when every port considered has
 * `neigh_suppress`, `off` when none has (or there is no port), `mixed` otherwise. `ports` narrows the
 * ports considered (an EVPN segment typically suppresses on its VXLAN port only).
 */
export function suppressionState(bridgeLinkJson: string, bridge: string, ports?: readonly string[]):
  SuppressionReading {
  const all = parseBridgeLinks(bridgeLinkJson, bridge);
  const chosen = ports === undefined ? all : all.filter((p) => ports.includes(p.port));
  const on = chosen.filter((p) => p.neighSuppress).length;
  const state: SuppressionState = on === 0 ? 'off' : on === chosen.length ? 'on' : 'mixed';
  return { arp_nd_suppression: state, ports: chosen.map((p) => ({ port: p.port, neighSuppress: p.neighSuppress })) };
}

export interface FloodArgvOptions {
  readonly binary: string;
  readonly bridge: string;
  readonly ports: readonly BridgePortFlags[];
  /** The helper's own bound, ms. */
  readonly maxMs: number;
  readonly dedupMs?: number;
  readonly holdMs?: number;
  /** Receive buffer of the helper's rtnetlink socket, bytes (default 4 MiB in the helper). */
  readonly netlinkRcvbufBytes?: number;
}

/**
 * The helper's argv (after the place's prefix). No FDB seed: the helper reads the bridge's FDB itself
 * (an rtnetlink dump after subscribing to its changes), so nothing changes unseen between a seed and its start.
 */
export function floodArgv(o: FloodArgvOptions): string[] {
  if (o.ports.length === 0) throw new TypeError(`bridge ${o.bridge} has no ports to count on`);
  if (o.ports.length > 64) throw new TypeError(`bridge ${o.bridge} has ${o.ports.length} ports (the counter takes 64)`);
  if (!(o.maxMs > 0)) throw new TypeError(`maxMs ${o.maxMs} must be > 0`);
  return [
    o.binary, '--bridge', o.bridge, '--max-ms', String(Math.ceil(o.maxMs)),
    ...(o.dedupMs === undefined ? [] : ['--dedup-ms', String(o.dedupMs)]),
    ...(o.holdMs === undefined ? [] : ['--hold-ms', String(o.holdMs)]),
    ...(o.netlinkRcvbufBytes === undefined ? [] : ['--nl-rcvbuf', String(Math.ceil(o.netlinkRcvbufBytes))]),
    ...o.ports.flatMap((p) => ['--port', p.learning ? p.port : `${p.port},nolearn`]),
  ];
}

export interface FloodHello {
  readonly type: 'hello';
  readonly bridge: string;
  readonly startMonoMs: number;
  readonly dedupMs: number;
  readonly holdMs: number;
  readonly seeded: number;
  /** FDB entries of the bridge in the helper's first rtnetlink dump (before the window). */
  readonly fdbDumped: number;
  readonly ports: readonly { readonly name: string; readonly learning: boolean }[];
}

export interface FloodCountersLine {
  readonly type: 'counters';
  readonly reason: string;
  readonly final: boolean;
  readonly startMonoMs: number;
  readonly endMonoMs: number;
  readonly segment: FloodClassCounts;
  readonly ports: readonly FloodPortCounts[];
  /** Helper health counters: MAC table full, hold buffer overflow, frames longer than the snap length. */
  readonly tableFull: number;
  readonly holdOverflow: number;
  readonly outsideWindow: number;
  readonly learned: number;
  /** FDB changes of the bridge applied from rtnetlink events, and entries read from dumps. */
  readonly fdbEvents: number;
  readonly fdbDumped: number;
  /** FDB re-read from a dump after the netlink socket overran (events lost). */
  readonly fdbResyncs: number;
  readonly netlinkErrors: number;
  readonly netlinkOverruns: number;
}

const CLASS_KEYS = ['frames', 'unicast', 'arpRequest', 'arpReply', 'arpGratuitous', 'rarp', 'ndRs', 'ndRa', 'ndNs',
  'ndNa', 'unknownUnicast'] as const;

function num(o: Record<string, unknown>, k: string, line: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`floodcount: ${k} missing in ${line}`);
  return v;
}

function counts(v: unknown, line: string): FloodClassCounts {
  if (typeof v !== 'object' || v === null) throw new TypeError(`floodcount: counts missing in ${line}`);
  const o = v as Record<string, unknown>;
  return Object.fromEntries(CLASS_KEYS.map((k) => [k, num(o, k, line)])) as unknown as FloodClassCounts;
}

/** One line of the helper's stdout; undefined for a line that is not one of its records. */
export function parseFloodLine(line: string): FloodHello | FloodCountersLine | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const ports = Array.isArray(o.ports) ? (o.ports as unknown[]) : [];
  if (o.type === 'hello') {
    return {
      type: 'hello', bridge: str(o.bridge) ?? '', startMonoMs: num(o, 'startMonoMs', line),
      dedupMs: num(o, 'dedupMs', line), holdMs: num(o, 'holdMs', line), seeded: num(o, 'seeded', line),
      fdbDumped: num(o, 'fdbDumped', line),
      ports: ports.map((p) => {
        const q = p as Record<string, unknown>;
        return { name: str(q.name) ?? '', learning: q.learning === true };
      }),
    };
  }
  if (o.type !== 'counters') return undefined;
  return {
    type: 'counters', reason: str(o.reason) ?? '', final: o.final === true,
    startMonoMs: num(o, 'startMonoMs', line), endMonoMs: num(o, 'endMonoMs', line),
    segment: counts(o.segment, line),
    ports: ports.map((p) => {
      const q = p as Record<string, unknown>;
      return { port: str(q.name) ?? '', rx: counts(q.rx, line), tx: counts(q.tx, line), drops: num(q, 'drops', line),
        ...(q.gone === true ? { gone: true } : {}) };
    }),
    tableFull: num(o, 'tableFull', line), holdOverflow: num(o, 'holdOverflow', line),
    outsideWindow: num(o, 'outsideWindow', line), learned: num(o, 'learned', line),
    fdbEvents: num(o, 'fdbEvents', line), fdbDumped: num(o, 'fdbDumped', line), fdbResyncs: num(o, 'fdbResyncs', line),
    netlinkErrors: num(o, 'netlinkErrors', line), netlinkOverruns: num(o, 'netlinkOverruns', line),
  };
}

export const FLOOD_METHOD =
  'AF_PACKET on every bridge port, both directions (lab-assets/floodcount.c); a frame counted once per segment ' +
  '(copies merged by content within the dedup window); unknown unicast = a unicast egress copy whose destination ' +
  'the FDB mirror (rtnetlink dump + neighbour events + source learning) does not place on that port, or a unicast ' +
  'frame egressing on >= 2 ports';
export const FLOOD_RESOLUTION = 'exact per frame (1 packet); window edges ± the poll hold';
export const FLOOD_CLOCK = 'counter host CLOCK_MONOTONIC (the controller clock when on the same host), kernel frame stamps';

/** The result of one counters line of the helper for `device`; `extra` adds health reasons. */
export function floodResult(
  device: string,
  bridge: string,
  c: FloodCountersLine,
  extra: { readonly reasons?: readonly string[]; readonly health?: FloodHealth; readonly holdMs?: number } = {},
): FloodSegmentResult {
  const reasons = [...(extra.reasons ?? [])];
  const drops = c.ports.reduce((a, p) => a + p.drops, 0);
  if (drops > 0) reasons.push(`${drops} frames dropped by the kernel before the counter read them: counts are lower bounds`);
  if (c.tableFull > 0) reasons.push(`MAC table full ${c.tableFull} times: unknown-unicast may be over-counted`);
  if (c.holdOverflow > 0) reasons.push(`reorder buffer overflowed ${c.holdOverflow} times: learning order not guaranteed`);
  if (c.netlinkOverruns > 0) {
    reasons.push(`FDB events lost ${c.netlinkOverruns} times (netlink overrun), re-read by ${c.fdbResyncs} dumps: ` +
      'unknown unicast between a loss and its re-read may be misjudged');
  }
  if (c.netlinkErrors > 0) reasons.push(`${c.netlinkErrors} netlink errors while following the FDB: the mirror may be stale`);
  const health: FloodHealth = extra.health ?? (reasons.length > 0 ? 'degraded' : 'ok');
  const s = c.segment;
  return {
    device, bridge,
    flood_arp_packets: s.arpRequest + s.arpReply,
    flood_nd_packets: s.ndRs + s.ndRa + s.ndNs + s.ndNa,
    flood_unknown_unicast_packets: s.unknownUnicast,
    segment: s,
    ports: c.ports,
    window: { startMonoMs: c.startMonoMs, endMonoMs: c.endMonoMs, durationMs: c.endMonoMs - c.startMonoMs },
    final: c.final,
    method: FLOOD_METHOD,
    resolution: extra.holdMs === undefined ? FLOOD_RESOLUTION : `exact per frame (1 packet); window edges ± ${extra.holdMs} ms`,
    clock: FLOOD_CLOCK,
    health,
    reasons,
  };
}

/** A result for a window whose counts are lost (helper failed): every total undefined, health errored. */
export function erroredFloodResult(device: string, bridge: string, reason: string, startMonoMs: number,
  endMonoMs: number): FloodSegmentResult {
  return {
    device, bridge,
    flood_arp_packets: undefined, flood_nd_packets: undefined, flood_unknown_unicast_packets: undefined,
    segment: undefined, ports: [],
    window: { startMonoMs, endMonoMs, durationMs: endMonoMs - startMonoMs },
    final: true, method: FLOOD_METHOD, resolution: FLOOD_RESOLUTION, clock: FLOOD_CLOCK,
    health: 'errored', reasons: [reason],
  };
}
