/**
 * libvirt RPC session over one byte stream: serial multiplexing (many calls in flight), per-call
 * timeout and AbortSignal, event MESSAGE routing (stamped on receipt), keepalive (PONG for every
 * PING, own PINGs to detect a dead peer), and a handshake of AUTH_LIST → CONNECT_OPEN → keepalive.
 * Closing, a peer drop or a protocol violation fails every pending call with a typed error.
 */
import type { Duplex } from 'node:stream';
import { AuthError, ConnectionError, LibvirtError, ProtocolError, UnsupportedError } from '../../errors/classes.js';
import { isVmmiError, type VmmiErrorOptions } from '../../errors/vmmi-error.js';
import { withDeadline, type IoOptions } from '../../util/abort.js';
import { type Stamp, stamp } from '../../util/stamp.js';
import { AuthType, ConnectFlag, FEATURE_PROGRAM_KEEPALIVE } from './enums.js';
import { FrameDecoder, type Message, MessageStatus, MessageType, encodeFrame } from './frame.js';
import {
  KEEPALIVE_PROGRAM, KEEPALIVE_VERSION, KeepaliveProc, Proc, type ProcDef, REMOTE_PROGRAM, REMOTE_VERSION,
  decodeRemoteError,
} from './protocol.js';
import { type DialOptions, dialLibvirt } from './socket.js';
import { parseLibvirtUri } from './uri.js';
import { XdrDecoder, XdrEncoder } from './xdr.js';
import { defined } from '../../model/defined.js';

export interface LibvirtClientOptions extends DialOptions {
  /** Name for error messages (defaults to the URI's host or socket). */
  readonly device?: string;
  /** Open the connection read-only (CONNECT_OPEN flag, `-ro` socket by default). */
  readonly readonly?: boolean;
  /** Default per-call limit in ms (30 000); each call may override it. */
  readonly callTimeoutMs?: number;
  /** Own keepalive PING period in ms once the daemon agreed to keepalive (5 000; 0 = never ping). */
  readonly keepaliveIntervalMs?: number;
  /** Silent intervals after which the peer counts as dead (5), as libvirt's keepalive_count. */
  readonly keepaliveCount?: number;
  /** Largest message accepted (bytes of header + payload); libvirt's 32 MiB by default. */
  readonly maxMessageBytes?: number;
}

/** An event MESSAGE of the remote program, undecoded, with its receive stamp. */
export interface RpcEventMessage {
  readonly proc: number;
  readonly payload: Uint8Array;
  readonly at: Stamp;
}

interface Pending {
  readonly proc: number;
  readonly name: string;
  readonly settle: (m: Message | Error) => void;
}

const DEFAULT_CALL_TIMEOUT_MS = 30_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

export class LibvirtClient {
  readonly #stream: Duplex;
  readonly #decoder: FrameDecoder;
  readonly #pending = new Map<number, Pending>();
  readonly #eventListeners = new Set<(m: RpcEventMessage) => void>();
  readonly #closeListeners = new Set<(err: Error) => void>();
  readonly #opts: LibvirtClientOptions;
  readonly #ctx: VmmiErrorOptions;
  #serial = 0;
  #closedWith: Error | undefined;
  #lastRxMs = performance.now();
  #lastPingMs = 0;
  #keepaliveTimer: NodeJS.Timeout | undefined;
  /** Counters for diagnostics and tests. */
  readonly stats = { pingsReceived: 0, pongsSent: 0, pingsSent: 0, pongsReceived: 0, calls: 0 };

