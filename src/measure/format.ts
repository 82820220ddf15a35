import type { MeasureMethod, Metric } from './types.js';

const METHOD_LABEL: Record<MeasureMethod, string> = {
  gap_tx: 'timestamp gap (tx)',
  gap_rx: 'timestamp gap (rx)',
  'loss-derived': 'loss-derived',
  'rate-derived': 'rate-derived',
  rtt: 'rtt',
  'rtt-step': 'rtt step',
  count: 'count',
  coarse: 'coarse (ping)',
};

/** Rate in the report's short form: 1 kpps, 10 kpps, 100 pps. */
export function formatRate(pps: number): string {
  return pps >= 1000 ? `${Number((pps / 1000).toPrecision(3))} kpps` : `${Number(pps.toPrecision(3))} pps`;
}

/** The `method` text of a metric measure/ computes: method, rate where it sets the grain, and standard. */
export function methodText(m: MeasureMethod, ratePps: number): string {
  switch (m) {
    case 'gap_tx': return 'timestamp gap, send stamps (RFC 6201)';
    case 'gap_rx': return 'timestamp gap, receive stamps (RFC 6201)';
    case 'loss-derived': return `loss-derived L/R @${formatRate(ratePps)} (RFC 6412)`;
    case 'rate-derived': return 'rate-derived, reply rate in Δ bins (RFC 6413)';
    case 'rtt': return 'RTT of replies, send → reply stamps';
    case 'rtt-step': return 'median RTT after − before the outage';
    case 'count': return 'probe sequence counters (RFC 3357)';
    case 'coarse': return 'coarse (ping)';
  }
}

/** Significant digits for a value of the given resolution (no truncation: rounding to the grain). */
function digitsFor(resolutionMs: number): number {
  if (resolutionMs <= 0) return 3;
  return Math.max(0, Math.min(3, Math.ceil(-Math.log10(resolutionMs)) + 1));
}

/**
 * One report cell, e.g. `26 ms ± 1 ms, loss-derived @1 kpps, clock host-monotonic`. `ratePps` is the
 * per-flow rate the resolution derives from (omitted for rate-free metrics).
 */
export function formatMetric(m: Metric, ratePps?: number): string {
  const unit = m.unit === 'count' ? '' : m.unit === 'pct' ? ' %' : ` ${m.unit}`;
  const res = m.resolutionMs ?? 0;
  const whole = m.unit === 'count' || m.unit === 'packets';
  const value = m.value === null ? 'not measured' : `${m.value.toFixed(whole ? 0 : digitsFor(res))}${unit}`;
  const pm = res > 0 ? ` ± ${Number(res.toPrecision(2))} ms` : '';
  const at = ratePps === undefined ? '' : ` @${formatRate(ratePps)}`;
  const label = (METHOD_LABEL as Readonly<Record<string, string>>)[m.method] ?? m.method;
  return `${value}${pm}, ${label}${at}, clock ${m.clock}`;
}
