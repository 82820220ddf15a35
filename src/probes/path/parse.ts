/**
 * Parser of the path probe's output (lab-assets/pathprobe.c; pure). Lines:
 *
 *   pathprobe-start target=ADDR family=ipv4|ipv6 probes=N max_hops=H first_ttl=F timeout_ms=T deadline_ms=D port=P
 *   pathprobe-hop ttl=T addr=ADDR|* rtt_us=R1,R2,...|- kind=KIND probes=N   (one per address answering at T)
 *   pathprobe-done reached=0|1 hops=T reason=REASON sent=S answered=A late=L kernel_stamps=K elapsed_us=E
 *
 * Anything else is a problem (the contract broke), collected rather than thrown.
 */

export const PATH_HOP_KINDS = ['time-exceeded', 'port-unreachable', 'reply', 'net-unreachable', 'host-unreachable',
  'admin-prohibited', 'unreachable', 'too-big', 'other', 'local-error', 'none'] as const;
/** What answered a probe: an ICMP error's meaning, a UDP `reply` from the target, or `none` (no answer). */
export type PathHopKind = (typeof PATH_HOP_KINDS)[number];

export const PATH_STOP_REASONS = ['reached', 'unreachable', 'max-hops', 'deadline', 'signal', 'stdin-closed',
  'local-error'] as const;
export type PathStopReason = (typeof PATH_STOP_REASONS)[number];

/** One address answering at one TTL (a TTL answered from two addresses, e.g. ECMP, gives two hops). */
export interface PathHop {
  readonly ttl: number;
  /** The answering address as the host printed it; undefined when no probe of this TTL was answered. */
  readonly address: string | undefined;
  /** Round trips of this address's answers, ms (1 µs grid), in the order the probes were sent. */
  readonly rttsMs: readonly number[];
  readonly kind: PathHopKind;
  /** Probes sent at this TTL (answered or not, by this address or another). */
  readonly probes: number;
}

export interface PathProbeStart {
  readonly target: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly probes: number;
  readonly maxHops: number;
  readonly firstTtl: number;
  readonly timeoutMs: number;
  readonly deadlineMs: number;
  readonly port: number;
}

export interface PathProbeDone {
  readonly reached: boolean;
  /** The last TTL probed. */
  readonly hops: number;
  readonly reason: PathStopReason;
  readonly sent: number;
  readonly answered: number;
  /** Answers that came after their TTL's timeout (not counted as answers). */
  readonly late: number;
  /** Answers timed by the kernel's receive stamp (the others by the helper's clock read). */
  readonly kernelStamps: number;
  readonly elapsedMs: number;
}

export interface ParsedPathProbe {
  readonly start: PathProbeStart | undefined;
  readonly hops: readonly PathHop[];
  readonly done: PathProbeDone | undefined;
  readonly problems: readonly string[];
}

function fields(rest: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const tok of rest.split(/\s+/)) {
    if (tok === '') continue;
    const eq = tok.indexOf('=');
    if (eq > 0) m.set(tok.slice(0, eq), tok.slice(eq + 1));
    else m.set(tok, '');
  }
  return m;
}

class Bad extends Error {}

function need(f: Map<string, string>, key: string): string {
  const v = f.get(key);
  if (v === undefined || v === '') throw new Bad(`missing ${key}`);
  return v;
}

function int(f: Map<string, string>, key: string, min = 0): number {
  const v = need(f, key);
  if (!/^\d+$/.test(v) || Number(v) < min) throw new Bad(`${key}=${v} is not an integer ≥ ${min}`);
  return Number(v);
}

function oneOf<T extends string>(f: Map<string, string>, key: string, values: readonly T[]): T {
  const v = need(f, key);
  if (!(values as readonly string[]).includes(v)) throw new Bad(`${key}=${v} is not one of ${values.join(', ')}`);
  return v as T;
}

const ADDRESS = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)$/;

function hopOf(f: Map<string, string>): PathHop {
  const ttl = int(f, 'ttl', 1);
  const addr = need(f, 'addr');
  const kind = oneOf(f, 'kind', PATH_HOP_KINDS);
  const probes = int(f, 'probes', 1);
  const rtt = need(f, 'rtt_us');
  if (addr === '*') {
    if (rtt !== '-') throw new Bad(`addr=* with rtt_us=${rtt}`);
    if (kind !== 'none' && kind !== 'local-error') throw new Bad(`addr=* with kind=${kind}`);
    return { ttl, address: undefined, rttsMs: [], kind, probes };
  }
  if (!ADDRESS.test(addr)) throw new Bad(`addr=${addr} is not an address`);
  if (kind === 'none' || kind === 'local-error') throw new Bad(`addr=${addr} with kind=${kind}`);
  const parts = rtt.split(',');
  if (parts.some((p) => !/^\d+$/.test(p))) throw new Bad(`rtt_us=${rtt} is not a list of integers`);
  if (parts.length > probes) throw new Bad(`${parts.length} round trips for ${probes} probes`);
  return { ttl, address: addr, rttsMs: parts.map((p) => Number(p) / 1000), kind, probes };
}

function startOf(f: Map<string, string>): PathProbeStart {
  return {
    target: need(f, 'target'), family: oneOf(f, 'family', ['ipv4', 'ipv6'] as const), probes: int(f, 'probes', 1),
    maxHops: int(f, 'max_hops', 1), firstTtl: int(f, 'first_ttl', 1), timeoutMs: int(f, 'timeout_ms', 1),
    deadlineMs: int(f, 'deadline_ms', 1), port: int(f, 'port', 1),
  };
}

function doneOf(f: Map<string, string>): PathProbeDone {
  const reached = need(f, 'reached');
  if (reached !== '0' && reached !== '1') throw new Bad(`reached=${reached}`);
  return {
    reached: reached === '1', hops: int(f, 'hops'), reason: oneOf(f, 'reason', PATH_STOP_REASONS),
    sent: int(f, 'sent'), answered: int(f, 'answered'), late: int(f, 'late'), kernelStamps: int(f, 'kernel_stamps'),
    elapsedMs: int(f, 'elapsed_us') / 1000,
  };
}

/** Reads the probe's whole stdout. Hops come in TTL order; a hop line after `pathprobe-done` is a problem. */
export function parsePathProbe(text: string): ParsedPathProbe {
  let start: PathProbeStart | undefined;
  let done: PathProbeDone | undefined;
  const hops: PathHop[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const sp = line.indexOf(' ');
    const tag = sp < 0 ? line : line.slice(0, sp);
    const f = fields(sp < 0 ? '' : line.slice(sp + 1));
    try {
      if (done !== undefined) throw new Bad('after pathprobe-done');
      if (tag === 'pathprobe-start') {
        if (start !== undefined || hops.length > 0) throw new Bad('a second or late pathprobe-start');
        start = startOf(f);
      } else if (tag === 'pathprobe-hop') {
        const h = hopOf(f);
        const last = hops[hops.length - 1];
        if (last !== undefined && h.ttl < last.ttl) throw new Bad(`ttl ${h.ttl} after ttl ${last.ttl}`);
        hops.push(h);
      } else if (tag === 'pathprobe-done') {
        done = doneOf(f);
      } else {
        throw new Bad('not a pathprobe line');
      }
    } catch (e) {
      if (!(e instanceof Bad)) throw e;
      problems.push(`line ${i + 1}: ${e.message}: ${line.slice(0, 200)}`);
    }
  });
  if (start === undefined) problems.push('no pathprobe-start line');
  if (done === undefined) problems.push('no pathprobe-done line');
  return { start, hops, done, problems };
}
