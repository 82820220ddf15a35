import { summarizeFlow, type FlowResult, type SummarizeInput } from '../../measure/summarize.js';
import type { AgentConfig } from './agent.js';
import type { UdpProbeResult } from './run.js';

/**
 * One FlowResult per configured flow. A flow the probe never reported (agent missing, failed to
 * start, crashed before `hello`) still gets a result: ERRORED with the failure as its reason, so a
 * missing probe can never read as a 0 ms pass.
 */
export function flowResults(
  cfg: AgentConfig,
  res: UdpProbeResult,
  opts: Omit<SummarizeInput, 'spec' | 'samples' | 'end'> = {},
): FlowResult[] {
  return cfg.flows.map((fc) => {
    const got = res.flows.find((f) => f.id === fc.id);
    if (got !== undefined) return summarizeFlow({ ...opts, spec: got.spec, samples: got.samples, end: got.end });
    const planned = Math.min(fc.count ?? Infinity, Math.ceil((fc.durationMs * fc.ratePps) / 1000));
    return summarizeFlow({
      ...opts,
      spec: { name: fc.name, ratePps: fc.ratePps, plannedPackets: planned, clock: res.clock },
      samples: [],
      end: { reason: 'error', detail: res.failure ?? `flow ${fc.name} missing from the probe's output`, sent: 0 },
    });
  });
}
