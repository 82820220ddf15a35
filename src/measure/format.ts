import type { Metric } from './types.js';

const METHOD_LABEL: Record<Metric['method'], string> = {
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
  const d = digitsFor(m.resolutionMs);
  const value = `${m.value.toFixed(m.unit === 'count' ? 0 : d)}${unit}`;
  const pm = m.resolutionMs > 0 ? ` ± ${Number(m.resolutionMs.toPrecision(2))} ms` : '';
  const at = ratePps === undefined ? '' : ` @${formatRate(ratePps)}`;
  return `${value}${pm}, ${METHOD_LABEL[m.method]}${at}, clock ${m.clock}`;
}
