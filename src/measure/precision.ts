/**
 * Printed precision from resolution (pure): the one formatter the report and the CLI share. A value is
 * printed to the digit its resolution supports and no further: `1487.973 ms ± 1 ms` reads
 * `1488 ms ± 1 ms`, `± 0.9999405150828656 ms` reads `± 1 ms`, `12391.4 ms ± 10 ms` reads `12390 ms ± 10 ms`.
 * The resolution itself is printed to one significant digit (it is an uncertainty, not a measurement).
 */
import type { Metric } from './metric-catalogue.js';

/** The resolution rounded to one significant digit (0.99994 → 1, 0.0123 → 0.01, 12.5 → 10). */
export function roundResolution(resolution: number): number {
  if (!(resolution > 0) || !Number.isFinite(resolution)) return 0;
  const e = Math.floor(Math.log10(resolution));
  const lead = Math.round(resolution / 10 ** e); // 1..10
  return lead * 10 ** e;
}

/** Power of ten of the last digit a value of this resolution supports (1 → 0, 0.01 → -2, 10 → 1). */
export function lastDigitExponent(resolution: number): number {
  const r = roundResolution(resolution);
  return r === 0 ? 0 : Math.floor(Math.log10(r) + 1e-9);
}

/** Decimal places a value of this resolution supports (never negative). */
export function decimalsFor(resolution: number): number {
  return Math.max(0, -lastDigitExponent(resolution));
}

/** `v` rounded to the last digit its resolution supports, as text (`-0` reads `0`). */
export function formatAtResolution(v: number, resolution: number): string {
  const e = lastDigitExponent(resolution);
  if (e > 0) {
    const step = 10 ** e;
    const s = String(Math.round(v / step) * step);
    return s === '-0' ? '0' : s;
  }
  const s = v.toFixed(-e);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** The resolution as text, one significant digit: `1`, `0.1`, `10`. */
export function formatResolutionValue(resolution: number): string {
  const r = roundResolution(resolution);
  return formatAtResolution(r, r);
}

/** A value without a stated resolution: at most three significant digits after the point, none for integers. */
export function formatPlain(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  // three significant digits, but never drop integer digits (1487.973 → 1488, 12.345 → 12.3, 0.01234 → 0.0123)
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(abs)));
  return String(Number(v.toFixed(decimals)));
}

/**
 * A measured time with its ± resolution: `1488 ms ± 1 ms`. Without a stated resolution: three significant
 * digits, never finer than the microsecond the controller stamps in (`-0.0746` reads `-0.075 ms`).
 */
export function formatMs(v: number, resolutionMs: number | null | undefined): string {
  if (resolutionMs === null || resolutionMs === undefined || !(resolutionMs > 0)) {
    const s = formatPlain(v);
    return `${(s.split('.')[1] ?? '').length > 3 ? formatAtResolution(v, 0.001) : s} ms`;
  }
  return `${formatAtResolution(v, resolutionMs)} ms ± ${formatResolutionValue(resolutionMs)} ms`;
}

/** A rate in its short form, three significant digits: `1 kpps`, `999 pps`, `10 kpps`. */
export function formatPps(pps: number): string {
  const r = Number(pps.toPrecision(3));
  return r >= 1000 ? `${Number((r / 1000).toPrecision(3))} kpps` : `${r} pps`;
}

/** Value, unit and ± resolution of a metric: `26 ms ± 1 ms`, `12 packets`, `0.35 %`, `1 kpps`, `yes`. */
export function formatMetricValue(m: Pick<Metric, 'name' | 'value' | 'unit' | 'resolutionMs'>): string {
  if (m.value === null) return 'not measured';
  const v = m.value;
  switch (m.unit) {
    case 'bool': return v === 1 ? 'yes' : 'no';
    case 'ms': return formatMs(v, m.resolutionMs);
    case 'pps': return formatPps(v);
    case 'pct': return `${formatPlain(v)} %`;
    case 'bytes': return v >= 1048576 ? `${Math.round(v)} bytes (${formatPlain(v / 1048576)} MiB)` : `${Math.round(v)} bytes`;
    case 'packets': return `${Math.round(v)} packets`;
    case 'count': return String(Math.round(v));
    case 'mibs': return `${Number(v.toPrecision(3))} MiB/s`;
  }
}

/** The coarsest stated resolution among figures (a summary is no finer than its inputs); null when none states one. */
export function coarsestResolutionMs(ms: readonly { readonly resolutionMs: number | null }[]): number | null {
  return ms.reduce<number | null>((a, m) => (m.resolutionMs === null ? a : Math.max(a ?? 0, m.resolutionMs)), null);
}
