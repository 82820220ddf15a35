/**
 * Route snapshots and their differences, pure: what a polling observer (or a YANG-push full update)
 * turns into add/del changes. A snapshot maps each prefix to its sorted next hops; the device's
 * protocol and the order of its answer are ignored, so only forwarding changes show.
 */
import { normalizePrefix } from './parse.js';

/** The part of a route a snapshot needs; both route types of vmmi (driver and executor) fit. */
export interface RouteLike {
  readonly prefix: string;
  readonly nextHop?: string;
  readonly nextHops?: readonly string[];
  /** Driver routes: an inactive route is not forwarding and is left out. */
  readonly active?: boolean;
}

/** Prefix (normalised, lower case) → next hops joined with `,` (sorted; '' when none is known). */
export type RouteSnapshot = ReadonlyMap<string, string>;

export interface RouteDiff {
  readonly prefix: string;
  readonly action: 'add' | 'del';
  /** Next hops after an add, before a del ('' omitted). */
  readonly nextHop?: string;
  /** Next hops before a changed route (an add over a present prefix: a replace). */
  readonly previous?: string;
}

/** `198.18.10.100` → `198.18.10.100/32`; `2001:2::A/128` → lower case. */
export function routeKey(prefix: string): string {
  const p = prefix.trim().toLowerCase();
  return normalizePrefix(p, p.includes(':') ? 6 : 4);
}

export function routeSnapshot(routes: readonly RouteLike[]): Map<string, string> {
  const hops = new Map<string, Set<string>>();
  for (const r of routes) {
    if (r.active === false) continue;
    const k = routeKey(r.prefix);
    const set = hops.get(k) ?? new Set<string>();
    for (const h of [...(r.nextHops ?? []), ...(r.nextHop === undefined ? [] : [r.nextHop])])
      if (h !== '') set.add(h.toLowerCase());
    hops.set(k, set);
  }
  return new Map([...hops].map(([k, s]) => [k, [...s].sort().join(',')]));
}

/**
 * Changes from `prev` to `next`, sorted by prefix with a prefix's del before any add: a removed
 * prefix is `del`, a new one `add`, one whose next hops changed `add` with `previous`.
 */
export function diffRoutes(prev: RouteSnapshot, next: RouteSnapshot): RouteDiff[] {
  const out: RouteDiff[] = [];
  for (const [k, hops] of prev)
    if (!next.has(k)) out.push({ prefix: k, action: 'del', ...(hops === '' ? {} : { nextHop: hops }) });
  for (const [k, hops] of next) {
    const old = prev.get(k);
    if (old === hops) continue;
    out.push({ prefix: k, action: 'add', ...(hops === '' ? {} : { nextHop: hops }),
      ...(old === undefined ? {} : { previous: old }) });
  }
  return out.sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : a.action === 'del' ? -1 : 1));
}
