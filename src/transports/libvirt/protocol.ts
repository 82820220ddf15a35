/**
 * The subset of libvirt's remote program vmmi speaks, written by hand from the interface facts:
 * program numbers, procedure numbers and the XDR shape of each procedure's args and ret. Pure.
 * The protocol is append-only; a daemon that lacks a procedure answers with an error (no-support).
 */
import { type TypedParam, XdrDecoder, XdrEncoder, uuidFromString, uuidToString } from './xdr.js';

export const REMOTE_PROGRAM = 0x20008086;
export const REMOTE_VERSION = 1;
export const KEEPALIVE_PROGRAM = 0x6b656570;
export const KEEPALIVE_VERSION = 1;
export const KeepaliveProc = { PING: 1, PONG: 2 } as const;

/** Domain identity on the wire (`remote_nonnull_domain`); `id` is -1 when the domain is inactive. */
export interface WireDomain {
  readonly name: string;
  /** Canonical 8-4-4-4-12 form. */
  readonly uuid: string;
  readonly id: number;
}

/** One remote procedure: its number, name and codecs. */
export interface ProcDef<A, R> {
  readonly num: number;
  readonly name: string;
  readonly args: (e: XdrEncoder, a: A) => void;
  readonly ret: (d: XdrDecoder) => R;
}

const none = (): void => undefined;
const writeDomain = (e: XdrEncoder, d: WireDomain): void => {
  e.string(d.name).opaqueFixed(uuidFromString(d.uuid), 16).int(d.id);
};
export const readDomain = (d: XdrDecoder): WireDomain => ({
  name: d.string(), uuid: uuidToString(d.opaqueFixed(16)), id: d.int(),
});
type DomFlags = { readonly dom: WireDomain; readonly flags: number };
const domFlags = (e: XdrEncoder, a: DomFlags): void => {
  writeDomain(e, a.dom);
  e.uint(a.flags);
};
const domOnly = (e: XdrEncoder, a: { readonly dom: WireDomain }): void => writeDomain(e, a.dom);

function proc<A, R>(
  num: number,
  name: string,
  args: (e: XdrEncoder, a: A) => void,
  ret: (d: XdrDecoder) => R,
): ProcDef<A, R> {
  return { num, name, args, ret };
}

export interface DomainInfoWire {
  readonly state: number;
  readonly maxMemKiB: bigint;
  readonly memoryKiB: bigint;
  readonly nrVirtCpu: number;
  readonly cpuTimeNs: bigint;
}

export interface PerformArgs {
  readonly dom: WireDomain;
  readonly dconnuri: string | undefined;
  readonly params: readonly TypedParam[];
  readonly cookieIn: Uint8Array;
  readonly flags: number;
}

