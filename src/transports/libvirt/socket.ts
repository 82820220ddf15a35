/**
 * Dialers for libvirt transports: unix, tcp, tls (libvirt's PKI layout) and ssh (an exec channel
 * running virt-ssh-helper or `nc -U`, through transports/ssh.ts). Each returns a connected Duplex
 * carrying the raw RPC byte stream; framing lives in client.ts.
 */
import { readFile } from 'node:fs/promises';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { ConnectionError, UnsupportedError } from '../../errors/classes.js';
import type { VmmiErrorOptions } from '../../errors/vmmi-error.js';
import { withDeadline, type IoOptions } from '../../util/abort.js';
import { sshConnect } from '../ssh.js';
import { type SshAccess, resolveSshAccess } from './ssh-access.js';
import { type ParsedLibvirtUri, sshRemoteArgv } from './uri.js';
import { defined } from '../../model/defined.js';

export type { SshAccess } from './ssh-access.js';

/** Files of a TLS client identity; each defaults from `pkipath` or libvirt's standard layout. */
export interface TlsFiles {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/**
 * Opens an exec channel on `host` running `argv` and returns its stdio as a Duplex. The default uses
 * transports/ssh.ts; tests and callers that pool SSH connections inject their own.
 */
export type SshExecOpener = (req: {
  readonly host: string; readonly port: number; readonly user: string | undefined; readonly argv: readonly string[];
} & IoOptions) => Promise<Duplex>;

export interface DialOptions extends IoOptions {
  readonly tls?: TlsFiles;
  readonly ssh?: SshAccess;
  readonly openSshExecStream?: SshExecOpener;
}

/** libvirt's default client PKI paths for root (non-root: ~/.pki/libvirt/*.pem). */
export function defaultTlsFiles(
  u: ParsedLibvirtUri,
  home = process.env['HOME'] ?? '/root',
  uid = process.getuid?.() ?? 0,
): Required<TlsFiles> {
  if (u.pkiPath !== undefined) {
    return {
      caFile: `${u.pkiPath}/cacert.pem`,
      certFile: `${u.pkiPath}/clientcert.pem`,
      keyFile: `${u.pkiPath}/clientkey.pem`,
    };
  }
  if (uid !== 0) {
    const d = `${home}/.pki/libvirt`;
    return { caFile: `${d}/cacert.pem`, certFile: `${d}/clientcert.pem`, keyFile: `${d}/clientkey.pem` };
  }
  return {
    caFile: '/etc/pki/CA/cacert.pem',
    certFile: '/etc/pki/libvirt/clientcert.pem',
    keyFile: '/etc/pki/libvirt/private/clientkey.pem',
  };
}

function where(u: ParsedLibvirtUri): string {
  return u.transport === 'unix' ? u.socketPath : `${u.host ?? ''}:${u.port ?? ''}`;
}

/** Waits for `connectEvent` on a socket, failing with ConnectionError (timeout/abort destroy it). */
function connected(sock: Socket, connectEvent: string, u: ParsedLibvirtUri, opts: IoOptions, ctx: VmmiErrorOptions):
  Promise<Duplex> {
  const p = new Promise<Duplex>((resolve, reject) => {
    sock.once(connectEvent, () => {
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      const hint = e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
        ? 'is libvirtd running and listening there (unix socket / listen_tcp / listen_tls)?'
        : 'check the address, firewall and TLS material';
      reject(
        new ConnectionError(`cannot connect to ${u.transport} ${where(u)}: ${e.message}`, { ...ctx, cause: e, hint }),
      );
    });
  });
  return withDeadline(p, `connect ${u.transport} ${where(u)}`, { ...opts, ctx, onCancel: () => sock.destroy() });
}

async function readPem(path: string, what: string, ctx: VmmiErrorOptions): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new ConnectionError(`cannot read TLS ${what} ${path}: ${(e as Error).message}`, {
      ...ctx,
      cause: e,
      hint: 'set ?pkipath=DIR (cacert.pem, clientcert.pem, clientkey.pem) or install the libvirt PKI files',
    });
  }
}

