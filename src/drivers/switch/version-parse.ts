/**
 * Version facts from what devices answer, pure: ietf-system platform data, OpenConfig system state,
 * Junos software-information, vendor state named by platform data, the NETCONF hello, and `show
 * version` texts. Each returns only what the device said (an empty record when it said nothing),
 * never a default: the run manifest must not carry a version nobody reported.
 */
import { ProtocolError } from '../../errors/classes.js';
import type { NetconfSoftware, VendorVersionState } from '../../platforms/netconf-software.js';
import type { ShowVersionPlatform } from '../../platforms/show-version.js';
import { child, childrenNamed, textAt, type XNode } from '../../transports/netconf/xml.js';

export type VersionFacts = Record<string, string>;

export const NS_SYS = 'urn:ietf:params:xml:ns:yang:ietf-system';
export const NS_OC_SYS = 'http://openconfig.net/yang/system';

/** Leaves at `paths` below `n` that are present and non-empty. */
export function leafFacts(n: XNode | undefined, paths: Readonly<Record<string, readonly string[]>>): VersionFacts {
  const out: VersionFacts = {};
  if (n === undefined) return out;
  for (const [key, path] of Object.entries(paths)) {
    const v = textAt(n, ...path);
    if (v !== undefined && v !== '') out[key] = v;
  }
  return out;
}

const IETF_PLATFORM = {
  'os-name': ['os-name'], 'os-release': ['os-release'], 'os-version': ['os-version'], machine: ['machine'],
} as const;

/** `<data>` of a get of ietf-system `system-state/platform` (RFC 7317). */
export function parseIetfPlatform(data: XNode | undefined): VersionFacts {
  return leafFacts(child(child(data, 'system-state', NS_SYS), 'platform'), IETF_PLATFORM);
}

/** `<data>` of a get of openconfig-system `system/state` (hostname, software-version). */
export function parseOcSystemState(data: XNode | undefined): VersionFacts {
  return leafFacts(child(child(data, 'system', NS_OC_SYS), 'state'), {
    'software-version': ['software-version'], hostname: ['hostname'],
  });
}

/** `<data>` of a get of a vendor version subtree (platforms/netconf-software.ts). */
export function parseVendorState(data: XNode | undefined, s: VendorVersionState): VersionFacts {
  return leafFacts(child(child(data, s.top.name, s.top.ns), s.child.name, s.child.ns), s.leaves);
}

/**
 * `<get-software-information/>` reply (rpc-reply root). A multi-RE or virtual-chassis system wraps
 * one `software-information` per member in `multi-routing-engine-item`s: the first member's facts
 * are reported and the member names listed. Releases before `junos-version` existed name the
 * release only in package comments (`JUNOS Base OS boot [12.3R12.4]`).
 */
export function parseJunosSoftware(reply: XNode | undefined): VersionFacts {
  const items = childrenNamed(child(reply, 'multi-routing-engine-results'), 'multi-routing-engine-item');
  const si = items.length > 0 ? child(items[0], 'software-information') : child(reply, 'software-information');
  const out = leafFacts(si, {
    junos: ['junos-version'], hostname: ['host-name'], model: ['product-model'], product: ['product-name'],
  });
  if (out.junos === undefined) {
    // The `junos` package names the release; any bracketed package comment when it is missing.
    const pkgs = childrenNamed(si, 'package-information');
    const comments = [...pkgs.filter((p) => textAt(p, 'name') === 'junos'), ...pkgs].map((p) => textAt(p, 'comment'));
    const release = comments.map((c) => /\[([^\]]+)\]/.exec(c ?? '')?.[1]).find((r) => r !== undefined);
    if (release !== undefined) out.junos = release;
  }
  const members = items.map((i) => textAt(i, 're-name') ?? '').filter((n) => n !== '');
  if (members.length > 1) out.members = members.join(',');
  return out;
}

/** yang-library capability parameters: `module-set-id` (yang-library 1.0) or `content-id` (1.1). */
const YANG_LIBRARY = /^urn:ietf:params:netconf:capability:yang-library:1\.[01]\?(.*)$/;

/**
 * What a server hello says about the server: how many capabilities it announces, its YANG library
 * id when announced, and the server software when one of its capabilities names it (platform data).
 */
export function helloFacts(caps: readonly string[], software: readonly NetconfSoftware[]): VersionFacts {
  const out: VersionFacts = { capabilities: String(caps.length) };
  for (const c of caps) {
    const params = YANG_LIBRARY.exec(c)?.[1];
    if (params === undefined) continue;
    const q = new URLSearchParams(params);
    for (const k of ['module-set-id', 'content-id']) {
      const v = q.get(k);
      if (v !== null && v !== '') out[k] = v;
    }
  }
  const hit = serverSoftware(caps, software);
  if (hit !== undefined) {
    out['server-software'] = hit.entry.software;
    out['server-capability'] = hit.capability;
  }
  return out;
}

/** The first table entry (in table order) one of whose prefixes the server announces. */
export function serverSoftware(caps: readonly string[], software: readonly NetconfSoftware[]):
  { entry: NetconfSoftware; capability: string } | undefined {
  for (const entry of software) {
    const capability = caps.find((c) => c.startsWith(entry.capabilityPrefix));
    if (capability !== undefined) return { entry, capability };
  }
  return undefined;
}

/** `show version` text → facts, by the platform's labels and patterns. */
export function parseShowVersion(text: string, p: ShowVersionPlatform): VersionFacts {
  const out: VersionFacts = {};
  const lines = text.replace(/\r/g, '').split('\n');
  for (const line of lines) {
    const m = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/.exec(line);
    const key = m === null ? undefined : p.labels[(m[1] as string).toLowerCase()];
    if (key !== undefined && m !== null && m[2] !== '') out[key] = m[2] as string;
  }
  for (const re of p.patterns) {
    for (const [k, v] of Object.entries(re.exec(text.replace(/\r/g, ''))?.groups ?? {})) {
      if (v !== undefined && v !== '') out[k.replace(/_/g, '-')] = v;
    }
  }
  return out;
}

/**
 * `show version` facts, or ProtocolError when the text carries none of the platform's fields (a
 * different platform, a truncated read): an unrecognised answer is a failure, not an empty version.
 */
export function showVersionFacts(text: string, p: ShowVersionPlatform, device: string): VersionFacts {
  const facts = parseShowVersion(text, p);
  if (Object.keys(facts).length > 0) return facts;
  const first = text.trim().split('\n')[0] ?? '';
  throw new ProtocolError(`"${p.command}" printed none of the expected fields (first line: "${first.slice(0, 80)}")`,
    { device, operation: 'read version' });
}
