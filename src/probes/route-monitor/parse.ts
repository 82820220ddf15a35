/**
 * Pure parsers for the kernel-change monitors of the emulated lab's routers:
 * `ip -ts monitor label route neigh` (also without `label`, and `ip -t` / `ip -ts -6` variants) and
 * `bridge -t monitor fdb`. Lines in, typed events out; no clock is read here: the printed (kernel
 * receipt) timestamp is parsed with the caller's UTC offset, the controller stamps events elsewhere.
 *
 * iproute2 6.1 prints no "Replaced" marker: an RTM_NEWROUTE/NEWNEIGH reads as a plain line. The
 * parser therefore yields `add`/`del` only; {@link ChangeTracker} turns an `add` for a key that is
 * already present into `replace` (a route `replace`, a neighbour state change, an FDB MAC move).
 */
import { defined } from '../../model/defined.js';

export type MonitorObject = 'route' | 'neigh' | 'fdb';
export type MonitorFamily = 4 | 6 | 'bridge';
export type ChangeKind = 'add' | 'del' | 'replace';

export interface NextHopInfo {
  readonly via?: string;
  readonly dev?: string;
  readonly weight?: number;
}

/** One parsed monitor line (a multipath route spans several lines and is one event). */
export interface MonitorEvent {
  readonly object: MonitorObject;
  readonly kind: ChangeKind;
  readonly family: MonitorFamily;
  /** Route: prefix with explicit length (`198.18.10.100/32`); neigh: address; fdb: MAC. */
  readonly prefix: string;
  /** Wall time printed by iproute2 (ms since epoch, µs resolution); absent without -t/-ts. */
  readonly kernelWallMs?: number;
  readonly via?: string;
  readonly dev?: string;
  readonly proto?: string;
  /** Route type when not unicast (`local`, `broadcast`, `blackhole`, `unreachable`, …). */
  readonly type?: string;
  readonly table?: string;
  readonly metric?: number;
  readonly nexthops?: readonly NextHopInfo[];
  /** Neigh/fdb: link-layer address. */
  readonly lladdr?: string;
  /** Neigh: NUD state(s) such as `REACHABLE`, `STALE`, `FAILED`, `PERMANENT`. */
  readonly state?: string;
  /** Fdb: bridge the port belongs to; `dst` of a VXLAN entry. */
  readonly master?: string;
  readonly dst?: string;
  readonly flags?: readonly string[];
  /** Fdb/neigh replace: the previous port (MAC move) or state, filled by ChangeTracker. */
  readonly previous?: string;
  readonly raw: string;
}

const ROUTE_TYPES = new Set(['local', 'broadcast', 'multicast', 'anycast', 'blackhole', 'unreachable',
  'prohibit', 'throw', 'nat', 'unicast']);
const NUD = /^(INCOMPLETE|REACHABLE|STALE|DELAY|PROBE|FAILED|NOARP|PERMANENT|NONE)$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `[2026-11-25T13:49:16.543635]` (ip -ts), local time → epoch ms given the zone's UTC offset. */
export function parseIsoStamp(s: string, utcOffsetMin: number): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/.exec(s);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, se, frac] = m;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  const fracMs = frac === undefined ? 0 : Number(`0.${frac}`) * 1000;
  return base + fracMs - utcOffsetMin * 60_000;
}

/** `Timestamp: Wed Nov 25 13:49:41 2026 73619 usec` (ip -t / bridge -t). */
export function parseLegacyStamp(line: string, utcOffsetMin: number): number | undefined {
  const m = /^Timestamp: \w{3} (\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) (\d+) usec/.exec(line);
  if (m === null) return undefined;
  const [, mon, d, h, mi, se, y, us] = m;
  const mo = MONTHS.indexOf(mon ?? '');
  if (mo < 0) return undefined;
  const base = Date.UTC(Number(y), mo, Number(d), Number(h), Number(mi), Number(se));
  return base + Number(us) / 1000 - utcOffsetMin * 60_000;
}

const isV6 = (a: string | undefined): boolean => a !== undefined && a.includes(':');

/** Adds the implicit host length iproute2 omits (`198.18.10.100` → `/32`); `default` → `0.0.0.0/0`. */
export function normalizePrefix(p: string, family: 4 | 6): string {
  if (p === 'default') return family === 6 ? '::/0' : '0.0.0.0/0';
  if (p.includes('/')) return p;
  return `${p}/${family === 6 ? 128 : 32}`;
}

/** Value following `key` in a token list. */
function after(tokens: readonly string[], key: string): string | undefined {
  const i = tokens.indexOf(key);
  return i >= 0 ? tokens[i + 1] : undefined;
}