async function dialTls(u: ParsedLibvirtUri, o: DialOptions, ctx: VmmiErrorOptions): Promise<Duplex> {
  const files = { ...defaultTlsFiles(u), ...o.tls };
  const host = u.host ?? '';
  const ca = u.noVerify ? undefined : await readPem(files.caFile, 'CA certificate', ctx);
  const cert = await readPem(files.certFile, 'client certificate', ctx);
  const key = await readPem(files.keyFile, 'client key', ctx);
  const sock = tlsConnect({
    host, port: u.port ?? 16514, cert, key, rejectUnauthorized: !u.noVerify,
    ...defined({ ca }),
    ...(isIP(host) === 0 ? { servername: host } : {}),
  });
  const stream = await connected(sock, 'secureConnect', u, o, ctx);
  return withDeadline(serverAcceptance(stream as TLSSocket, ctx), 'TLS client certificate check',
    { ...o, ctx, onCancel: () => stream.destroy() });
}

/**
 * After the TLS handshake libvirtd checks our certificate and then sends one byte, 1 = accepted,
 * before any RPC traffic; it closes the connection instead when it refuses us.
 */
function serverAcceptance(sock: TLSSocket, ctx: VmmiErrorOptions): Promise<Duplex> {
  const hint = 'the daemon refused our client certificate: check its CA, validity and tls_allowed_dn_list';
  return new Promise<Duplex>((resolve, reject) => {
    const onEnd = (): void => {
      cleanup();
      reject(
        new ConnectionError('TLS connection closed before the daemon accepted the client certificate', {
          ...ctx,
          hint,
        }),
      );
    };
    const onData = (b: Buffer): void => {
      cleanup();
      sock.pause();
      if (b[0] !== 1) {
        sock.destroy();
        reject(
          new ConnectionError(`daemon answered ${b[0] ?? '?'} instead of 1 after the TLS handshake`, { ...ctx, hint }),
        );
        return;
      }
      if (b.length > 1) sock.unshift(b.subarray(1));
      resolve(sock);
    };
    const cleanup = (): void => {
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('close', onEnd);
      sock.off('error', onEnd);
    };
    sock.on('data', onData);
    sock.once('end', onEnd);
    sock.once('close', onEnd);
    sock.once('error', onEnd);
  });
}

const defaultSshOpener =
  (u: ParsedLibvirtUri, given: SshAccess | undefined, ctx: VmmiErrorOptions): SshExecOpener =>
  async (req) => {
    const { credentials, hostKey } = await resolveSshAccess(u, given, ctx);
    const conn = await sshConnect(
      { host: req.host, port: req.port, credentials, hostKey },
      { ...defined({ timeoutMs: req.timeoutMs, signal: req.signal }) },
    );
    try {
      const stream = await conn.execStream(req.argv, req);
      // The SSH connection exists only for this stream: close it with the stream.
      stream.once('close', () => conn.close());
      return stream;
    } catch (e) {
      conn.close();
      throw e;
    }
  };

/** Connects the transport named by the URI. Errors: ConnectionError, UsageError, UnsupportedError. */
export async function dialLibvirt(u: ParsedLibvirtUri, o: DialOptions = {}): Promise<Duplex> {
  const ctx: VmmiErrorOptions = { device: u.host ?? u.socketPath, operation: 'libvirt connect' };
  switch (u.transport) {
    case 'unix':
      return connected(netConnect({ path: u.socketPath }), 'connect', u, o, ctx);
    case 'tcp': {
      const s = netConnect({ host: u.host ?? '', port: u.port ?? 16509 });
      s.setNoDelay(true);
      return connected(s, 'connect', u, o, ctx);
    }
    case 'tls':
      return dialTls(u, o, ctx);
    case 'ssh':
    case 'libssh':
    case 'libssh2': {
      const open = o.openSshExecStream ?? defaultSshOpener(u, o.ssh, ctx);
      return open({ host: u.host ?? '', port: u.port ?? 22, user: u.user, argv: sshRemoteArgv(u),
        ...defined({ timeoutMs: o.timeoutMs, signal: o.signal }) });
    }
    case 'ext':
      throw new UnsupportedError('the ext transport (arbitrary local command) is not supported', {
        ...ctx, hint: 'use unix, tcp, tls or ssh',
      });
  }
}
