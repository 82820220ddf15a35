/**
 * NETCONF hello exchange (RFC 6241 §8.1), pure: build the client hello for a profile, parse the
 * server hello, negotiate framing (chunked when both sides list base:1.1, else EOM when both list
 * base:1.0, else a clear error).
 */
import { ProtocolError } from '../../errors/classes.js';
import type { Framing } from './framing.js';
import { e, el, render } from './xml-build.js';
import { NS_BASE, childrenNamed, child, parseXml } from './xml.js';

export const BASE_10 = 'urn:ietf:params:netconf:base:1.0';
export const BASE_11 = 'urn:ietf:params:netconf:base:1.1';

/**
 * Per-platform client behaviour at session start. The platform data lives in src/platforms/netconf-profiles.ts
 * and the switch driver registry passes the right one in; the transport never looks platforms up itself.
 */
export interface NetconfProfile {
  readonly name: string;
  /** Offer base:1.0 (false for servers that must be talked to in 1.1 only). */
  readonly offerBase10: boolean;
  /** Offer base:1.1 (chunked framing when the server offers it too). */
  readonly offerBase11: boolean;
  /** Extra capability URIs announced in the client hello (vendor-required quirks). */
  readonly extraCapabilities: readonly string[];
  /** Default NETCONF port of the platform. */
  readonly defaultPort: number;
  /** Free-text platform notes surfaced in errors. */
  readonly notes?: string;
}

/**
 * The protocol's own profile (RFC 6241/6242): offers base:1.0 and base:1.1, no extra capabilities, port 830.
 * A session started without a profile uses it; src/platforms/netconf-profiles.ts names it `generic`.
 */
export const STANDARD_PROFILE: NetconfProfile = {
  name: 'generic', offerBase10: true, offerBase11: true, extraCapabilities: [], defaultPort: 830,
};

/** Renders the client hello (no session-id: a client hello with one must be refused by servers). */
export function buildClientHello(profile: NetconfProfile): string {
  const caps = [
    ...(profile.offerBase10 ? [BASE_10] : []),
    ...(profile.offerBase11 ? [BASE_11] : []),
    ...profile.extraCapabilities,
  ];
  const doc = el('hello', { xmlns: NS_BASE }, e('capabilities', ...caps.map((c) => e('capability', c))));
  return `<?xml version="1.0" encoding="UTF-8"?>${render(doc)}`;
}

export interface ServerHello {
  readonly sessionId: number;
  readonly capabilities: readonly string[];
}

/** Parses the server hello; throws ProtocolError when it is not a hello or lacks a session-id. */
export function parseServerHello(xml: string): ServerHello {
  const root = parseXml(xml);
  if (root.name !== 'hello' || (root.ns !== undefined && root.ns !== NS_BASE)) {
    throw new ProtocolError(`expected <hello> from the server, got <${root.name}> (namespace ${root.ns ?? 'none'})`, {
      operation: 'hello',
    });
  }
  const capabilities = childrenNamed(child(root, 'capabilities'), 'capability').map((c) => c.text.trim());
  const sid = child(root, 'session-id')?.text.trim() ?? '';
  const sessionId = /^[1-9]\d*$/.test(sid) ? Number(sid) : NaN;
  if (!Number.isSafeInteger(sessionId)) {
    throw new ProtocolError(`server hello has no valid <session-id> (got "${sid}")`, { operation: 'hello' });
  }
  return { sessionId, capabilities };
}

/** Picks the framing both sides support; base:1.1 wins. Throws when there is no common base. */
export function negotiateFraming(profile: NetconfProfile, serverCaps: readonly string[]): Framing {
  const has = (uri: string): boolean => serverCaps.some((c) => c === uri || c.startsWith(`${uri}?`));
  if (profile.offerBase11 && has(BASE_11)) return 'chunked';
  if (profile.offerBase10 && has(BASE_10)) return 'eom';
  const offered = [profile.offerBase10 ? 'base:1.0' : '', profile.offerBase11 ? 'base:1.1' : ''].filter(Boolean);
  const server = serverCaps.filter((c) => c.startsWith('urn:ietf:params:netconf:base:')).map((c) => c.slice(24));
  throw new ProtocolError(
    `no common NETCONF base: client (profile ${profile.name}) offers ${offered.join('+') || 'nothing'}, ` +
      `server offers ${server.join('+') || 'no base capability'}`,
    { operation: 'hello', hint: 'choose a device profile that matches the server (e.g. iosxr for 1.1-only servers)' },
  );
}

/** True when the server lists the capability (query parameters after `?` ignored). */
export function hasCapability(caps: readonly string[], uri: string): boolean {
  return caps.some((c) => c === uri || c.startsWith(`${uri}?`));
}

/** Capability URIs the client cares about. */
export const CAP = {
  candidate: 'urn:ietf:params:netconf:capability:candidate:1.0',
  confirmedCommit10: 'urn:ietf:params:netconf:capability:confirmed-commit:1.0',
  confirmedCommit11: 'urn:ietf:params:netconf:capability:confirmed-commit:1.1',
  rollbackOnError: 'urn:ietf:params:netconf:capability:rollback-on-error:1.0',
  validate10: 'urn:ietf:params:netconf:capability:validate:1.0',
  validate11: 'urn:ietf:params:netconf:capability:validate:1.1',
  writableRunning: 'urn:ietf:params:netconf:capability:writable-running:1.0',
  startup: 'urn:ietf:params:netconf:capability:startup:1.0',
  xpath: 'urn:ietf:params:netconf:capability:xpath:1.0',
  notification: 'urn:ietf:params:netconf:capability:notification:1.0',
  interleave: 'urn:ietf:params:netconf:capability:interleave:1.0',
} as const;
