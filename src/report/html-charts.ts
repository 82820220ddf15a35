import { formatNumber, type TrendView } from './model.js';
import type { DecompositionPart } from './record.js';
import { html, join, type Raw } from './html-escape.js';
import { EMPTY, color, ms, niceDomain, polyline, px, scale, svg, yAxis, type Scale } from './html-svg.js';

/** Decomposition bars and trend charts (pure SVG). */

const RESIDUAL_COLOR = '#94a3b8';

/**
 * Outage decomposition as one stacked horizontal bar with a legend (measurement.md §4). The residual
 * is always shown; a negative residual (overlapping components) is listed in the legend, not drawn.
 */
export function renderDecomposition(parts: readonly DecompositionPart[]): Raw {
  if (parts.length === 0) return EMPTY;
  const W = 1180;
  const left = 118;
  const barW = W - left - 44;
  const positive = parts.filter((p) => p.ms > 0);
  const total = positive.reduce((s, p) => s + p.ms, 0);
  let x = left;
  const segs = positive.map((p, i) => {
    const w = total === 0 ? 0 : (p.ms / total) * barW;
    const fill = p.component === 'residual' ? RESIDUAL_COLOR : color(i);
    const seg = html`<rect x="${px(x)}" y="6" width="${px(w)}" height="22" fill="${fill}"><title>${`${p.component}: ${ms(p.ms)}`}</title></rect>${w > 60 ? html`<text class="barlabel" x="${px(x + 5)}" y="21">${ms(p.ms)}</text>` : EMPTY}`;
    x += w;
    return seg;
  });
  let lx = left;
  let ly = 48;
  const legend = parts.map((p) => {
    const i = positive.indexOf(p);
    const fill = p.component === 'residual' || i < 0 ? RESIDUAL_COLOR : color(i);
    const label = `${p.component} ${ms(p.ms)}`;
    const width = label.length * 6.4 + 30;
    if (lx + width > W) {
      lx = left;
      ly += 18;
    }
    const item = html`<rect x="${px(lx)}" y="${ly - 9}" width="10" height="10" fill="${fill}"/><text class="legend" x="${px(lx + 14)}" y="${ly}">${label}</text>`;
    lx += width;
    return item;
  });
  const body = html`<text class="lanelabel" x="${left - 8}" y="21" text-anchor="end">${`outage ${ms(total)}`}</text>${join(segs)}${join(legend)}`;
  return svg(W, ly + 10, 'outage decomposition', body, 'chart decomposition');
}

export interface TrendChartOptions {
  /** Reference lines (measurement.md §7), drawn when inside the plotted range. */
  readonly references?: readonly { readonly label: string; readonly value: number }[];
}

/**
 * One trend chart: the metric per run in time order, the medians before/after each change point as
 * level lines, and a flag on the first run after each shift.
 */
export function renderTrend(t: TrendView, o: TrendChartOptions = {}): Raw {
  const W = 460;
  const H = 190;
  const left = 56;
  const right = 12;
  const top = 26;
  const bottom = H - 30;
  const values = t.points.map((p) => p.value);
  const [y0, y1] = niceDomain(values, true);
  const xs: Scale = { d0: 0, d1: Math.max(1, t.points.length - 1), r0: left + 8, r1: W - right - 8 };
  const ys: Scale = { d0: y0, d1: y1, r0: bottom, r1: top };
  const unit = t.metric.endsWith('_ms') ? ' ms' : t.metric.endsWith('_pct') ? ' %' : '';
  const refs = (o.references ?? []).filter((r) => r.value >= y0 && r.value <= y1).map((r) => {
    const y = px(scale(ys, r.value));
    return html`<line class="ref" x1="${left}" x2="${W - right}" y1="${y}" y2="${y}"/><text class="reflabel" x="${W - right - 2}" y="${Number(y) - 3}" text-anchor="end">${r.label}</text>`;
  });
  const flags = t.changePoints.map((c) => {
    const x = px((scale(xs, c.index - 1) + scale(xs, c.index)) / 2);
    const before = px(scale(ys, c.medianBefore));
    const after = px(scale(ys, c.medianAfter));
    const sign = c.shift > 0 ? '+' : '';
    const title = `change point: ${sign}${formatNumber(c.shift)}${unit} (median ${formatNumber(c.medianBefore)} → ${formatNumber(c.medianAfter)}); first run after the shift: ${c.runId} (${c.startedWall})`;
    return html`<g class="cp"><title>${title}</title><line class="cpline" x1="${x}" x2="${x}" y1="${top - 6}" y2="${bottom}"/><line class="level" x1="${px(scale(xs, Math.max(0, c.index - 5)))}" x2="${x}" y1="${before}" y2="${before}"/><line class="level" x1="${x}" x2="${px(scale(xs, Math.min(t.points.length - 1, c.index + 4)))}" y1="${after}" y2="${after}"/><text class="cplabel" x="${x}" y="${top - 9}" text-anchor="middle">${`▲ ${sign}${formatNumber(c.shift)}${unit}`}</text></g>`;
  });
  const pts = t.points.map((p, i): [number, number] => [scale(xs, i), scale(ys, p.value)]);
  const dots = t.points.map((p, i) => {
    const [x, y] = pts[i] as [number, number];
    const flagged = t.changePoints.some((c) => c.index === i);
    return html`<circle class="${flagged ? 'dot flagged' : 'dot'}" cx="${px(x)}" cy="${px(y)}" r="${flagged ? 4.5 : 3}"><title>${`${p.runId} · ${p.startedWall}: ${formatNumber(p.value)}${unit}`}</title></circle>`;
  });
  const first = t.points[0];
  const last = t.points[t.points.length - 1];
  const dates =
    first === undefined || last === undefined
      ? EMPTY
      : html`<text class="tick" x="${left + 8}" y="${bottom + 16}">${first.startedWall.slice(0, 10)}</text><text class="tick" x="${W - right - 8}" y="${bottom + 16}" text-anchor="end">${last.startedWall.slice(0, 10)}</text><text class="tick" x="${px((left + W - right) / 2)}" y="${bottom + 16}" text-anchor="middle">${`${t.points.length} runs`}</text>`;
  const body = html`${yAxis(ys, left, W - right, (v) => formatNumber(v))}${join(refs)}${join(flags)}${polyline(pts, '#2563eb')}${join(dots)}${dates}`;
  return svg(W, H, `trend of ${t.metric} for ${t.scenario}`, body, 'chart trend');
}
