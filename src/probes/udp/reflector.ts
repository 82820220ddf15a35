import { createSocket } from 'node:dgram';
import { createServer, type Socket as TcpSocket } from 'node:net';

export interface ReflectorOptions {
  /** Address to bind; `::` (default) is dual-stack (IPv6 socket with V6ONLY off). */
  readonly host?: string;
  /** UDP port (0 = any free port). */
  readonly udpPort?: number;
  /** TCP echo port; undefined = no TCP echo server. 0 = any free port. */
  readonly tcpPort?: number;
  /** Hard lifetime, ms: the reflector closes itself after it (bounded like every traffic loop). */
  readonly lifetimeMs: number;
  readonly signal?: AbortSignal;
}

export interface ReflectorStats {
  udpEchoed: number;
  tcpBytes: number;
  tcpConnections: number;
}

export interface Reflector {
  readonly udpPort: number;
  readonly tcpPort: number | undefined;
  readonly stats: Readonly<ReflectorStats>;
  /** Resolves when the reflector has closed (lifetime, abort or close()). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * A host-side reflector that interoperates with the guest's C `udprefl`: every UDP datagram's payload
 * goes back unchanged to its sender, and the optional TCP echo port returns every byte (for the
 * session probe). It never interprets payloads.
 */
export async function startReflector(o: ReflectorOptions): Promise<Reflector> {
  const host = o.host ?? '::';
  const udp = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only: false });
  const stats: ReflectorStats = { udpEchoed: 0, tcpBytes: 0, tcpConnections: 0 };
  udp.on('message', (msg, rinfo) => {
    udp.send(msg, rinfo.port, rinfo.address);
    stats.udpEchoed++;
  });
  udp.on('error', () => { /* send errors to a vanished peer are that peer's loss */ });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(o.udpPort ?? 0, host, () => {
      udp.off('error', reject);
      try {
        udp.setRecvBufferSize(4 << 20);
        udp.setSendBufferSize(4 << 20);
      } catch { /* kernel cap applies */ }
      resolve();
    });
  });
  const udpPort = udp.address().port;

  const conns = new Set<TcpSocket>();
  const tcp = o.tcpPort === undefined ? undefined : createServer((c) => {
    stats.tcpConnections++;
    conns.add(c);
    c.setNoDelay(true);
    c.on('data', (d) => {
      stats.tcpBytes += d.length;
      c.write(d);
    });
    c.on('error', () => c.destroy());
    c.on('close', () => conns.delete(c));
  });
  if (tcp !== undefined) {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ port: o.tcpPort, host, ipv6Only: false }, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  }
  const tcpAddr = tcp?.address();
  const tcpPort = tcpAddr !== undefined && tcpAddr !== null && typeof tcpAddr === 'object' ? tcpAddr.port : undefined;

  let done: () => void = () => undefined;
  const closed = new Promise<void>((r) => { done = r; });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearTimeout(timer);
      for (const c of conns) c.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        tcp === undefined ? undefined : new Promise<void>((r) => tcp.close(() => r())),
      ]);
      done();
    })();
    return closing;
  };
  const timer = setTimeout(() => void close(), o.lifetimeMs);
  o.signal?.addEventListener('abort', () => void close(), { once: true });
  return { udpPort, tcpPort, stats, closed, close };
}