  /** Wraps an already connected stream; no handshake (see `connectLibvirt`). */
  constructor(stream: Duplex, opts: LibvirtClientOptions = {}) {
    this.#stream = stream;
    this.#opts = opts;
    this.#ctx = { device: opts.device ?? 'libvirt' };
    this.#decoder = new FrameDecoder(opts.maxMessageBytes);
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    stream.on('error', (e: Error) =>
      this.#fail(new ConnectionError(`connection error: ${e.message}`, { ...this.#ctx, cause: e })),
    );
    stream.on('close', () => this.#onEnd());
    stream.on('end', () => this.#onEnd());
    stream.resume(); // a dialer may have paused it (TLS acceptance byte); a 'data' listener alone does not resume
  }

  get closed(): boolean {
    return this.#closedWith !== undefined;
  }
  get pendingCalls(): number {
    return this.#pending.size;
  }

  /** Subscribes to event MESSAGEs of the remote program; returns the unsubscribe function. */
  onEvent(listener: (m: RpcEventMessage) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** Called once when the connection ends, with the error every pending call failed with. */
  onClose(listener: (err: Error) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /**
   * Calls a remote procedure. Rejects with LibvirtError (daemon error reply), TimeoutError,
   * AbortedError, ConnectionError (closed / dropped) or ProtocolError (malformed reply).
   * A reply arriving after a timeout or abort is dropped.
   */
  async call<A, R>(p: ProcDef<A, R>, args: A, opts: IoOptions = {}): Promise<R> {
    if (this.#closedWith !== undefined) throw this.#closedWith;
    const enc = new XdrEncoder();
    p.args(enc, args);
    this.#serial = this.#serial >= 0xffffffff ? 1 : this.#serial + 1;
    const serial = this.#serial;
    const reply = new Promise<Message>((resolve, reject) => {
      this.#pending.set(serial, {
        proc: p.num,
        name: p.name,
        settle: (m) => (m instanceof Error ? reject(m) : resolve(m)),
      });
    });
    try {
      this.#send(REMOTE_PROGRAM, REMOTE_VERSION, p.num, MessageType.CALL, serial, enc.bytes());
    } catch (e) {
      this.#pending.delete(serial); // e.g. a message over the maximum size: nothing was sent
      throw e;
    }
    this.stats.calls++;
    const m = await withDeadline(reply, p.name, {
      timeoutMs: opts.timeoutMs ?? this.#opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      ...defined({ signal: opts.signal }),
      ctx: { ...this.#ctx, operation: p.name },
      onCancel: () => this.#pending.delete(serial),
    });
    if (m.header.status === MessageStatus.ERROR) throw this.#remoteError(p.name, m.payload);
    if (m.header.status !== MessageStatus.OK) {
      throw new ProtocolError(`${p.name}: unexpected reply status ${m.header.status}`, this.#ctx);
    }
    try {
      const d = new XdrDecoder(m.payload);
      const r = p.ret(d);
      d.end(`${p.name} reply`);
      return r;
    } catch (e) {
      throw isVmmiError(e)
        ? new ProtocolError(`${p.name}: malformed reply: ${e.message}`, { ...this.#ctx, code: 'XDR', cause: e })
        : e;
    }
  }

  /**
   * AUTH_LIST (none / polkit; SASL → UnsupportedError), CONNECT_OPEN with the driver URI, then
   * keepalive negotiation. Own PINGs start only when the daemon supports the keepalive program.
   */
  async handshake(driverUri: string, opts: IoOptions = {}): Promise<void> {
    const types = await this.call(Proc.AUTH_LIST, undefined, opts);
    if (types.length > 0 && !types.includes(AuthType.NONE)) {
      if (types.includes(AuthType.POLKIT)) {
        try {
          await this.call(Proc.AUTH_POLKIT, undefined, opts);
        } catch (e) {
          throw new AuthError(`polkit authentication refused: ${(e as Error).message}`, { ...this.#ctx, cause: e });
        }
      } else {
        throw new UnsupportedError(
          `libvirtd requires SASL authentication (auth types ${types.join(',')}), which vmmi does not implement`,
          {
            ...this.#ctx,
            operation: 'authenticate',
            hint: 'set auth_tcp / auth_unix_rw = "none" (lab) or "polkit", or use the ssh or tls transport',
          },
        );
      }
    }
    await this.call(
      Proc.CONNECT_OPEN,
      { name: driverUri, flags: this.#opts.readonly === true ? ConnectFlag.READONLY : 0 },
      opts,
    );
    if (await this.call(Proc.CONNECT_SUPPORTS_FEATURE, FEATURE_PROGRAM_KEEPALIVE, opts)) this.#startKeepalive();
  }

  /** CONNECT_CLOSE (best effort, bounded), then ends the stream; pending calls fail with ConnectionError. */
  async close(opts: IoOptions = {}): Promise<void> {
    if (this.#closedWith !== undefined) return;
    try {
      await this.call(Proc.CONNECT_CLOSE, undefined, {
        timeoutMs: opts.timeoutMs ?? 2_000,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch {
      // The daemon may already be gone; closing must still succeed.
    }
    this.#fail(new ConnectionError('connection closed by client', this.#ctx));
  }

  #remoteError(name: string, payload: Uint8Array): Error {
    try {
      const r = decodeRemoteError(payload);
      const message = r.message ?? `${name} failed (no message)`;
      // Daemons older than a procedure answer RPC "unknown procedure": for callers that is no-support.
      const unknownProc = r.code === 39 && message.startsWith('unknown procedure');
      return new LibvirtError(message, r.code, r.domain, {
        ...this.#ctx, operation: name, ...(unknownProc ? { name: 'no-support' as const } : {}),
      });
    } catch (e) {
      return new ProtocolError(`${name}: malformed error reply: ${(e as Error).message}`, {
        ...this.#ctx,
        code: 'XDR',
        cause: e,
      });
    }
  }

  #send(prog: number, vers: number, proc: number, type: number, serial: number, payload: Uint8Array): void {
    const frame = encodeFrame(
      { prog, vers, proc, type, serial, status: MessageStatus.OK },
      payload,
      this.#opts.maxMessageBytes,
    );
    this.#stream.write(frame);
  }

  #onData(chunk: Buffer): void {
    if (this.#closedWith !== undefined) return;
    const at = stamp();
    this.#lastRxMs = performance.now();
    let messages: Message[];
    try {
      messages = this.#decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (e) {
      this.#fail(e as Error);
      return;
    }
    for (const m of messages) {
      this.#dispatch(m, at);
      if (this.#closedWith !== undefined) return;
    }
  }

  #dispatch(m: Message, at: Stamp): void {
    const h = m.header;
    if (h.prog === KEEPALIVE_PROGRAM && h.vers === KEEPALIVE_VERSION) {
      if (h.proc === KeepaliveProc.PING) {
        this.stats.pingsReceived++;
        this.#send(KEEPALIVE_PROGRAM, KEEPALIVE_VERSION, KeepaliveProc.PONG, MessageType.MESSAGE, 0, new Uint8Array());
        this.stats.pongsSent++;
      } else if (h.proc === KeepaliveProc.PONG) {
        this.stats.pongsReceived++;
      }
      return;
    }
    if (h.prog !== REMOTE_PROGRAM || h.vers !== REMOTE_VERSION) {
      const hex = `0x${h.prog.toString(16).padStart(8, '0')}`;
      this.#fail(
        new ProtocolError(`peer sent program ${hex} version ${h.vers}; expected libvirt remote 0x20008086 v1`, {
          ...this.#ctx,
          hint: 'is this port really a libvirtd socket?',
        }),
      );
      return;
    }
    if (h.type === MessageType.MESSAGE) {
      for (const l of this.#eventListeners) l({ proc: h.proc, payload: m.payload, at });
      return;
    }
    if (h.type !== MessageType.REPLY) return; // streams are never opened by vmmi
    const p = this.#pending.get(h.serial);
    if (p === undefined) return; // late reply to a call that timed out or was aborted
    this.#pending.delete(h.serial);
    if (h.proc !== p.proc) {
      p.settle(
        new ProtocolError(
          `${p.name}: reply for serial ${h.serial} names procedure ${h.proc}, expected ${p.proc}`,
          this.#ctx,
        ),
      );
      return;
    }
    p.settle(m);
  }

  #onEnd(): void {
    if (this.#closedWith !== undefined) return;
    const partial = this.#decoder.pendingBytes;
    const err =
      partial > 0
        ? new ProtocolError(
            `connection closed mid-frame (${partial} of ${this.#decoder.expectedBytes || '?'} bytes received)`,
            { ...this.#ctx, code: 'FRAMING' },
          )
        : new ConnectionError('connection closed by the daemon', {
            ...this.#ctx,
            hint: 'check the libvirtd log on that host',
          });
    this.#fail(err);
  }

  #fail(err: Error): void {
    if (this.#closedWith !== undefined) return;
    this.#closedWith = err;
    if (this.#keepaliveTimer !== undefined) clearInterval(this.#keepaliveTimer);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.settle(err);
    this.#stream.destroy();
    for (const l of this.#closeListeners) l(err);
  }

  #startKeepalive(): void {
    const interval = this.#opts.keepaliveIntervalMs ?? 5_000;
    if (interval <= 0 || this.#keepaliveTimer !== undefined) return;
    const count = this.#opts.keepaliveCount ?? 5;
    this.#keepaliveTimer = setInterval(() => {
      const idle = performance.now() - this.#lastRxMs;
      if (idle >= interval * count) {
        this.#fail(
          new ConnectionError(
            `peer silent for ${Math.round(idle)} ms (${count} keepalive intervals of ${interval} ms)`,
            {
              ...this.#ctx,
              hint: 'the daemon or the network path is dead; reconnect',
            },
          ),
        );
      } else if (idle >= interval && performance.now() - this.#lastPingMs >= interval) {
        this.#lastPingMs = performance.now();
        this.#send(KEEPALIVE_PROGRAM, KEEPALIVE_VERSION, KeepaliveProc.PING, MessageType.MESSAGE, 0, new Uint8Array());
        this.stats.pingsSent++;
      }
    }, Math.max(10, Math.floor(interval / 2)));
    this.#keepaliveTimer.unref();
  }
}

/** Parses the URI, dials its transport, performs the handshake. Closes the stream on any failure. */
export async function connectLibvirt(uri: string, opts: LibvirtClientOptions = {}): Promise<LibvirtClient> {
  const u = parseLibvirtUri(uri, { readonly: opts.readonly === true });
  // `timeoutMs` bounds dialing and the handshake (each); calls use `callTimeoutMs`.
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const stream = await dialLibvirt(u, { ...opts, timeoutMs });
  const client = new LibvirtClient(stream, { device: u.host ?? u.socketPath, ...opts });
  try {
    await client.handshake(u.driverUri, { timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (e) {
    stream.destroy();
    throw e;
  }
  return client;
}
