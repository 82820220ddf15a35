import { formatMetricValue, formatPps, formatResolutionValue } from './precision.js';
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
  return formatPps(pps);
}

/** The `method` text of a metric measure/ computes: method, rate where it sets the grain, and standard. */
export function methodText(m: MeasureMethod, ratePps: number): string {
  switch (m) {
    case 'gap_tx': return 'timestamp gap, send stamps (RFC 6201)';
    case 'gap_rx': return 'timestamp gap, receive stamps (RFC 6201)';
    case 'loss-derived': return `loss-derived L/R @${formatRate(ratePps)} (RFC 6412)`;
    case 'rate-derived': return 'rate-derived, reply rate in Δ bins (RFC 6413)';
    case 'rtt': return 'RTT of replies, send → reply stamps';
    case 'rtt-step': return 'path RTT (p10) after − before the outage';
    case 'count': return 'probe sequence counters (RFC 3357)';
    case 'coarse': return 'coarse (ping)';
  }
}

/**
 * One report cell, e.g. `26 ms ± 1 ms, loss-derived @1 kpps, clock host-monotonic`. `ratePps` is the
 * per-flow rate the resolution derives from (omitted for rate-free metrics).
 */
export function formatMetric(m: Metric, ratePps?: number): string {
  const res = m.resolutionMs ?? 0;
  const time = m.unit === 'ms';
  // a time carries its ± in formatMetricValue; other units state the grain of the stamps they came from
  const value = formatMetricValue(m);
  const pm = !time && res > 0 && m.value !== null ? ` ± ${formatResolutionValue(res)} ms` : '';
  const at = ratePps === undefined ? '' : ` @${formatRate(ratePps)}`;
  const label = (METHOD_LABEL as Readonly<Record<string, string>>)[m.method] ?? m.method;
  return `${value}${pm}, ${label}${at}, clock ${m.clock}`;
}
