import type { FlowSpec, ProbeSample } from '../../measure/types.js';

/** One echo reply line of iputils `ping -D`. */
export interface PingReply {
  readonly seq: number;
  /** Receive time printed by `-D` (gettimeofday), ms since the epoch. */
  readonly rxWallMs: number;
  readonly rttMs: number;
}

const REPLY = /^\[(\d+)\.(\d+)\] \d+ bytes from .+?: icmp_seq=(\d+) .*?time=([\d.]+) ms/;

/** Parses `ping -D` output (pure). Lines that are not replies are ignored; duplicates (`DUP!`) are kept. */
export function parsePing(stdout: string): PingReply[] {
  const out: PingReply[] = [];
  for (const line of stdout.split('\n')) {
    const m = REPLY.exec(line);
    if (m === null) continue;
    const frac = m[2] as string;
    out.push({
      seq: Number(m[3]),
      rxWallMs: Number(m[1]) * 1000 + Number(frac) / 10 ** (frac.length - 3),
      rttMs: Number(m[4]),
    });
  }
  return out;
}

/** Clock label of ping samples: wall time of the ping host, good for intervals of seconds only. */
export const PING_CLOCK = 'wall (ping -D, gettimeofday of the ping host)';

/**
 * Samples for sequence numbers 1..count from ping replies. Send time of a reply = receive − RTT; a lost
 * request's send time is interpolated from the nearest earlier reply at `intervalMs` spacing (ping
 * does not print send times), so gap figures are coarse: resolution = intervalMs.
 */
export function pingSamples(
  replies: readonly PingReply[],
  count: number,
  intervalMs: number,
  flow = 'icmp',
): ProbeSample[] {
  const first = new Map<number, PingReply>();
  const dups = new Map<number, number>();
  replies.forEach((r) => {
    if (first.has(r.seq)) dups.set(r.seq, (dups.get(r.seq) ?? 0) + 1);
    else first.set(r.seq, r);
  });
  const order = [...first.values()].sort((a, b) => a.rxWallMs - b.rxWallMs);
  const arrival = new Map(order.map((r, k) => [r.seq, k]));
  const anchor = [...first.values()].sort((a, b) => a.seq - b.seq)[0];
  if (anchor === undefined) return [];
  const out: ProbeSample[] = [];
  let lastTx = anchor.rxWallMs - anchor.rttMs - (anchor.seq - 1) * intervalMs;
  let lastSeq = 1;
  for (let seq = 1; seq <= count; seq++) {
    const r = first.get(seq);
    const txMs = r === undefined ? lastTx + (seq - lastSeq) * intervalMs : r.rxWallMs - r.rttMs;
    if (r !== undefined) {
      lastTx = txMs;
      lastSeq = seq;
    }
    out.push({ flow, seq, txMs, rxMs: r?.rxWallMs, dupCount: dups.get(seq) ?? 0, arrival: arrival.get(seq) });
  }
  return out;
}

/** Flow spec of a ping run. */
export function pingSpec(name: string, intervalMs: number, count: number): FlowSpec {
  return { name, ratePps: 1000 / intervalMs, plannedPackets: count, clock: PING_CLOCK };
}
