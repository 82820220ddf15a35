import type { CommandRunner } from '../../exec/types.js';
import { summarizeFlow, type FlowResult } from '../../measure/summarize.js';
import type { ProbeSample } from '../../measure/types.js';
import { parsePing, pingSamples, pingSpec, type PingReply } from './parse.js';
import { defined } from '../../model/defined.js';

export interface PingOptions {
  readonly target: string;
  /** Interval between requests, ms (below 200 ms needs root). */
  readonly intervalMs: number;
  readonly count: number;
  /** Per-reply wait, s (ping -W). */
  readonly waitS?: number;
  readonly signal?: AbortSignal;
  readonly name?: string;
}

export interface PingRun {
  readonly replies: readonly PingReply[];
  readonly samples: readonly ProbeSample[];
  /** Set when ping is missing, failed (exit 2) or printed no reply at all. */
  readonly failure: string | undefined;
  readonly argv: readonly string[];
}

/** Runs system `ping -D` through a CommandRunner (local, namespace or SSH). Bounded by count × interval. */
export async function runPing(runner: CommandRunner, o: PingOptions): Promise<PingRun> {
  const argv = ['ping', ...(o.target.includes(':') ? ['-6'] : []), '-D', '-n', '-i', String(o.intervalMs / 1000),
    '-c', String(o.count), '-W', String(o.waitS ?? 1), o.target];
  const timeoutMs = o.count * o.intervalMs + (o.waitS ?? 1) * 1000 + 10_000;
  const r = await runner.run(argv, { timeoutMs, ...defined({ signal: o.signal }) });
  const replies = parsePing(r.stdout);
  let failure: string | undefined;
  if (r.timedOut) failure = `ping timed out after ${timeoutMs} ms`;
  else if (r.exitCode !== 0 && r.exitCode !== 1)
    failure = `ping exited ${r.exitCode ?? 'by signal'}: ${r.stderr.trim().slice(0, 300)}`;
  else if (replies.length === 0) failure = `ping got no reply from ${o.target}`;
  return { replies, samples: pingSamples(replies, o.count, o.intervalMs, o.name ?? `icmp-${o.target}`), failure, argv };
}

/**
 * FlowResult of a ping run, every metric relabelled `coarse` with the ping interval as resolution
 * (ping stamps receive times in user space and does not print send times of lost requests).
 */
export function pingResult(run: PingRun, o: PingOptions, triggerMs?: number): FlowResult {
  const spec = pingSpec(o.name ?? `icmp-${o.target}`, o.intervalMs, o.count);
  const end =
    run.failure === undefined
      ? { reason: 'complete' as const, sent: o.count }
      : { reason: 'error' as const, detail: run.failure, sent: 0 };
  const r = summarizeFlow({ spec, samples: run.samples, end, ...defined({ triggerMs }) });
  return {
    ...r,
    metrics: r.metrics.map((m) =>
      m.unit === 'ms'
        ? { ...m, method: 'coarse' as const, resolutionMs: Math.max(m.resolutionMs ?? 0, o.intervalMs) }
        : m,
    ),
  };
}