export const Proc = {
  CONNECT_OPEN: proc<{ name: string | undefined; flags: number }, void>(1, 'CONNECT_OPEN',
    (e, a) => e.optional(a.name, (x, v) => x.string(v)).uint(a.flags), none),
  CONNECT_CLOSE: proc<void, void>(2, 'CONNECT_CLOSE', none, none),
  DOMAIN_GET_XML_DESC: proc<DomFlags, string>(14, 'DOMAIN_GET_XML_DESC', domFlags, (d) => d.string()),
  DOMAIN_GET_INFO: proc<{ dom: WireDomain }, DomainInfoWire>(16, 'DOMAIN_GET_INFO', domOnly, (d) => ({
    state: d.int(), maxMemKiB: d.uhyper(), memoryKiB: d.uhyper(), nrVirtCpu: d.int(), cpuTimeNs: d.uhyper(),
  })),
  DOMAIN_LOOKUP_BY_ID: proc<number, WireDomain>(22, 'DOMAIN_LOOKUP_BY_ID', (e, id) => e.int(id), readDomain),
  DOMAIN_LOOKUP_BY_NAME: proc<string, WireDomain>(23, 'DOMAIN_LOOKUP_BY_NAME', (e, n) => e.string(n), readDomain),
  DOMAIN_LOOKUP_BY_UUID: proc<string, WireDomain>(24, 'DOMAIN_LOOKUP_BY_UUID',
    (e, u) => e.opaqueFixed(uuidFromString(u), 16), readDomain),
  DOMAIN_RESUME: proc<{ dom: WireDomain }, void>(28, 'DOMAIN_RESUME', domOnly, none),
  DOMAIN_SUSPEND: proc<{ dom: WireDomain }, void>(34, 'DOMAIN_SUSPEND', domOnly, none),
  CONNECT_GET_VERSION: proc<void, bigint>(4, 'CONNECT_GET_VERSION', none, (d) => d.uhyper()),
  CONNECT_GET_HOSTNAME: proc<void, string>(59, 'CONNECT_GET_HOSTNAME', none, (d) => d.string()),
  CONNECT_SUPPORTS_FEATURE: proc<number, boolean>(60, 'CONNECT_SUPPORTS_FEATURE', (e, f) => e.int(f),
    (d) => d.int() !== 0),
  AUTH_LIST: proc<void, number[]>(66, 'AUTH_LIST', none, (d) => d.array((x) => x.int(), 20)),
  AUTH_POLKIT: proc<void, number>(70, 'AUTH_POLKIT', none, (d) => d.int()),
  CONNECT_GET_URI: proc<void, string>(110, 'CONNECT_GET_URI', none, (d) => d.string()),
  CONNECT_GET_LIB_VERSION: proc<void, bigint>(157, 'CONNECT_GET_LIB_VERSION', none, (d) => d.uhyper()),
  DOMAIN_ABORT_JOB: proc<{ dom: WireDomain }, void>(164, 'DOMAIN_ABORT_JOB', domOnly, none),
  DOMAIN_MIGRATE_SET_MAX_DOWNTIME: proc<DomFlags & { ms: bigint }, void>(166, 'DOMAIN_MIGRATE_SET_MAX_DOWNTIME',
    (e, a) => {
      writeDomain(e, a.dom);
      e.uhyper(a.ms).uint(a.flags);
    }, none),
  DOMAIN_CREATE_WITH_FLAGS: proc<DomFlags, WireDomain>(196, 'DOMAIN_CREATE_WITH_FLAGS', domFlags, readDomain),
  DOMAIN_MIGRATE_SET_MAX_SPEED: proc<DomFlags & { mibs: bigint }, void>(207, 'DOMAIN_MIGRATE_SET_MAX_SPEED',
    (e, a) => {
      writeDomain(e, a.dom);
      e.uhyper(a.mibs).uint(a.flags);
    }, none),
  DOMAIN_GET_STATE: proc<DomFlags, { state: number; reason: number }>(212, 'DOMAIN_GET_STATE', domFlags,
    (d) => ({ state: d.int(), reason: d.int() })),
  DOMAIN_UNDEFINE_FLAGS: proc<DomFlags, void>(231, 'DOMAIN_UNDEFINE_FLAGS', domFlags, none),
  DOMAIN_DESTROY_FLAGS: proc<DomFlags, void>(234, 'DOMAIN_DESTROY_FLAGS', domFlags, none),
  DOMAIN_MIGRATE_GET_MAX_SPEED: proc<DomFlags, bigint>(242, 'DOMAIN_MIGRATE_GET_MAX_SPEED', domFlags,
    (d) => d.uhyper()),
  DOMAIN_SHUTDOWN_FLAGS: proc<DomFlags, void>(258, 'DOMAIN_SHUTDOWN_FLAGS', domFlags, none),
  CONNECT_LIST_ALL_DOMAINS: proc<{ needResults: number; flags: number }, WireDomain[]>(273,
    'CONNECT_LIST_ALL_DOMAINS', (e, a) => e.int(a.needResults).uint(a.flags), (d) => {
      const doms = d.array(readDomain, 16384);
      d.uint();
      return doms;
    }),
  DOMAIN_GET_JOB_STATS: proc<DomFlags, { type: number; params: TypedParam[] }>(298, 'DOMAIN_GET_JOB_STATS',
    domFlags, (d) => ({ type: d.int(), params: d.typedParams(64) })),
  DOMAIN_MIGRATE_PERFORM3_PARAMS: proc<PerformArgs, Uint8Array>(305, 'DOMAIN_MIGRATE_PERFORM3_PARAMS', (e, a) => {
    writeDomain(e, a.dom);
    e.optional(a.dconnuri, (x, v) => x.string(v)).typedParams(a.params, 64).opaque(a.cookieIn).uint(a.flags);
  }, (d) => d.opaque()),
  CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: proc<{ eventId: number; dom: WireDomain | undefined }, number>(316,
    'CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY',
    (e, a) => e.int(a.eventId).optional(a.dom, (x, v) => writeDomain(x, v)), (d) => d.int()),
  CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY: proc<number, void>(317,
    'CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY', (e, id) => e.int(id), none),
  DOMAIN_MIGRATE_START_POST_COPY: proc<DomFlags, void>(364, 'DOMAIN_MIGRATE_START_POST_COPY', domFlags, none),
  DOMAIN_DEFINE_XML_FLAGS: proc<{ xml: string; flags: number }, WireDomain>(350, 'DOMAIN_DEFINE_XML_FLAGS',
    (e, a) => e.string(a.xml).uint(a.flags), readDomain),
  DOMAIN_MIGRATE_GET_MAX_DOWNTIME: proc<DomFlags, bigint>(387, 'DOMAIN_MIGRATE_GET_MAX_DOWNTIME', domFlags,
    (d) => d.uhyper()),
} as const;

