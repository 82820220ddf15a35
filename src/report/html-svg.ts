import { formatNumber } from './model.js';
import { html, join, raw, type Raw } from './html-escape.js';

/** Small SVG helpers shared by the charts (pure). Coordinates are rounded to 0.1 px. */

export const PALETTE = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];

export function color(i: number): string {
  return PALETTE[i % PALETTE.length] as string;
}

export function px(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

export interface Scale {
  readonly d0: number;
  readonly d1: number;
  readonly r0: number;
  readonly r1: number;
}

export function scale(s: Scale, v: number): number {
  if (s.d1 === s.d0) return (s.r0 + s.r1) / 2;
  return s.r0 + ((v - s.d0) / (s.d1 - s.d0)) * (s.r1 - s.r0);
}

/** "Nice" tick values (1, 2, 5 × 10^k steps) covering [lo, hi], about `count` of them. */
export function ticks(lo: number, hi: number, count = 8): number[] {
  if (!(hi > lo)) return [lo];
  const rough = (hi - lo) / count;
  const pow = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].find((m) => m * pow >= rough) ?? 10) * pow;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Domain padded to nice bounds so points never sit on the frame. */
export function niceDomain(values: readonly number[], includeZero: boolean): [number, number] {
  let lo = Math.min(...values, includeZero ? 0 : Number.POSITIVE_INFINITY);
  let hi = Math.max(...values);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= includeZero && lo >= 0 ? 0 : pad;
    hi += pad;
  }
  const t = ticks(lo, hi, 5);
  const step = t.length > 1 ? (t[1] as number) - (t[0] as number) : (hi - lo) / 5;
  return [includeZero && lo >= 0 ? Math.max(0, Math.floor(lo / step) * step) : Math.floor(lo / step) * step,
    Math.ceil(hi / step) * step];
}

/** Vertical grid lines and labels along the bottom of a plot area. */
export function xAxis(s: Scale, top: number, bottom: number, label: (v: number) => string): Raw {
  const parts = ticks(Math.min(s.d0, s.d1), Math.max(s.d0, s.d1)).map((v) => {
    const x = px(scale(s, v));
    return html`<line class="grid" x1="${x}" x2="${x}" y1="${px(top)}" y2="${px(bottom)}"/><text class="tick" x="${x}" y="${px(bottom + 14)}" text-anchor="middle">${label(v)}</text>`;
  });
  return join(parts);
}

/** Horizontal grid lines and labels along the left of a plot area. */
export function yAxis(s: Scale, left: number, right: number, label: (v: number) => string): Raw {
  const parts = ticks(Math.min(s.d0, s.d1), Math.max(s.d0, s.d1), 4).map((v) => {
    const y = px(scale(s, v));
    return html`<line class="grid" x1="${px(left)}" x2="${px(right)}" y1="${y}" y2="${y}"/><text class="tick" x="${px(left - 6)}" y="${px(Number(y) + 4)}" text-anchor="end">${label(v)}</text>`;
  });
  return join(parts);
}

export function svg(width: number, height: number, label: string, body: Raw, cls = 'chart'): Raw {
  return html`<svg class="${cls}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${label}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;
}

export function polyline(points: readonly (readonly [number, number])[], stroke: string, cls = 'line'): Raw {
  const d = points.map(([x, y]) => `${px(x)},${px(y)}`).join(' ');
  return html`<polyline class="${cls}" fill="none" stroke="${stroke}" points="${d}"/>`;
}

export function ms(v: number): string {
  return `${formatNumber(v)} ms`;
}

/** Time-axis label: ms below 10 s, seconds above. */
export function timeLabel(v: number): string {
  return Math.abs(v) >= 10_000 ? `${formatNumber(v / 1000)} s` : `${formatNumber(v)} ms`;
}

export const EMPTY = raw('');
