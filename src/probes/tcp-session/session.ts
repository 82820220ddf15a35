import { connect, type Socket } from 'node:net';
import { createFrameDecoder, encodeFrame } from './frame.js';

export interface TcpSessionOptions {
  readonly host: string;
  /** The VM's TCP echo port. */
  readonly port: number;
  /** Message interval, ms (default 10): the resolution of the stall figure. */
  readonly intervalMs?: number;
  /** Send phase, ms; then up to `drainMs` for outstanding echoes. */
  readonly durationMs: number;
  readonly drainMs?: number;
  /** Reconnect after a reset/close (default true): counts reconnects; the session did not survive. */
  readonly reconnect?: boolean;
  readonly connectTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface TcpSessionResult {
  /** One connection for the whole run, no reset or close, every message echoed in order. */
  readonly survived: boolean;
  /** False when no connection was ever established: the measurement is ERRORED, not a pass. */
  readonly everConnected: boolean;
  readonly connects: number;
  readonly resets: number;
  readonly reconnects: number;
  readonly sent: number;
  readonly echoed: number;
  readonly outOfOrder: number;
  readonly corrupt: boolean;
  /** Longest interval without an echo while messages were outstanding, ms (± intervalMs). */
  readonly longestStallMs: number;
  /** Monotonic ms at which that stall began. */
  readonly longestStallStartMs: number | undefined;
  readonly intervalMs: number;
  readonly errors: readonly string[];
  readonly startMonoMs: number;
  readonly endMonoMs: number;
}

const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Session-survival probe: a long-lived TCP connection carrying a sequence-numbered message every
 * `intervalMs` to an echo port. Bounded by `durationMs` + drain; stops by itself.
 */
export async function runTcpSession(o: TcpSessionOptions): Promise<TcpSessionResult> {
  const intervalMs = o.intervalMs ?? 10;
  const start = monoMs();
  const errors: string[] = [];
  let connects = 0, resets = 0, reconnects = 0, sent = 0, echoed = 0, outOfOrder = 0, corrupt = false;
  /** Messages that were in flight on a connection that then closed: never echoed. */
  let lostInFlight = 0;
  const outstanding = (): number => sent - echoed - lostInFlight;
  let nextExpected = 0;
  let lastEchoMs: number | undefined;
  let longestStallMs = 0;
  let longestStallStartMs: number | undefined;
  let sock: Socket | undefined;
  let live = false;
  let stopped = false;

  /**
   * Gap since the previous echo; counted while the stream is expected to flow (any echo gap, or a tail with
   * messages outstanding / no connection).
   */
  const noteGap = (now: number, tail = false): void => {
    const from = lastEchoMs ?? start;
    if (tail && outstanding() === 0 && live) return;
    if (now - from > longestStallMs) {
      longestStallMs = now - from;
      longestStallStartMs = from;
    }
  };
  const open = (): void => {
    const dec = createFrameDecoder();
    const s = connect({ host: o.host, port: o.port, noDelay: true, timeout: o.connectTimeoutMs ?? 2000 });
    sock = s;
    s.once('connect', () => {
      connects++;
      live = true;
      s.setTimeout(0);
    });
    s.on('timeout', () => s.destroy(new Error('connect timed out')));
    s.on('data', (d: Buffer) => {
      const now = monoMs();
      for (const f of dec.push(d)) {
        noteGap(now);
        lastEchoMs = now;
        echoed++;
        if (f.seq !== nextExpected) outOfOrder++;
        nextExpected = f.seq + 1;
      }
      corrupt ||= dec.corrupt;
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      errors.push(`${e.code ?? 'error'}: ${e.message}`);
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') resets++;
    });
    s.on('close', () => {
      live = false;
      lostInFlight = sent - echoed;
      if (stopped) return;
      if (connects > 0 && errors.length === 0) errors.push('connection closed by peer');
      if (o.reconnect ?? true) {
        setTimeout(() => {
          if (stopped) return;
          if (connects > 0) reconnects++;
          open();
        }, 100);
      }
    });
  };
  open();

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = monoMs();
      if (o.signal?.aborted === true || now - start >= o.durationMs) {
        clearInterval(timer);
        resolve();
        return;
      }
      if (live && sock !== undefined) {
        sock.write(encodeFrame({ seq: sent, sendMs: now - start }));
        sent++;
      }
    }, intervalMs);
  });
  const drainEnd = monoMs() + (o.drainMs ?? 2000);
  // A stop (signal) ends the send phase only: echoes in flight still drain, bounded by drainMs.
  while (outstanding() > 0 && live && monoMs() < drainEnd) await new Promise((r) => setTimeout(r, 5));
  const end = monoMs();
  noteGap(end, true);
  stopped = true;
  sock?.destroy();
  const survived =
    connects === 1 &&
    resets === 0 &&
    reconnects === 0 &&
    errors.length === 0 &&
    echoed === sent &&
    outOfOrder === 0 &&
    !corrupt &&
    sent > 0;
  return {
    survived, everConnected: connects > 0, connects, resets, reconnects, sent, echoed, outOfOrder, corrupt,
    longestStallMs, longestStallStartMs, intervalMs, errors, startMonoMs: start, endMonoMs: end,
  };
}
