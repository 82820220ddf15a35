/**
 * One-way delay of an SSH path, measured at the application level: one byte at a time through `cat`
 * on an exec channel of the same connection the observer reads from. A record pushed by the device
 * reaches the controller about half a round trip after the device wrote it, so half the median round
 * trip is the uncertainty of a receipt stamp (the device's own stamps are another clock).
 */
import type { Duplex } from 'node:stream';
import { ProtocolError } from '../../errors/classes.js';
import type { SshConnection } from '../../transports/ssh.js';
import { withDeadline, type IoOptions } from '../../util/abort.js';
import { monoMs } from '../../util/stamp.js';

export interface PathDelay {
  /** Half the median round trip (ms). */
  readonly oneWayMs: number;
  /** The round trips used (ms), the first exchange (process start-up) excluded. */
  readonly rttsMs: readonly number[];
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Resolves on the next `n` bytes of `ch`'s stdout. */
function nextBytes(ch: Duplex, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const onData = (b: Buffer): void => {
      got += b.length;
      if (got >= n) done();
    };
    const onClose = (): void => {
      done();
      reject(new ProtocolError('cat channel closed during the delay measurement', { operation: 'ssh delay' }));
    };
    const done = (): void => {
      ch.off('data', onData);
      ch.off('close', onClose);
      resolve();
    };
    ch.on('data', onData);
    ch.once('close', onClose);
  });
}

/**
 * `samples` one-byte echoes (default 5, after one discarded warm-up), one at a time. The remote `cat`
 * runs under `timeout 10` so a lost controller leaves nothing behind. Each exchange and the close are
 * bounded by `io.timeoutMs` (default 5000 ms) and `io.signal`.
 */
export async function measurePathDelay(conn: SshConnection, io: IoOptions & { samples?: number } = {}):
  Promise<PathDelay> {
  const samples = io.samples ?? 5;
  if (!Number.isInteger(samples) || samples < 1 || samples > 50) throw new TypeError(`samples: 1..50, got ${samples}`);
  const bound = { timeoutMs: io.timeoutMs ?? 5000, ...(io.signal === undefined ? {} : { signal: io.signal }) };
  const ch = await conn.execStream(['timeout', '10', 'cat'], bound);
  const closed = new Promise<void>((resolve) => ch.once('close', () => resolve()));
  ch.on('error', () => undefined); // surfaced as 'close'
  try {
    const rtts: number[] = [];
    for (let i = 0; i <= samples; i++) {
      const t0 = monoMs();
      const echo = nextBytes(ch, 1);
      ch.write('x');
      await withDeadline(echo, 'ssh delay echo', bound);
      if (i > 0) rtts.push(monoMs() - t0);
    }
    return { oneWayMs: Math.round((median(rtts) / 2) * 1000) / 1000, rttsMs: rtts };
  } finally {
    ch.end();
    await withDeadline(closed, 'ssh delay close', { timeoutMs: 2000 }).catch(() => ch.destroy());
  }
}
