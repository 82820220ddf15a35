/**
 * Parsers for the JSON that FRR and iproute2 print (`vtysh -c 'show ip route json'`,
 * `ip -j neigh show`, `bridge -j fdb show`), pure. Unknown shapes yield no entries, never throw.
 */
import type { MacEntry, NeighborEntry, RouteEntry } from './types.js';

type Json = Record<string, unknown>;

function asArray(x: unknown): Json[] {
  return Array.isArray(x) ? (x.filter((e) => typeof e === 'object' && e !== null) as Json[]) : [];
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : undefined;
}

function parse(text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  try {
    return JSON.parse(
      t.slice(Math.max(0, Math.min(...['{', '['].map((c) => (t.indexOf(c) < 0 ? Infinity : t.indexOf(c)))))),
    );
  } catch {
    return undefined;
  }
}

/** `show ip route json` / `show ipv6 route json`: `{ "<prefix>": [ {protocol, selected, nexthops} ] }`. */
export function parseFrrRoutes(text: string): RouteEntry[] {
  const doc = parse(text);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return [];
  const out: RouteEntry[] = [];
  for (const [prefix, entries] of Object.entries(doc as Json)) {
    for (const r of asArray(entries)) {
      const hops = asArray(r.nexthops);
      const dev = hops.map((h) => str(h.interfaceName)).find((x) => x !== undefined);
      out.push({
        prefix: str(r.prefix) ?? prefix,
        protocol: str(r.protocol) ?? '',
        active: r.selected === true || r.installed === true,
        nextHops: hops.map((h) => str(h.ip)).filter((x): x is string => x !== undefined),
        ...(dev !== undefined ? { device: dev } : {}),
      });
    }
  }
  return out;
}

/** `ip -j neigh show`: entries without lladdr (INCOMPLETE/FAILED) are kept with mac "". */
export function parseIpNeigh(text: string): NeighborEntry[] {
  return asArray(parse(text)).map((n) => {
    const state = Array.isArray(n.state) ? n.state.join(',') : str(n.state);
    return {
      ip: str(n.dst) ?? '',
      mac: (str(n.lladdr) ?? '').toLowerCase(),
      ...(str(n.dev) !== undefined ? { device: str(n.dev) as string } : {}),
      ...(state !== undefined ? { state } : {}),
    };
  });
}

/** `bridge -j fdb show`: local/permanent entries are typed `permanent`, VXLAN ones `remote`. */
export function parseBridgeFdb(text: string): MacEntry[] {
  return asArray(parse(text)).map((f) => {
    const flags = Array.isArray(f.flags) ? (f.flags as unknown[]).map(String) : [];
    const state = str(f.state) ?? '';
    const type = str(f.dst) !== undefined ? 'remote' : state === 'permanent' || state === 'static' ? state : 'dynamic';
    return {
      mac: (str(f.mac) ?? '').toLowerCase(),
      port: str(f.ifname) ?? '',
      type: flags.includes('extern_learn') ? 'extern_learn' : type,
      ...(typeof f.vlan === 'number' ? { vlan: f.vlan } : {}),
    };
  });
}
