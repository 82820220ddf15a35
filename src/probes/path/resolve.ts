/**
 * Which device and site each hop of a path probe is (pure). A router answers a TTL-limited probe from
 * one of its own interface addresses (Linux: the interface its route back to the prober leaves by), so a
 * hop is named by looking its address up among the testbed's link-endpoint addresses, switch management
 * addresses and router ids, hypervisor addresses and traffic-host addresses. A subnet's gateway address is
 * not used: it may be an anycast gateway served at several sites, so it names no single device or site.
 * An address that several devices claim names a site only when they all share it, and no device.
 */
import type { Testbed } from '../../model/testbed.js';
import { canonicalIp } from '../conflict/parse.js';
import type { PathHop } from './parse.js';

/** The parts of a testbed a path is resolved against. */
export type PathTestbed = Pick<Testbed, 'switches' | 'links' | 'hypervisors' | 'trafficHosts'>;

export interface PathAddressOwner {
  /** The one device holding the address; undefined when several claim it. */
  readonly device: string | undefined;
  /** The site of the device(s) holding it; undefined when unknown or when they differ. */
  readonly site: string | undefined;
}

/** A hop with what the testbed says about its address. */
export interface ResolvedPathHop extends PathHop {
  readonly device?: string;
  readonly site?: string;
}

function key(address: string): string | undefined {
  return canonicalIp(address);
}

/** Canonical address → owner, over every address the testbed gives a device. */
export function pathAddressIndex(tb: PathTestbed): ReadonlyMap<string, PathAddressOwner> {
  const siteOf = new Map<string, string | undefined>();
  for (const s of tb.switches) siteOf.set(s.name, s.site);
  for (const h of tb.hypervisors) siteOf.set(h.name, h.site);
  for (const t of tb.trafficHosts) if (!siteOf.has(t.name)) siteOf.set(t.name, t.site);
  const claims = new Map<string, Set<string>>();
  const claim = (address: string | undefined, device: string): void => {
    if (address === undefined || address === '') return;
    const k = key(address);
    if (k === undefined) return;
    const set = claims.get(k) ?? new Set<string>();
    set.add(device);
    claims.set(k, set);
  };
  for (const l of tb.links) {
    for (const e of l.endpoints) {
      claim(e.ipv4, e.device);
      claim(e.ipv6, e.device);
    }
  }
  for (const s of tb.switches) {
    claim(s.address, s.name);
    claim(s.routerId, s.name);
  }
  for (const h of tb.hypervisors) claim(h.address, h.name);
  for (const t of tb.trafficHosts) {
    claim(t.ipv4, t.name);
    claim(t.ipv6, t.name);
    claim(t.address, t.name);
  }
  const index = new Map<string, PathAddressOwner>();
  for (const [k, devices] of claims) {
    const sites = new Set([...devices].map((d) => siteOf.get(d)));
    const [only] = devices;
    const [site] = sites;
    index.set(k, { device: devices.size === 1 ? only : undefined, site: sites.size === 1 ? site : undefined });
  }
  return index;
}

/** Each hop with its device and site where the testbed knows its address (the index may be built once). */
export function resolvePathHops(
  hops: readonly PathHop[],
  tb: PathTestbed | ReadonlyMap<string, PathAddressOwner>,
): ResolvedPathHop[] {
  const index = tb instanceof Map ? (tb as ReadonlyMap<string, PathAddressOwner>) : pathAddressIndex(tb as PathTestbed);
  return hops.map((h) => {
    const k = h.address === undefined ? undefined : key(h.address);
    const owner = k === undefined ? undefined : index.get(k);
    return {
      ...h,
      ...(owner?.device === undefined ? {} : { device: owner.device }),
      ...(owner?.site === undefined ? {} : { site: owner.site }),
    };
  });
}

/** Whether any hop belongs to a device of `site` (the path still runs by that site). */
export function viaSite(hops: readonly { readonly site?: string | undefined }[], site: string): boolean {
  return hops.some((h) => h.site === site);
}

/**
 * The path as names, one per TTL in order: the device, else the address, else `*`; a TTL answered from
 * several addresses joins them with `|`. For reports (path before/after) and assertions.
 */
export function pathNames(hops: readonly ResolvedPathHop[]): string[] {
  const byTtl = new Map<number, string[]>();
  for (const h of hops) {
    const name = h.device ?? h.address ?? '*';
    const names = byTtl.get(h.ttl) ?? [];
    if (!names.includes(name)) names.push(name);
    byTtl.set(h.ttl, names);
  }
  return [...byTtl.entries()].sort(([a], [b]) => a - b).map(([, names]) => names.join('|'));
}