function parseRoute(body: string, deleted: boolean, forceV6: boolean): MonitorEvent | undefined {
  const t = body.trim().split(/\s+/);
  let type: string | undefined;
  if (t[0] !== undefined && ROUTE_TYPES.has(t[0])) type = t.shift();
  const dst = t[0];
  if (dst === undefined || !(dst === 'default' || /^[0-9a-f.:]+(\/\d+)?$/i.test(dst))) return undefined;
  const via = after(t, 'via');
  const family: 4 | 6 = forceV6 || isV6(dst) || isV6(via) || t.includes('pref') ? 6 : 4;
  const metricS = after(t, 'metric');
  const table = after(t, 'table');
  const dev = after(t, 'dev');
  const proto = after(t, 'proto');
  return {
    object: 'route', kind: deleted ? 'del' : 'add', family, prefix: normalizePrefix(dst, family),
    ...defined({ via, dev, proto }), ...(type === undefined || type === 'unicast' ? {} : { type }),
    ...defined({ table }), ...(metricS === undefined ? {} : { metric: Number(metricS) }),
    raw: body,
  };
}

function parseNeigh(body: string, deleted: boolean): MonitorEvent | undefined {
  const t = body.trim().split(/\s+/);
  if (t[0] === 'miss') t.shift();
  // PF_BRIDGE (FDB) entries come without an address: `dev vA lladdr 02:… NOARP`; reported as fdb.
  const bridge = t[0] === 'dev';
  const addr = bridge ? after(t, 'lladdr') : t[0];
  if (addr === undefined || !/^[0-9a-f.:]+$/i.test(addr)) return undefined;
  const dev = after(t, 'dev');
  const lladdr = after(t, 'lladdr');
  const states = t.filter((x) => NUD.test(x));
  const flags = t.filter((x) => x === 'router' || x === 'proxy' || x === 'extern_learn');
  return {
    object: bridge ? 'fdb' : 'neigh', kind: deleted ? 'del' : 'add', family: bridge ? 'bridge' : isV6(addr) ? 6 : 4,
    prefix: addr, ...defined({ dev, lladdr }),
    ...(states.length === 0 ? {} : { state: states.join(',') }), ...(flags.length === 0 ? {} : { flags }),
    raw: body,
  };
}

/** One `bridge monitor fdb` body: `[Deleted ]MAC dev PORT [vlan N] [master BR] [dst IP] flags…`. */
export function parseFdb(body: string, deleted: boolean): MonitorEvent | undefined {
  const t = body.trim().split(/\s+/);
  const mac = t[0];
  if (mac === undefined || !MAC.test(mac)) return undefined;
  const dev = after(t, 'dev');
  const master = after(t, 'master');
  const dst = after(t, 'dst');
  const vlan = after(t, 'vlan');
  const flags = t.filter((x) =>
    ['static', 'permanent', 'self', 'extern_learn', 'offload', 'sticky', 'dynamic'].includes(x),
  );
  return {
    object: 'fdb', kind: deleted ? 'del' : 'add', family: 'bridge', prefix: mac.toLowerCase(),
    ...defined({ dev, master, dst }), ...(vlan === undefined ? {} : { table: `vlan ${vlan}` }),
    ...(flags.length === 0 ? {} : { flags }), raw: body,
  };
}

export interface LineParserOptions {
  /** What unlabeled lines are: `ip monitor route` (default), `ip monitor neigh`, `bridge monitor fdb`. */
  readonly defaultObject?: MonitorObject;
  /** Minutes east of UTC of the zone iproute2 printed in (-new Date().getTimezoneOffset()). */
  readonly utcOffsetMin?: number;
  /** `ip -6 monitor`: every route is IPv6 even when the line does not show it. */
  readonly ipv6Only?: boolean;
  /**
   * `ip -o`: every record is one line, continuation lines (multipath `nexthop`) joined with `\` + TAB.
   * Each line is then a whole record and `push` emits it at once, so a record never depends on where
   * a transport (an SSH channel) cut the byte stream.
   */
  readonly oneline?: boolean;
}

/** Splits one `ip -o` line back into the lines iproute2 joined (`\` + TAB → newline + TAB). */
export function splitOneline(line: string): string[] {
  const [first = '', ...rest] = line.split('\\\t');
  return [first, ...rest.map((r) => `\t${r}`)];
}

/**
 * Stateful line parser: multipath routes continue on tab-indented `nexthop` lines and `-t` prints
 * the timestamp on its own line, so events are emitted by `push` when complete and by `flush` at the
 * end of each read chunk (iproute2 writes one whole message per flush).
 */
export interface LineParser {
  push(line: string): MonitorEvent[];
  flush(): MonitorEvent[];
}

export function createLineParser(opts: LineParserOptions = {}): LineParser {
  if (opts.oneline !== true) return createMultilineParser(opts);
  const inner = createMultilineParser(opts);
  return {
    push: (line) => [...splitOneline(line).flatMap((l) => inner.push(l)), ...inner.flush()],
    flush: () => inner.flush(),
  };
}