/** Event MESSAGE procedures (server → client, serial 0). */
export const EventProc = { LIFECYCLE: 318, REBOOT: 319, MIGRATION_ITERATION: 359, JOB_COMPLETED: 363 } as const;

export interface LifecycleMsg {
  readonly callbackId: number;
  readonly dom: WireDomain;
  readonly event: number;
  readonly detail: number;
}
export interface IterationMsg { readonly callbackId: number; readonly dom: WireDomain; readonly iteration: number }
export interface JobCompletedMsg {
  readonly callbackId: number;
  readonly dom: WireDomain;
  readonly params: TypedParam[];
}

export function decodeLifecycleMsg(b: Uint8Array): LifecycleMsg {
  const d = new XdrDecoder(b);
  const m = { callbackId: d.int(), dom: readDomain(d), event: d.int(), detail: d.int() };
  d.end('lifecycle event');
  return m;
}
/** The guest reset (guest-initiated reboot, panic with panic=-1, or a reset): callbackID and domain only. */
export interface RebootMsg { readonly callbackId: number; readonly dom: WireDomain }
export function decodeRebootMsg(b: Uint8Array): RebootMsg {
  const d = new XdrDecoder(b);
  const m = { callbackId: d.int(), dom: readDomain(d) };
  d.end('reboot event');
  return m;
}
export function decodeIterationMsg(b: Uint8Array): IterationMsg {
  const d = new XdrDecoder(b);
  const m = { callbackId: d.int(), dom: readDomain(d), iteration: d.int() };
  d.end('migration-iteration event');
  return m;
}
export function decodeJobCompletedMsg(b: Uint8Array): JobCompletedMsg {
  const d = new XdrDecoder(b);
  const m = { callbackId: d.int(), dom: readDomain(d), params: d.typedParams(64) };
  d.end('job-completed event');
  return m;
}

/** `remote_error`: the payload of a REPLY with status ERROR. */
export interface RemoteError {
  readonly code: number;
  readonly domain: number;
  readonly message: string | undefined;
  readonly level: number;
  readonly str1?: string | undefined;
  readonly int1: number;
}

export function decodeRemoteError(b: Uint8Array): RemoteError {
  const d = new XdrDecoder(b);
  const code = d.int();
  const domain = d.int();
  const message = d.optional((x) => x.string());
  const level = d.int();
  d.optional(readDomain);
  const str1 = d.optional((x) => x.string());
  d.optional((x) => x.string());
  d.optional((x) => x.string());
  const int1 = d.int();
  d.int();
  d.optional((x) => ({ name: x.string(), uuid: x.opaqueFixed(16) }));
  return { code, domain, message, level, str1, int1 };
}

export function encodeRemoteError(e: { code: number; domain: number; message?: string; level?: number }): Uint8Array {
  const x = new XdrEncoder();
  x.int(e.code).int(e.domain).optional(e.message, (w, v) => w.string(v)).int(e.level ?? 2);
  x.uint(0).uint(0).uint(0).uint(0).int(0).int(0).uint(0);
  return x.bytes();
}

/** Typed params → plain record; hypers become numbers when exact (every job stat in practice). */
export function paramsToRecord(ps: readonly TypedParam[]): Record<string, number | string | boolean | bigint> {
  const out: Record<string, number | string | boolean | bigint> = {};
  for (const p of ps) {
    const v = p.value;
    out[p.field] =
      typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(v)
        : v;
  }
  return out;
}
