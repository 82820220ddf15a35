import type { FlowSpec, ProbeEnd, ProbeSample } from '../../measure/types.js';
import type { AgentRecord, EndRecord, HelloRecord } from './records.js';

/** Samples of one flow on absolute monotonic ms, with the spec the measurement checks them against. */
export interface CollectedFlow {
  readonly id: number;
  readonly spec: FlowSpec;
  readonly samples: ProbeSample[];
  readonly end: ProbeEnd | undefined;
}

export interface Collected {
  readonly hello: HelloRecord | undefined;
  readonly end: EndRecord | undefined;
  readonly flows: CollectedFlow[];
  /** Malformed records or records contradicting the stream (kept, reported, never dropped silently). */
  readonly problems: string[];
}

interface FlowAcc {
  name: string;
  ratePps: number;
  planned: number;
  tx: number[];
  rx: (number | undefined)[];
  dup: number[];
  arrival: (number | undefined)[];
  arrivals: number;
}

/**
 * Assembles agent records into per-flow samples (pure). `clock` names the stamps' clock source;
 * `remoteClock` marks an agent on another host (its monotonic clock is not the controller's).
 */
export function createCollector(
  clock: string,
  remoteClock = false,
): { push(r: AgentRecord): void; problem(p: string): void; result(failure?: string): Collected } {
  let hello: HelloRecord | undefined;
  let end: EndRecord | undefined;
  const problems: string[] = [];
  const acc = new Map<number, FlowAcc>();
  const flowOf = (id: number): FlowAcc | undefined => {
    const f = acc.get(id);
    if (f === undefined) problems.push(`record for unknown flow ${id}`);
    return f;
  };
  return {
    problem: (p) => void problems.push(p),
    push(r) {
      if (r.t === 'hello') {
        hello = r;
        for (const f of r.flows)
          acc.set(f.id, {
            name: f.name,
            ratePps: f.ratePps,
            planned: f.planned,
            tx: [],
            rx: [],
            dup: [],
            arrival: [],
            arrivals: 0,
          });
      } else if (r.t === 'tx') {
        const f = flowOf(r.f);
        if (f === undefined) return;
        if (r.from !== f.tx.length) problems.push(`flow ${r.f}: tx batch starts at ${r.from}, expected ${f.tx.length}`);
        for (let k = 0; k < r.tx.length; k++) f.tx[r.from + k] = r.tx[k] as number;
      } else if (r.t === 'rx') {
        const f = flowOf(r.f);
        if (f === undefined) return;
        for (let k = 0; k < r.seq.length; k++) {
          const q = r.seq[k] as number;
          if (f.rx[q] === undefined) {
            f.rx[q] = r.rx[k] as number;
            f.arrival[q] = f.arrivals++;
          } else f.dup[q] = (f.dup[q] ?? 0) + 1;
        }
      } else end = r;
    },
    result(failure) {
      const base = hello?.baseMonoMs ?? 0;
      const flows: CollectedFlow[] = [];
      for (const [id, f] of acc) {
        const samples: ProbeSample[] = [];
        for (let q = 0; q < f.tx.length; q++) {
          const tx = f.tx[q];
          if (tx === undefined) {
            problems.push(`flow ${id}: no send stamp for seq ${q}`);
            continue;
          }
          const rx = f.rx[q];
          samples.push({
            flow: f.name,
            seq: q,
            txMs: base + tx,
            rxMs: rx === undefined ? undefined : base + rx,
            dupCount: f.dup[q] ?? 0,
            arrival: f.arrival[q],
          });
        }
        const replyBeyond = f.rx.length > f.tx.length;
        if (replyBeyond) problems.push(`flow ${id}: replies for sequence numbers never reported as sent`);
        const spec: FlowSpec = { name: f.name, ratePps: f.ratePps, plannedPackets: f.planned, clock, remoteClock };
        flows.push({ id, spec, samples, end: endOf(id, end, failure, f.tx.length) });
      }
      return { hello, end, flows, problems };
    },
  };
}

function endOf(
  id: number,
  end: EndRecord | undefined,
  failure: string | undefined,
  txCount: number,
): ProbeEnd | undefined {
  if (failure !== undefined) return { reason: 'error', detail: failure, sent: txCount };
  if (end === undefined) return undefined;
  const sent = end.sent[String(id)] ?? txCount;
  return end.detail === undefined ? { reason: end.reason, sent } : { reason: end.reason, detail: end.detail, sent };
}