function createMultilineParser(opts: LineParserOptions): LineParser {
  const off = opts.utcOffsetMin ?? 0;
  let pendingStamp: number | undefined;
  let pending: MonitorEvent | undefined;
  const emit = (): MonitorEvent[] => {
    const e = pending;
    pending = undefined;
    return e === undefined ? [] : [e];
  };
  return {
    push(raw: string): MonitorEvent[] {
      const line = raw.replace(/\s+$/, '');
      if (line === '') return [];
      const nh = /^\s+nexthop (.*)$/.exec(line);
      if (nh !== null && pending?.object === 'route') {
        const t = (nh[1] ?? '').split(/\s+/);
        const w = after(t, 'weight');
        const hop: NextHopInfo = {
          ...(after(t, 'via') === undefined ? {} : { via: after(t, 'via') }),
          ...(after(t, 'dev') === undefined ? {} : { dev: after(t, 'dev') }),
          ...(w === undefined ? {} : { weight: Number(w) }),
        };
        const hops = [...(pending.nexthops ?? []), hop];
        const fam = pending.family === 4 && isV6(hop.via) ? 6 : pending.family;
        pending = { ...pending, family: fam, nexthops: hops, raw: `${pending.raw}\n${line}` };
        return [];
      }
      const out = emit();
      const legacy = parseLegacyStamp(line, off);
      if (legacy !== undefined) {
        pendingStamp = legacy;
        return out;
      }
      let rest = line;
      let stampMs = pendingStamp;
      pendingStamp = undefined;
      const ts = /^\[(\d{4}-\d{2}-\d{2}T[\d:.]+)\]\s?(.*)$/.exec(rest);
      if (ts !== null) {
        stampMs = parseIsoStamp(ts[1] ?? '', off);
        rest = ts[2] ?? '';
      }
      let object = opts.defaultObject ?? 'route';
      const lab = /^\[(ROUTE|NEIGH)\](.*)$/.exec(rest);
      if (lab !== null) {
        object = lab[1] === 'NEIGH' ? 'neigh' : 'route';
        rest = lab[2] ?? '';
      } else if (/^\[[A-Z]+\]/.test(rest)) {
        return out; // another object (LINK, ADDR, …) of a wider monitor: not ours
      }
      const deleted = rest.startsWith('Deleted ');
      if (deleted) rest = rest.slice('Deleted '.length);
      const ev = object === 'route' ? parseRoute(rest, deleted, opts.ipv6Only === true)
        : object === 'neigh' ? parseNeigh(rest, deleted) : parseFdb(rest, deleted);
      if (ev === undefined) return out;
      pending = stampMs === undefined ? ev : { ...ev, kernelWallMs: stampMs };
      return out;
    },
    flush: emit,
  };
}

/** Parses a whole recorded capture. */
export function parseMonitorText(text: string, opts: LineParserOptions = {}): MonitorEvent[] {
  const p = createLineParser(opts);
  const out: MonitorEvent[] = [];
  for (const l of text.split('\n')) out.push(...p.push(l));
  out.push(...p.flush());
  return out;
}

/** Identity of a kernel object: a route is keyed by table, prefix and metric; neigh by address+dev. */
export function keyOf(e: MonitorEvent): string {
  if (e.object === 'route') return `route|${e.table ?? 'main'}|${e.prefix}|${e.metric ?? ''}`;
  if (e.object === 'neigh') return `neigh|${e.prefix}|${e.family === 'bridge' ? '' : e.dev ?? ''}`;
  return `fdb|${e.prefix}|${e.table ?? ''}`;
}

/**
 * Remembers which objects exist (seeded from a snapshot, then from events) and classifies each new
 * event: an add for a present key becomes `replace`, with `previous` = old port/next hop/state.
 */
export interface ChangeTracker {
  seed(events: readonly MonitorEvent[]): void;
  classify(e: MonitorEvent): MonitorEvent;
  has(key: string): boolean;
  get(key: string): MonitorEvent | undefined;
  keys(): string[];
}

export function createChangeTracker(): ChangeTracker {
  const present = new Map<string, MonitorEvent>();
  return {
    seed(events) {
      for (const e of events) if (e.kind !== 'del') present.set(keyOf(e), e);
    },
    classify(e) {
      const k = keyOf(e);
      const old = present.get(k);
      if (e.kind === 'del') {
        present.delete(k);
        return e;
      }
      present.set(k, e);
      if (old === undefined) return e;
      const previous =
        e.object === 'fdb' ? old.dev : e.object === 'neigh' ? (old.state ?? old.lladdr) : (old.via ?? old.dev);
      return { ...e, kind: 'replace', ...defined({ previous }) };
    },
    has: (k) => present.has(k),
    get: (k) => present.get(k),
    keys: () => [...present.keys()],
  };
}
