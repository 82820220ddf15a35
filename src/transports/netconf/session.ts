/**
 * A NETCONF session over any byte channel (an SSH `netconf` subsystem in production, an in-memory
 * pair in tests): hello exchange, message-id correlation with any number of RPCs in flight,
 * per-RPC timeout and AbortSignal, notifications, and failing every pending RPC when the channel
 * closes. Operation bodies (get-config, edit-config, commit, ...) are built in operations.ts and sent by
 * client.ts; this file owns the wire state.
 */
import type { Duplex } from 'node:stream';
import { ConnectionError, ProtocolError } from '../../errors/classes.js';
import type { RpcErrorInfo } from '../../errors/classes.js';
import { isVmmiError } from '../../errors/vmmi-error.js';
import { AbortedError, TimeoutError } from '../../errors/classes.js';
import { FrameDecoder, encodeMessage, type Framing } from './framing.js';
import { buildClientHello, negotiateFraming, parseServerHello, type NetconfProfile } from './hello.js';
import { parseNotification, type NetconfNotification } from './notifications.js';
import { rpcEnvelope } from './operations.js';
import { parseRpcErrors, splitSeverity, toRpcError } from './rpc-error.js';
import { NotificationQueue } from './notification-queue.js';
import type { XChild } from './xml-build.js';
import { NS_BASE, NS_NOTIFICATION, parseXml, peekRoot, type XNode } from './xml.js';

export interface SessionOptions {
  readonly profile: NetconfProfile;
  /** Device name for error messages. */
  readonly device?: string;
  /** Time allowed for the server hello (ms, default 15 000). */
  readonly helloTimeoutMs?: number;
  /** Default per-RPC timeout (ms, default 60 000). */
  readonly rpcTimeoutMs?: number;
  /**
   * When the first RPC after the hello has no reply and the server sent nothing for this long (ms,
   * default 200; 0 disables), send one no-op RPC. Why: netconfd (yuma123 2.13) leaves a message
   * that arrived in the same read as the client hello unprocessed until more input arrives; its
   * netconf-subsystem relay coalesces hello and first RPC whenever it connects late (seen in ~3 % of
   * lab sessions under load, and in 1 of 5 on loopback while the relay's start was slow). The no-op
   * is a read whose reply is discarded, so a first RPC that is merely slow costs one extra read; a
   * held one waits 200 ms instead of a second (1 s stalled the first get-config of `lab up`'s agents).
   */
  readonly helloNudgeMs?: number;
  /**
   * Most request bytes written whose replies are still outstanding (default 32 KiB; 0 = no limit).
   * Further RPCs wait in the session (their timeout runs) until replies free room; one RPC is always
   * sent, however large. Why: netconfd's netconf-subsystem relay (yuma123 2.13) and netconfd both
   * write with blocking calls; when a burst of pipelined requests fills netconfd's socket while
   * netconfd writes replies to the relay, both block and the session hangs for good (seen with
   * 500-800 pipelined get-config of a 2.2 KB reply). Bounding the unanswered requests keeps the
   * server's input below its socket buffer.
   */
  readonly maxInFlightBytes?: number;
  readonly maxMessageBytes?: number;
  readonly signal?: AbortSignal;
}

export interface RpcOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A successful reply (no rpc-error of severity error). */
export interface RpcReply {
  readonly messageId: string;
  readonly xml: string;
  readonly warnings: readonly RpcErrorInfo[];
  /** Parsed `<rpc-reply>` root (parsed on first access). */
  readonly root: () => XNode;
}

interface Pending {
  readonly id: string;
  readonly op: string;
  readonly resolve: (r: RpcReply) => void;
  readonly reject: (e: Error) => void;
  /** performance.now() after which the RPC fails with TimeoutError. */
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
  /** Request bytes on the wire for this RPC (0 while it waits in the outbox). */
  sent: number;
}

const RESOLVED = Promise.resolve();

/** Default of SessionOptions.maxInFlightBytes. */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 32 * 1024;

