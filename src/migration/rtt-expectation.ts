/**
 * What RTT step a move should cause, per probe flow (pure): twice the VM's new one-way distance from
 * the probe host minus twice its old one, from the testbed's link delays, plus the strategy's detour
 * after the move (the tunnel's roundabout via its anchor) minus any it had before. The measured step
 * beyond that is `rtt_step_excess_ms`, which the testbed's maxRttStepMs bounds for every strategy:
 * a WAN move's 60 ms step is the WAN, a tunnel's is its design, neither is a fault; what neither
 * explains is.
 */
import { createMetric, type Metric } from '../measure/metric-catalogue.js';
import type { Testbed } from '../model/testbed.js';
import type { StrategyPlan } from './strategies/types.js';
import { pathDelayMs } from './topology.js';
import type { FlowSpec } from './types.js';

export interface RttExpectationInput {
  readonly testbed: Testbed;
  readonly source: string;
  readonly destination: string;
  readonly strategy: Pick<StrategyPlan, 'strategy' | 'extraRttMs' | 'extraRttBeforeMs'>;
  readonly flows: readonly FlowSpec[];
  /** The attempt's measured metrics (per-flow `rtt_step_ms`). */
  readonly measured: readonly Metric[];
}

/** `expected_rtt_step_ms` and, where the step was measured, `rtt_step_excess_ms`, per flow. */
export function rttExpectations(i: RttExpectationInput): Metric[] {
  const out: Metric[] = [];
  for (const f of i.flows) {
    const before = pathDelayMs(i.testbed, f.from, i.source);
    const after = pathDelayMs(i.testbed, f.from, i.destination);
    if (before === undefined || after === undefined) continue;
    const detourAfter = i.strategy.extraRttMs?.[f.from] ?? 0;
    const detourBefore = i.strategy.extraRttBeforeMs?.[f.from] ?? 0;
    const expected = 2 * (after - before) + detourAfter - detourBefore;
    const how = `2 × (one-way ${f.from}→${i.destination} ${after} ms − ${f.from}→${i.source} ${before} ms)`
      + (detourAfter === 0 && detourBefore === 0 ? '' : ` + ${i.strategy.strategy} detour ${detourAfter} − ${detourBefore} ms`)
      + ', testbed link delays';
    out.push({ ...createMetric('expected_rtt_step_ms', expected, how, 0, 'topology (link delays)'), flow: f.name });
    const step = i.measured.find((m) => m.name === 'rtt_step_ms' && m.flow === f.name);
    if (step === undefined || step.value === null) continue;
    out.push({
      ...createMetric('rtt_step_excess_ms', step.value - expected, `rtt_step_ms (${step.method}) − expected ${expected} ms`,
        step.resolutionMs, step.clock),
      flow: f.name,
    });
  }
  return out;
}
