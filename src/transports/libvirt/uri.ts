/**
 * libvirt connection URIs: `driver[+transport]://[user@][host][:port]/path[?params]`. Pure.
 * The client dials the transport itself and sends the *driver URI* (no transport, host or transport
 * params) to CONNECT_OPEN, as libvirt's remote driver does.
 */
import { UsageError } from '../../errors/classes.js';
import { defined } from '../../model/defined.js';

export const LIBVIRT_TRANSPORTS = ['unix', 'tcp', 'tls', 'ssh', 'libssh', 'libssh2', 'ext'] as const;
export type LibvirtTransport = (typeof LIBVIRT_TRANSPORTS)[number];

export const DEFAULT_PORTS: Readonly<Record<'tcp' | 'tls' | 'ssh', number>> = { tcp: 16509, tls: 16514, ssh: 22 };
export const DEFAULT_SOCKET = '/run/libvirt/libvirt-sock';
export const DEFAULT_SOCKET_RO = '/run/libvirt/libvirt-sock-ro';

/** Query params consumed by the client side (transport), never forwarded to the daemon. */
const TRANSPORT_PARAMS = new Set([
  'name', 'command', 'socket', 'auth', 'netcat', 'keyfile', 'no_verify', 'no_tty', 'pkipath', 'known_hosts',
  'known_hosts_verify', 'sshauth', 'proxy', 'mode', 'tls_priority', 'tls',
]);

export interface ParsedLibvirtUri {
  /** The URI as given. */
  readonly uri: string;
  /** Hypervisor driver: `qemu`, `test`, `xen`, … */
  readonly driver: string;
  readonly transport: LibvirtTransport;
  readonly user?: string;
  /** Host without IPv6 brackets; undefined for local unix sockets. */
  readonly host?: string;
  /** Port for tcp/tls/ssh (default applied). */
  readonly port?: number;
  /** Path part, e.g. `/system`, `/default`. */
  readonly path: string;
  /** All query params, decoded (later duplicates win). */
  readonly params: Readonly<Record<string, string>>;
  /** What CONNECT_OPEN receives: `qemu:///system`, or the `name` param verbatim. */
  readonly driverUri: string;
  /** Unix socket path (local for unix, remote for ssh): `socket` param or the default. */
  readonly socketPath: string;
  /** `no_verify=1`: do not verify the server certificate (tls). */
  readonly noVerify: boolean;
  /** `pkipath`: directory holding cacert.pem, clientcert.pem, clientkey.pem (tls). */
  readonly pkiPath?: string;
  readonly keyFile?: string;
  /** Remote netcat binary (ssh, `netcat` param), default `nc`. */
  readonly netcat: string;
  /** ssh proxy mode: `auto` (virt-ssh-helper if present, else netcat), `netcat`, `native`. */
  readonly proxy: 'auto' | 'netcat' | 'native';
}

function bad(uri: string, why: string): UsageError {
  return new UsageError(`invalid libvirt URI "${uri}": ${why}`, {
    hint: 'use driver[+transport]://[user@][host][:port]/path[?params], e.g. qemu+tcp://198.18.10.11/system',
  });
}

/** Splits a query string on & and ;, decoding %xx (not '+', which libvirt keeps literal). */
function parseQuery(uri: string, q: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of q.split(/[&;]/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    try {
      out[decodeURIComponent(k)] = decodeURIComponent(v);
    } catch {
      throw bad(uri, `malformed escape in query parameter "${k}"`);
    }
  }
  return out;
}

export function parseLibvirtUri(uri: string, opts: { readonly readonly?: boolean } = {}): ParsedLibvirtUri {
  const m = /^([A-Za-z][A-Za-z0-9-]*)(?:\+([A-Za-z0-9]+))?:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?$/.exec(uri);
  if (m === null) throw bad(uri, 'not of the form driver[+transport]://[host]/path');
  const [, driver = '', transportRaw, authority = '', path = '', query = ''] = m;
  const params = parseQuery(uri, query);

  let user: string | undefined;
  let hostPort = authority;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    user = decodeURIComponent(authority.slice(0, at));
    hostPort = authority.slice(at + 1);
  }
  let host: string | undefined;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d*))?$/.exec(hostPort);
  if (v6 !== null) {
    host = v6[1];
    portText = v6[2];
  } else if (hostPort !== '') {
    const parts = hostPort.split(':');
    if (parts.length > 2) throw bad(uri, 'IPv6 hosts must be in brackets');
    host = parts[0] === '' ? undefined : parts[0];
    portText = parts[1];
  }

  const lowered = transportRaw?.toLowerCase();
  if (lowered !== undefined && !(LIBVIRT_TRANSPORTS as readonly string[]).includes(lowered)) {
    throw bad(uri, `unknown transport "${transportRaw}" (known: ${LIBVIRT_TRANSPORTS.join(', ')})`);
  }
  const transport = (lowered ?? (host === undefined ? 'unix' : 'tls')) as LibvirtTransport;
  if (transport === 'unix' && host !== undefined) throw bad(uri, 'the unix transport takes no host');
  if ((transport === 'tcp' || transport === 'tls' || transport.endsWith('ssh') || transport === 'libssh2')
    && host === undefined) {
    throw bad(uri, `the ${transport} transport needs a host`);
  }

  let port: number | undefined;
  if (portText !== undefined && portText !== '') {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(uri, `port "${portText}" out of range`);
  } else if (transport === 'tcp' || transport === 'tls') {
    port = DEFAULT_PORTS[transport];
  } else if (transport === 'ssh' || transport === 'libssh' || transport === 'libssh2') {
    port = DEFAULT_PORTS.ssh;
  }

  const forwarded = Object.entries(params).filter(([k]) => !TRANSPORT_PARAMS.has(k));
  const fq = forwarded.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const driverUri = params['name'] ?? `${driver.toLowerCase()}://${path}${fq === '' ? '' : `?${fq}`}`;
  const proxy = params['proxy'] ?? 'auto';
  if (proxy !== 'auto' && proxy !== 'netcat' && proxy !== 'native') {
    throw bad(uri, `proxy must be auto, netcat or native, got "${proxy}"`);
  }
  const flag = (v: string | undefined): boolean => v !== undefined && v !== '0' && v !== '';

  return {
    uri, driver: driver.toLowerCase(), transport, path, params, driverUri, proxy,
    socketPath: params['socket'] ?? (opts.readonly === true ? DEFAULT_SOCKET_RO : DEFAULT_SOCKET),
    noVerify: flag(params['no_verify']),
    netcat: params['netcat'] ?? 'nc',
    ...defined({ user, host, port, pkiPath: params['pkipath'] }),
    ...defined({ keyFile: params['keyfile'] }),
  };
}

/** Quotes one word for a POSIX shell (single quotes). */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The argv an ssh transport runs on the remote host; its stdio then carries the RPC stream.
 * `auto` mirrors libvirt: virt-ssh-helper when installed, else netcat to the daemon socket.
 * virt-ssh-helper cannot be told a socket path, so an explicit `socket` param means netcat.
 */
export function sshRemoteArgv(u: ParsedLibvirtUri): string[] {
  const helper = ['virt-ssh-helper', u.driverUri];
  const nc = [u.netcat, '-U', u.socketPath];
  if (u.proxy === 'native') return helper;
  if (u.proxy === 'netcat' || u.params['socket'] !== undefined) return nc;
  const q = (a: string[]): string => a.map(shellQuote).join(' ');
  return ['sh', '-c', `if which virt-ssh-helper >/dev/null 2>&1; then exec ${q(helper)}; else exec ${q(nc)}; fi`];
}