export class NetconfSession {
  sessionId = 0;
  serverCapabilities: readonly string[] = [];
  framing: Framing = 'eom';
  readonly profile: NetconfProfile;
  readonly #ch: Duplex;
  readonly #dec: FrameDecoder;
  readonly #opts: SessionOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #listeners = new Set<(n: NetconfNotification) => void>();
  readonly #closeListeners = new Set<(err?: Error) => void>();
  #nextId = 0;
  /** Framed messages not yet written (see #send); `id` ties an RPC's frame to its pending entry. */
  #outbox: { readonly frame: Uint8Array; readonly id: string | undefined }[] = [];
  #flushQueued = false;
  /**
   * One timer for all RPC deadlines, armed for the earliest one while RPCs are pending (see
   * #armDeadline). Why not a timer per RPC: setting and clearing one per RPC (plus its closures) was
   * a measurable share of a small RPC's client CPU, and pipelined RPCs share a deadline anyway.
   */
  #deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  #deadlineAt = Infinity;
  /** Request bytes written whose replies are outstanding (see SessionOptions.maxInFlightBytes). */
  #inFlightBytes = 0;
  /** Bytes received since the hello (the first-RPC nudge fires only on a server that stayed silent). */
  #rxAfterHello = 0;
  #nudgeArmed = false;
  #helloWaiter: ((msg: string | Error) => void) | undefined;
  #closed: Error | undefined;

