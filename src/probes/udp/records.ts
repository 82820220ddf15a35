/**
 * What a UDP probe agent reports, as newline-delimited JSON records (one per line on the agent's
 * stdout, or passed in-process). Times are ms relative to `hello.baseMonoMs` on the agent's monotonic
 * clock; `tx` values equal the send time carried in each payload. Pure: no I/O.
 */
export interface HelloRecord {
  readonly t: 'hello';
  readonly v: 1;
  /** Agent's monotonic clock at its start, ms (CLOCK_MONOTONIC: shared by every process of a host). */
  readonly baseMonoMs: number;
  /** Wall clock at the same instant, ms since the epoch. */
  readonly baseWallMs: number;
  readonly flows: readonly {
    readonly id: number;
    readonly name: string;
    readonly planned: number;
    readonly ratePps: number;
  }[];
  /** The native probe's sender and receiver scheduling and stamping (the TypeScript agent omits it). */
  readonly sender?: string;
}

/** Send stamps of consecutive sequence numbers `from`, `from + 1`, … */
export interface TxRecord {
  readonly t: 'tx';
  readonly f: number;
  readonly from: number;
  readonly tx: readonly number[];
}

/** Replies in arrival order (duplicates included): sequence numbers and arrival stamps. */
export interface RxRecord {
  readonly t: 'rx';
  readonly f: number;
  readonly seq: readonly number[];
  readonly rx: readonly number[];
}

export interface EndRecord {
  readonly t: 'end';
  readonly reason: 'complete' | 'aborted' | 'error';
  readonly detail?: string;
  /** Packets sent per flow id. */
  readonly sent: Readonly<Record<string, number>>;
  /** Send calls that failed per flow id (the packet counts as sent and, unanswered, as lost). */
  readonly sendErrors: Readonly<Record<string, number>>;
  /** Datagrams received that were not replies to this agent's packets. */
  readonly invalid: number;
  readonly endMonoMs: number;
  readonly endWallMs: number;
  /** CPU time of the agent process over the run, ms. */
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  /** Native probe: echoes whose kernel receive stamp was missing or unusable (stamped in user space). */
  readonly rxStampFallbacks?: number;
  /** Native probe: CPU of its sending and its receiving thread, ms (the rest of cpuUser+System is the main thread). */
  readonly cpuSenderMs?: number;
  readonly cpuReceiverMs?: number;
}

export type AgentRecord = HelloRecord | TxRecord | RxRecord | EndRecord;

/** Rounds to 0.1 µs so lines stay compact without losing the clock's useful resolution. */
export function round4(ms: number): number {
  return Math.round(ms * 1e4) / 1e4;
}

/** One NDJSON line (with trailing newline). */
export function encodeRecord(r: AgentRecord): string {
  return `${JSON.stringify(r)}\n`;
}

/** Parses one line; returns an error string for anything that is not a well-formed record. */
export function decodeRecord(line: string): AgentRecord | { readonly error: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { error: `not JSON: ${line.slice(0, 120)}` };
  }
  if (typeof v !== 'object' || v === null) return { error: 'record is not an object' };
  const t = (v as { t?: unknown }).t;
  if (t === 'hello' || t === 'tx' || t === 'rx' || t === 'end') return v as AgentRecord;
  return { error: `unknown record type ${String(t)}` };
}
