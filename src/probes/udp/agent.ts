import { createSocket, type Socket } from 'node:dgram';
import { encodeProbe, decodeProbe } from './wire.js';
import { round4, type AgentRecord, type EndRecord } from './records.js';
import { defined } from '../../model/defined.js';

/** One paced flow of the agent. */
export interface AgentFlowConfig {
  /** u16, unique within the agent; carried in every payload. */
  readonly id: number;
  readonly name: string;
  /** IPv4 or IPv6 literal of the reflector. */
  readonly target: string;
  readonly port: number;
  /** Offered rate, packets/s (1 000 default in callers; ≥ 10 000 supported). */
  readonly ratePps: number;
  /** Packet bound; the flow sends min(count, durationMs × R) packets. */
  readonly count?: number;
  /** Duration bound of the send phase, ms. */
  readonly durationMs: number;
  readonly payloadBytes?: number;
}

export interface AgentConfig {
  readonly flows: readonly AgentFlowConfig[];
  /** Wait for late replies after the last send, ms (default 500). */
  readonly drainMs?: number;
  /** How often tx/rx batches are emitted, ms (default 200). */
  readonly batchIntervalMs?: number;
  /** Pacing quantum, ms (default 0.2): burst window of sends and the bound on receive-stamp delay. */
  readonly quantumMs?: number;
}

const SOCKET_BUFFER_BYTES = 4 << 20;
/**
 * Sleep quantum of the pacing loop below 2 ms, ms. It bounds both the send burst (packets due during
 * one quantum leave together, each with its own stamp) and the delay of receive stamps, while keeping
 * wake-ups at ≤ 1/quantum per second whatever the rate (each wake-up costs a VM exit on virtual hosts).
 */
const DEFAULT_QUANTUM_MS = 0.2;
/** Most packets one flow sends per tick when catching up after a stall (keeps bursts small). */
const MAX_CATCH_UP = 64;

interface FlowState {
  readonly cfg: AgentFlowConfig;
  readonly planned: number;
  readonly intervalMs: number;
  readonly offsetMs: number;
  readonly tx: Float64Array;
  readonly sock: Socket;
  seq: number;
  flushedTx: number;
  sendErrors: number;
  rxSeq: number[];
  rxMs: number[];
  /** One send callback per flow (not per packet): counts failed sends. */
  readonly onSent: (err: Error | null) => void;
}

const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Runs the paced UDP probe: sends every flow's packets on a monotonic schedule (hybrid: timer sleep
 * when the next packet is > 2 ms away, short futex sleeps plus event-loop turns below that, bounded
 * catch-up after a stall), stamps each send and each echo, emits records through `emit`, and stops by
 * itself after the packet/duration bound plus the drain. The sole node:dgram user of the probe side.
 */
export async function runAgent(
  cfg: AgentConfig,
  emit: (r: AgentRecord) => void,
  signal?: AbortSignal,
): Promise<EndRecord> {
  const drainMs = cfg.drainMs ?? 500;
  const baseMonoMs = monoMs();
  const baseWallMs = Date.now();
  const cpu0 = process.cpuUsage();
  validateFlows(cfg.flows);
  /** Milliseconds since the agent started (the clock of every stamp it emits). */
  const rel = (): number => monoMs() - baseMonoMs;
  const flows = cfg.flows.map((c, k) => newFlow(c, k, cfg.flows.length));
  let invalid = 0;
  let sockError: string | undefined;
  try {
    await Promise.all(
      flows.map((f) =>
        connect(
          f,
          rel,
          () => invalid++,
          (e) => {
            sockError ??= `${f.cfg.name}: ${e.message}`;
          },
        ),
      ),
    );
  } catch (e) {
    for (const f of flows) f.sock.close();
    throw e;
  }
  emit({
    t: 'hello',
    v: 1,
    baseMonoMs,
    baseWallMs,
    flows: flows.map((f) => ({ id: f.cfg.id, name: f.cfg.name, planned: f.planned, ratePps: f.cfg.ratePps })),
  });

  const flush = (): void => flushBatches(flows, emit);
  const flusher = setInterval(flush, cfg.batchIntervalMs ?? 200);
  const reason = await paceSends(flows, rel, cfg.quantumMs ?? DEFAULT_QUANTUM_MS, signal);

  await new Promise<void>((r) => {
    const t = setTimeout(r, reason === 'aborted' ? Math.min(drainMs, 100) : drainMs);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        r();
      },
      { once: true },
    );
  });
  clearInterval(flusher);
  await Promise.all(flows.map((f) => new Promise<void>((r) => f.sock.close(() => r()))));
  flush();
  const cpu = process.cpuUsage(cpu0);
  const end: EndRecord = {
    t: 'end',
    reason: sockError === undefined ? reason : 'error',
    ...defined({ detail: sockError }),
    sent: Object.fromEntries(flows.map((f) => [String(f.cfg.id), f.seq])),
    sendErrors: Object.fromEntries(flows.map((f) => [String(f.cfg.id), f.sendErrors])),
    invalid,
    endMonoMs: monoMs(),
    endWallMs: Date.now(),
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
  };
  emit(end);
  return end;
}

/** Flow ids are distinct u16 values; rate and duration are positive. */
export function validateFlows(flows: readonly AgentFlowConfig[]): void {
  const ids = new Set<number>();
  for (const f of flows) {
    if (!Number.isInteger(f.id) || f.id < 0 || f.id > 0xffff || ids.has(f.id)) {
      throw new TypeError(`flow id ${f.id} invalid or duplicate`);
    }
    if (!(f.ratePps > 0) || !(f.durationMs > 0)) {
      throw new TypeError(`flow ${f.name}: ratePps and durationMs must be > 0`);
    }
    ids.add(f.id);
  }
}