  private constructor(ch: Duplex, opts: SessionOptions) {
    this.#ch = ch;
    this.#opts = opts;
    this.profile = opts.profile;
    this.#dec = new FrameDecoder(opts.maxMessageBytes === undefined ? {} : { maxMessageBytes: opts.maxMessageBytes });
    ch.on('data', (b: Uint8Array) => this.#onData(b));
    ch.on('error', (e: Error) =>
      this.#shutdown(new ConnectionError(`channel error: ${e.message}`, this.#ctx('session', e))),
    );
    ch.on('close', () => this.#shutdown(new ConnectionError('NETCONF channel closed', this.#ctx('session'))));
    ch.on('end', () =>
      this.#shutdown(new ConnectionError('NETCONF channel ended by the server', this.#ctx('session'))),
    );
  }

  /** Sends the client hello, waits for the server hello and negotiates framing. */
  static async start(ch: Duplex, opts: SessionOptions): Promise<NetconfSession> {
    const s = new NetconfSession(ch, opts);
    await s.#hello();
    return s;
  }

  #ctx(operation: string, cause?: unknown): { device?: string; operation: string; cause?: unknown } {
    return { ...(this.#opts.device !== undefined ? { device: this.#opts.device } : {}), operation,
      ...(cause !== undefined ? { cause } : {}) };
  }

  async #hello(): Promise<void> {
    const timeoutMs = this.#opts.helloTimeoutMs ?? 15_000;
    const got = new Promise<void>((resolve, reject) => {
      this.#helloWaiter = (m) => (typeof m === 'string' ? resolve() : reject(m));
    });
    this.#ch.write(encodeMessage(buildClientHello(this.profile), 'eom'));
    const onAbort = (): void => this.#shutdown(new AbortedError('hello aborted', this.#ctx('hello')));
    this.#opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => this.#shutdown(new TimeoutError('no server hello', timeoutMs, {
      ...this.#ctx('hello'), hint: 'is the netconf subsystem/service enabled and the server healthy?' })), timeoutMs);
    try {
      await got;
    } finally {
      clearTimeout(timer);
      this.#opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Parses the server hello; framing switches before any byte after it is decoded. */
  #acceptHello(msg: string): void {
    const hello = parseServerHello(msg);
    this.framing = negotiateFraming(this.profile, hello.capabilities);
    this.sessionId = hello.sessionId;
    this.serverCapabilities = hello.capabilities;
    this.#dec.setFraming(this.framing);
    const w = this.#helloWaiter;
    this.#helloWaiter = undefined;
    w?.('ok');
  }

  #onData(b: Uint8Array): void {
    if (this.#closed !== undefined) return;
    if (this.#helloWaiter === undefined) this.#rxAfterHello += b.length;
    try {
      this.#dec.push(b);
      for (let m = this.#dec.next(); m !== undefined; m = this.#dec.next()) this.#onMessage(m);
    } catch (e) {
      this.#shutdown(isVmmiError(e) ? e : new ProtocolError(String(e), { cause: e }));
    }
  }

  #onMessage(msg: string): void {
    if (this.#helloWaiter !== undefined) {
      this.#acceptHello(msg);
      return;
    }
    const root = peekRoot(msg);
    if (root === undefined) throw new ProtocolError('message without a root element');
    if (root.name === 'notification' && (root.ns === NS_NOTIFICATION || root.ns === undefined)) {
      const n = parseNotification(msg);
      for (const f of this.#listeners) f(n);
      return;
    }
    if (root.name !== 'rpc-reply' || (root.ns !== undefined && root.ns !== NS_BASE)) {
      throw new ProtocolError(`unexpected message <${root.name}> (namespace ${root.ns ?? 'none'})`);
    }
    const p = root.messageId === undefined ? undefined : this.#pending.get(root.messageId);
    if (p === undefined) return; // reply to an RPC that already timed out or was aborted
    this.#settle(p);
    let parsed: XNode | undefined;
    const rootFn = (): XNode => (parsed ??= parseXml(msg));
    if (msg.includes('rpc-error')) {
      const { errors, warnings } = splitSeverity(parseRpcErrors(rootFn()));
      if (errors.length > 0) {
        p.reject(toRpcError(errors, p.op, this.#opts.device));
        return;
      }
      p.resolve({ messageId: root.messageId as string, xml: msg, warnings, root: rootFn });
      return;
    }
    p.resolve({ messageId: root.messageId as string, xml: msg, warnings: [], root: rootFn });
  }

  #shutdown(err: Error): void {
    if (this.#closed !== undefined) return;
    this.#closed = err;
    this.#helloWaiter?.(err);
    this.#helloWaiter = undefined;
    for (const p of [...this.#pending.values()]) {
      this.#settle(p);
      p.reject(err);
    }
    for (const f of this.#closeListeners) f(err);
    this.#ch.destroy();
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Number of RPCs awaiting a reply. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * Sends one RPC (a builder tree or raw XML for vendor-native RPCs) and resolves with the reply.
   * Rejects with NetconfRpcError on rpc-error(s) of severity error, TimeoutError/AbortedError
   * (the session stays usable; a late reply is dropped), ConnectionError when the session ends.
   */
  rpc(body: XChild | string, opts: RpcOptions = {}, op = rpcName(body)): Promise<RpcReply> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const signal = opts.signal;
    if (signal?.aborted === true) return Promise.reject(new AbortedError(`${op} aborted`, this.#ctx(op, signal.reason)));
    const id = String(++this.#nextId);
    const timeoutMs = opts.timeoutMs ?? this.#opts.rpcTimeoutMs ?? 60_000;
    return new Promise<RpcReply>((resolve, reject) => {
      // An aborted RPC frees its window share too: its reply, if any, is dropped.
      const onAbort = signal === undefined ? undefined : (): void => {
        if (this.#pending.get(id) !== entry) return;
        this.#settle(entry);
        reject(new AbortedError(`${op} aborted`, this.#ctx(op, signal.reason)));
      };
      const entry: Pending = { id, op, resolve, reject, deadline: performance.now() + timeoutMs, timeoutMs, signal,
        onAbort, sent: 0 };
      signal?.addEventListener('abort', onAbort as () => void, { once: true });
      this.#pending.set(id, entry);
      this.#armDeadline(entry.deadline);
      this.#send(encodeMessage(rpcEnvelope(id, body), this.framing), id);
      this.#armNudge();
    });
  }

  /** The RPC leaves the pending map: its abort listener goes, its bytes leave the window. */
  #settle(p: Pending): void {
    this.#pending.delete(p.id);
    if (p.onAbort !== undefined) p.signal?.removeEventListener('abort', p.onAbort);
    this.#release(p);
    if (this.#pending.size === 0 && this.#deadlineTimer !== undefined) {
      clearTimeout(this.#deadlineTimer);
      this.#deadlineTimer = undefined;
      this.#deadlineAt = Infinity;
    }
  }

  /** Makes the deadline timer fire no later than `at` (performance.now() time). */
  #armDeadline(at: number): void {
    if (at >= this.#deadlineAt) return;
    if (this.#deadlineTimer !== undefined) clearTimeout(this.#deadlineTimer);
    this.#deadlineAt = at;
    this.#deadlineTimer = setTimeout(() => this.#expire(), Math.max(0, at - performance.now()));
  }

  /** Fails every RPC past its deadline with TimeoutError (the session stays usable); re-arms for the rest. */
  #expire(): void {
    this.#deadlineTimer = undefined;
    this.#deadlineAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const p of [...this.#pending.values()]) {
      if (p.deadline <= now) {
        this.#settle(p);
        p.reject(new TimeoutError(`${p.op} got no reply`, p.timeoutMs, this.#ctx(p.op)));
      } else if (p.deadline < next) {
        next = p.deadline;
      }
    }
    if (next !== Infinity && this.#pending.size > 0) this.#armDeadline(next);
  }

  /** See SessionOptions.helloNudgeMs: one no-op RPC if the first RPC meets a silent server. */
  #armNudge(): void {
    const ms = this.#opts.helloNudgeMs ?? 200;
    if (this.#nudgeArmed || ms <= 0) return;
    this.#nudgeArmed = true;
    const t = setTimeout(() => {
      if (this.#closed !== undefined || this.#rxAfterHello > 0 || this.#pending.size === 0) return;
      // An empty subtree filter selects nothing: the reply is empty data (or an error), either discarded.
      const noop =
        '<get-config><source><running/></source><filter type="subtree"><nudge xmlns="urn:vmmi:session-nudge"/></filter></get-config>';
      this.#send(encodeMessage(rpcEnvelope(`nudge-${this.sessionId ?? 0}`, noop), this.framing));
    }, ms);
    t.unref?.();
  }

  /**
   * Queues one framed message; everything queued in the same tick leaves in one channel write.
   * RPCs issued together (a transaction's lock + discard + edit) then cost one SSH packet and one
   * socket write instead of one each, which is most of a small RPC's client CPU and wakes the
   * server's relay chain once. Order on the wire is the order of `rpc()` calls. RPC frames (with
   * `id`) also respect the in-flight window; other frames are never held back.
   */
  #send(frame: Uint8Array, id?: string): void {
    this.#outbox.push({ frame, id });
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // A resolved promise's reaction rather than queueMicrotask, which wraps each callback in an
    // AsyncResource (allocation and async-id bookkeeping per flush); same microtask timing.
    void RESOLVED.then(() => {
      this.#flushQueued = false;
      try {
        this.#flush();
      } catch (e) {
        this.#shutdown(new ConnectionError(`write failed: ${(e as Error).message}`, this.#ctx('session', e)));
      }
    });
  }

  /** Writes the outbox up to the in-flight window, in order; the rest waits for replies. */
  #flush(): void {
    if (this.#closed !== undefined) {
      this.#outbox = [];
      return;
    }
    const max = this.#opts.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
    const box = this.#outbox;
    const out: Uint8Array[] = [];
    let total = 0;
    let n = 0;
    for (; n < box.length; n++) {
      const { frame, id } = box[n] as (typeof box)[number];
      if (id !== undefined) {
        const p = this.#pending.get(id);
        if (p === undefined) continue; // timed out or aborted before it was sent
        if (max > 0 && this.#inFlightBytes > 0 && this.#inFlightBytes + frame.length > max) break;
        p.sent = frame.length;
        this.#inFlightBytes += frame.length;
      }
      out.push(frame);
      total += frame.length;
    }
    this.#outbox = n === box.length ? [] : box.slice(n);
    if (out.length === 0) return;
    if (out.length === 1) {
      this.#ch.write(out[0] as Uint8Array);
      return;
    }
    const joined = new Uint8Array(total);
    let at = 0;
    for (const f of out) {
      joined.set(f, at);
      at += f.length;
    }
    this.#ch.write(joined);
  }

  /** An RPC left the pending map: its bytes leave the window and waiting RPCs may go. */
  #release(p: Pending): void {
    if (p.sent === 0) return;
    this.#inFlightBytes -= p.sent;
    p.sent = 0;
    if (this.#outbox.length > 0) this.#scheduleFlush();
  }

  /** Registers a notification listener; returns an unsubscribe function. */
  onNotification(f: (n: NetconfNotification) => void): () => void {
    this.#listeners.add(f);
    return () => this.#listeners.delete(f);
  }

  /** Async iterator over notifications received from now on; ends when the session closes. */
  notifications(opts: { maxQueued?: number; signal?: AbortSignal } = {}): AsyncIterableIterator<NetconfNotification> {
    const q = new NotificationQueue<NetconfNotification>(opts.maxQueued ?? 10_000);
    const off = this.onNotification((n) => q.push(n));
    const offClose = this.onClose(() => q.end());
    opts.signal?.addEventListener('abort', () => q.end(), { once: true });
    if (this.#closed !== undefined) q.end();
    return q.iterator(() => {
      off();
      offClose();
    });
  }

  onClose(f: (err?: Error) => void): () => void {
    this.#closeListeners.add(f);
    return () => this.#closeListeners.delete(f);
  }

  /** Ends the channel without close-session (the server sees the transport go away). */
  destroy(): void {
    this.#shutdown(new ConnectionError('session destroyed by the client', this.#ctx('session')));
  }
}

function rpcName(body: XChild | string): string {
  if (typeof body === 'string') return /<([\w:.-]+)/.exec(body)?.[1] ?? 'rpc';
  if (body !== null && typeof body === 'object' && body.kind === 'el') return body.name;
  return 'rpc';
}