export interface FlowSchedule { readonly planned: number; readonly intervalMs: number; readonly offsetMs: number }

/**
 * Packets flow `c` sends: min(count, durationMs × R), rounded up. Flow `k` of `n` starts `k/n` of an
 * interval after the first, so the flows' packets interleave.
 */
export function flowSchedule(c: AgentFlowConfig, k: number, n: number): FlowSchedule {
  const planned = Math.min(c.count ?? Infinity, Math.ceil((c.durationMs * c.ratePps) / 1000));
  const intervalMs = 1000 / c.ratePps;
  return { planned, intervalMs, offsetMs: (intervalMs * k) / n };
}

/** Flow `k` of `n`: its schedule, its send-stamp table and its (not yet connected) socket. */
function newFlow(c: AgentFlowConfig, k: number, n: number): FlowState {
  const { planned, intervalMs, offsetMs } = flowSchedule(c, k, n);
  const state: FlowState = {
    cfg: c, planned, intervalMs, offsetMs,
    tx: new Float64Array(planned), sock: createSocket({ type: c.target.includes(':') ? 'udp6' : 'udp4' }),
    seq: 0, flushedTx: 0, sendErrors: 0, rxSeq: [], rxMs: [],
    onSent: (err) => { if (err !== null) state.sendErrors++; },
  };
  return state;
}

/** Emits the send stamps and echoes gathered since the last call, one tx and one rx record per flow. */
function flushBatches(flows: readonly FlowState[], emit: (r: AgentRecord) => void): void {
  for (const f of flows) {
    if (f.seq > f.flushedTx) {
      const tx: number[] = [];
      for (let q = f.flushedTx; q < f.seq; q++) tx.push(round4(f.tx[q] as number));
      emit({ t: 'tx', f: f.cfg.id, from: f.flushedTx, tx });
      f.flushedTx = f.seq;
    }
    if (f.rxSeq.length > 0) {
      emit({ t: 'rx', f: f.cfg.id, seq: f.rxSeq, rx: f.rxMs.map(round4) });
      f.rxSeq = [];
      f.rxMs = [];
    }
  }
}

/**
 * The send loop: every packet at its due time on the `rel` clock, until all are sent, the hard stop
 * (longest duration plus max(1 s, 10 %)) passes, or `signal` aborts.
 */
function paceSends(
  flows: readonly FlowState[], rel: () => number, quantum: number, signal: AbortSignal | undefined,
): Promise<'complete' | 'aborted'> {
  const maxDur = Math.max(...flows.map((f) => f.cfg.durationMs));
  const startRel = rel() + 1;
  const hardStopRel = startRel + maxDur + Math.max(1000, maxDur * 0.1);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));

  return new Promise<'complete' | 'aborted'>((resolve) => {
    const tick = (): void => {
      if (signal?.aborted === true) return resolve('aborted');
      let nextDue = Infinity;
      let pending = false;
      for (const f of flows) {
        let burst = 0;
        while (f.seq < f.planned) {
          const due = startRel + f.offsetMs + f.seq * f.intervalMs;
          const now = rel();
          if (due > now || burst >= MAX_CATCH_UP) {
            nextDue = Math.min(nextDue, burst >= MAX_CATCH_UP ? now : due);
            break;
          }
          sendOne(f, rel);
          burst++;
        }
        if (f.seq < f.planned) pending = true;
      }
      const now = rel();
      if (!pending || now > hardStopRel) return resolve('complete');
      const wait = nextDue - now;
      if (wait > 2) {
        setTimeout(tick, wait - 1.5);
        return;
      }
      if (wait > 0) Atomics.wait(sleeper, 0, 0, Math.min(Math.max(wait - 0.02, quantum * 0.75), quantum));
      setImmediate(tick);
    };
    tick();
  });
}

function sendOne(f: FlowState, rel: () => number): void {
  const seq = f.seq;
  const sendMs = rel();
  f.tx[seq] = sendMs;
  f.seq++;
  const buf = encodeProbe({ flowId: f.cfg.id, seq, sendMs }, f.cfg.payloadBytes);
  f.sock.send(buf, f.onSent);
}

/** Receive side: stamps each echo of a packet this flow sent (anything else is invalid), then connects. */
function connect(f: FlowState, rel: () => number, onInvalid: () => void, onError: (e: Error) => void): Promise<void> {
  f.sock.on('message', (msg) => {
    const now = rel();
    const h = decodeProbe(msg);
    const ours = typeof h !== 'string' && h.flowId === f.cfg.id && h.seq < f.seq && f.tx[h.seq] === h.sendMs;
    if (!ours) return onInvalid();
    f.rxSeq.push(h.seq);
    f.rxMs.push(now);
  });
  // ICMP errors on a connected socket (port unreachable while the reflector is away) are loss, not a failure.
  f.sock.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'ECONNREFUSED') onError(e); });
  return new Promise((resolve, reject) => {
    f.sock.once('error', reject);
    f.sock.connect(f.cfg.port, f.cfg.target, () => {
      f.sock.off('error', reject);
      try {
        f.sock.setRecvBufferSize(SOCKET_BUFFER_BYTES);
        f.sock.setSendBufferSize(SOCKET_BUFFER_BYTES);
      } catch { /* capped by net.core.[rw]mem_max: the kernel default stays, and the run shows any loss */ }
      resolve();
    });
  });
}
