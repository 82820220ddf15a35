import { TIMELINE_SOURCES, type RunRecord, type TimelineEvent, type TimelineSource } from './record.js';
import { html, join, type Raw } from './html-escape.js';
import {
  EMPTY, color, ms, niceDomain, px, scale, svg, timeLabel, xAxis, yAxis, type Scale,
} from './html-svg.js';

/**
 * Per-run timeline chart (pure): one lane per observer (hypervisor, control plane, data plane,
 * controller) on the run's single controller-monotonic time axis, loss episodes shaded across all
 * lanes, and the probe reply-rate plot under it on the same x scale. Every marker carries a <title>
 * with the full event (host, kind, detail, times) as a native tooltip and is focusable (the page shows the
 * same details on focus); labels never overlap (placeLabels).
 */

const W = 1180;
const LEFT = 118;
const RIGHT = 44;
const ROW_H = 15;
const LANE_PAD = 10;
const RATE_H = 130;
/** Labels are set in a monospace face (html-style.ts) so their width is known here: 10 px DejaVu Sans Mono. */
const LABEL_CHAR_PX = 6.1;
const LABEL_GAP = 6;
const MAX_ROWS = 3;

const LANE_TITLES: Readonly<Record<TimelineSource, string>> = {
  hypervisor: 'hypervisor', 'control-plane': 'control plane', 'data-plane': 'data plane', controller: 'controller',
};
const LANE_COLORS: Readonly<Record<TimelineSource, string>> = {
  hypervisor: '#7c3aed', 'control-plane': '#d97706', 'data-plane': '#0891b2', controller: '#64748b',
};
const LANE_ORDER: readonly TimelineSource[] = ['hypervisor', 'control-plane', 'data-plane', 'controller'];

/** A placed label: its row and left edge, or no label (the marker keeps its details on hover and focus). */
interface Placed {
  readonly e: TimelineEvent;
  readonly x: number;
  readonly row: number;
  readonly start: number | undefined;
}

/**
 * Collision avoidance: each label (in time order) takes the first row where its box, right of its marker
 * or else left of it, stays inside the plot and clear of every label already placed in that row; when no
 * row has room the label is not drawn (the marker stays, with its details on hover and focus). No two
 * drawn labels' boxes intersect, by construction.
 */
export function placeLabels(events: readonly TimelineEvent[], xs: Scale, maxRows = MAX_ROWS): Placed[] {
  const rows: [number, number][][] = Array.from({ length: maxRows }, () => []);
  const free = (row: readonly [number, number][], a: number, b: number): boolean =>
    row.every(([s, e]) => b + LABEL_GAP <= s || a >= e + LABEL_GAP);
  return [...events].sort((a, b) => a.tMs - b.tMs).map((e): Placed => {
    const x = scale(xs, e.tMs);
    const width = labelWidth(e.kind);
    const candidates = [x + 4, x - 4 - width].filter((a) => a >= LEFT && a + width <= W - RIGHT);
    for (let row = 0; row < maxRows; row++) {
      const taken = rows[row] as [number, number][];
      const start = candidates.find((a) => free(taken, a, a + width));
      if (start !== undefined) {
        taken.push([start, start + width]);
        return { e, x, row, start };
      }
    }
    return { e, x, row: 0, start: undefined };
  });
}

/** Width of a label's box in the timeline, px. */
export function labelWidth(text: string): number {
  return text.length * LABEL_CHAR_PX;
}

function eventTitle(e: TimelineEvent, wallIso: string): string {
  return `${e.kind} @ ${ms(e.tMs)} (${wallIso})\n${e.source} · ${e.host}${e.detail === '' ? '' : `\n${e.detail}`}`;
}

function isoOf(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? 'wall time unknown' : d.toISOString();
}

function lane(
  source: TimelineSource,
  events: readonly TimelineEvent[],
  xs: Scale,
  top: number,
): { body: Raw; height: number } {
  const placed = placeLabels(events, xs);
  const rows = Math.max(1, ...placed.filter((p) => p.start !== undefined).map((p) => p.row + 1));
  const height = rows * ROW_H + LANE_PAD * 2;
  const c = LANE_COLORS[source];
  const mid = top + height / 2;
  const marks = placed.map((p) => {
    const title = eventTitle(p.e, isoOf(p.e.wallMs));
    return html`<g class="${p.start === undefined ? 'ev nolabel' : 'ev'}" tabindex="0" data-detail="${title}"><title>${title}</title><line x1="${px(p.x)}" x2="${px(p.x)}" y1="${px(top + 3)}" y2="${px(top + height - 3)}" stroke="${c}" stroke-width="1.5"/><circle cx="${px(p.x)}" cy="${px(mid)}" r="3.5" fill="${c}"/></g>`;
  });
  // labels after every marker, each on its own backing box, so no marker line runs through a label
  const labels = placed.filter((p) => p.start !== undefined).map((p) => {
    const ly = top + LANE_PAD + p.row * ROW_H + 11;
    const x = p.start as number;
    return html`<rect class="evbg" x="${px(x - 1)}" y="${px(ly - 10)}" width="${px(labelWidth(p.e.kind) + 2)}" height="13"/><text class="evlabel" x="${px(x)}" y="${px(ly)}">${p.e.kind}</text>`;
  });
  const body = html`<rect class="lane" x="${LEFT}" y="${px(top)}" width="${W - LEFT - RIGHT}" height="${px(height)}"/><text class="lanelabel" x="${LEFT - 8}" y="${px(mid + 4)}" text-anchor="end" fill="${c}">${LANE_TITLES[source]}</text>${join(marks)}<g class="labels">${join(labels)}</g>`;
  return { body, height };
}

/** Time domain of everything the run shows: events, episodes and rate samples. */
export function timeDomain(r: RunRecord): [number, number] {
  const ts = [
    ...r.timeline.map((e) => e.tMs),
    ...r.episodes.flatMap((e) => [e.startMs, e.endMs]),
    ...r.rates.flatMap((s) => s.samples.map((p) => p.tMs)),
  ];
  return ts.length === 0 ? [0, 1] : niceDomain(ts, false);
}

/**
 * The outage window the zoomed view shows: from the first loss episode (or SUSPENDED) to the end of the
 * last episode that began within 5 s of it (or the first reply), with a margin of a fifth of its length
 * and at least 100 ms either side. Undefined when the run shows no outage.
 */
export function outageWindow(r: RunRecord): [number, number] | undefined {
  const eps = [...r.episodes].sort((a, b) => a.startMs - b.startMs);
  const firstEp = eps[0];
  const susp = r.timeline.find((e) => /suspended/i.test(e.kind))?.tMs;
  const t0 = Math.min(firstEp?.startMs ?? Infinity, susp ?? Infinity);
  if (!Number.isFinite(t0)) return undefined;
  const near = eps.filter((e) => e.startMs <= t0 + 5000).map((e) => e.endMs);
  const reply = r.timeline.find((e) => /first-reply|resumed/i.test(e.kind) && e.tMs >= t0)?.tMs;
  const t1 = Math.max(t0 + 1, ...near, reply ?? t0 + 1);
  const pad = Math.max(100, (t1 - t0) / 5);
  return [t0 - pad, t1 + pad];
}

/**
 * An SVG path through the points in whole pixels with relative steps (`M118 200l1 0 1-3…`): the same shape
 * as a polyline at the screen's resolution, in a form that repeats and so compresses well.
 */
export function relativePath(points: readonly (readonly [number, number])[]): string {
  let out = '';
  let x = 0;
  let y = 0;
  points.forEach(([px0, py0], i) => {
    const nx = Math.round(px0);
    const ny = Math.round(py0);
    if (i === 0) out += `M${nx} ${ny}l`;
    else if (nx !== x || ny !== y) out += `${nx - x}${ny - y < 0 ? '' : ' '}${ny - y} `;
    x = nx;
    y = ny;
  });
  return out.endsWith('l') ? out.slice(0, -1) : out.trimEnd();
}

/** At most two points (min and max) per pixel column inside the domain: the plot keeps every dip. */
export function thinSeries(samples: readonly { tMs: number; pps: number }[], xs: Scale): [number, number][] {
  const out: [number, number][] = [];
  let col = NaN;
  let lo: { tMs: number; pps: number } | undefined;
  let hi: { tMs: number; pps: number } | undefined;
  const flush = (): void => {
    if (lo === undefined || hi === undefined) return;
    const pair = lo.tMs <= hi.tMs ? [lo, hi] : [hi, lo];
    for (const p of lo === hi ? [lo] : pair) out.push([p.tMs, p.pps]);
  };
  for (const p of samples) {
    if (p.tMs < Math.min(xs.d0, xs.d1) || p.tMs > Math.max(xs.d0, xs.d1)) continue;
    const c = Math.floor(scale(xs, p.tMs));
    if (c !== col) {
      flush();
      col = c;
      lo = p;
      hi = p;
    } else {
      if (p.pps < (lo as { pps: number }).pps) lo = p;
      if (p.pps > (hi as { pps: number }).pps) hi = p;
    }
  }
  flush();
  return out;
}

function ratePlot(r: RunRecord, xs: Scale, top: number): Raw {
  const all = r.rates.flatMap((s) => s.samples.map((p) => p.pps));
  const [, ymax] = niceDomain(all.length === 0 ? [1] : all, true);
  const ys: Scale = { d0: 0, d1: ymax, r0: top + RATE_H, r1: top + 8 };
  const lines = r.rates.map((s, i) => {
    const pts = thinSeries(s.samples, xs).map(([t, v]): [number, number] => [scale(xs, t), scale(ys, v)]);
    return html`<g><title>${`reply rate · ${s.flow}`}</title><path class="line" fill="none" stroke="${color(i)}" d="${relativePath(pts)}"/></g>`;
  });
  let lx = LEFT + 8;
  let ly = top + RATE_H + 24;
  const legend = r.rates.map((s, i) => {
    const w = 14 + labelWidth(s.flow) * 1.1 + 16;
    if (lx + w > W - RIGHT && lx > LEFT + 8) {
      lx = LEFT + 8;
      ly += 16;
    }
    const item = html`<rect x="${px(lx)}" y="${px(ly)}" width="10" height="10" fill="${color(i)}"/><text class="legend" x="${px(lx + 14)}" y="${px(ly + 9)}">${s.flow}</text>`;
    lx += w;
    return item;
  });
  return html`<text class="lanelabel" x="${LEFT - 8}" y="${px(top - 6)}" text-anchor="end">reply rate (pps)</text>${yAxis(ys, LEFT, W - RIGHT, (v) => String(v))}${join(lines)}${join(legend)}`;
}

/** Rows the rate legend needs (same wrapping as ratePlot). */
function legendRows(r: RunRecord): number {
  let lx = LEFT + 8;
  let rows = 1;
  for (const s of r.rates) {
    const w = 14 + labelWidth(s.flow) * 1.1 + 16;
    if (lx + w > W - RIGHT && lx > LEFT + 8) {
      lx = LEFT + 8;
      rows++;
    }
    lx += w;
  }
  return rows;
}

function episodeBands(r: RunRecord, xs: Scale, top: number, bottom: number): Raw {
  return join(r.episodes.filter((e) => e.endMs >= xs.d0 && e.startMs <= xs.d1).map((e) => {
    const x0 = scale(xs, Math.max(xs.d0, e.startMs));
    const w = Math.max(1.5, scale(xs, Math.min(xs.d1, e.endMs)) - x0);
    const title = `loss episode · ${e.flow}\n${ms(e.startMs)} → ${ms(e.endMs)} (${ms(e.endMs - e.startMs)}), ${e.lost} lost, seq ${e.firstSeq}–${e.lastSeq}`;
    return html`<rect class="episode" x="${px(x0)}" y="${px(top)}" width="${px(w)}" height="${px(bottom - top)}"><title>${title}</title></rect>`;
  }));
}

export interface TimelineOptions {
  /** Time window to draw, ms since run start (default: everything the run shows). */
  readonly domain?: readonly [number, number];
  /** Extra class on the SVG (`zoomed`). */
  readonly cls?: string;
}

/** The timeline + reply-rate SVG for one run; empty markup when the run has nothing on a time axis. */
export function renderTimeline(r: RunRecord, o: TimelineOptions = {}): Raw {
  if (r.timeline.length === 0 && r.rates.length === 0 && r.episodes.length === 0) return EMPTY;
  const [t0, t1] = o.domain ?? timeDomain(r);
  const xs: Scale = { d0: t0, d1: t1, r0: LEFT, r1: W - RIGHT };
  const sources = LANE_ORDER.filter((s) => TIMELINE_SOURCES.includes(s));
  let y = 8;
  const lanes: Raw[] = [];
  for (const s of sources) {
    const l = lane(s, r.timeline.filter((e) => e.source === s && e.tMs >= t0 && e.tMs <= t1), xs, y);
    lanes.push(l.body);
    y += l.height + 4;
  }
  const lanesBottom = y - 4;
  const hasRates = r.rates.length > 0;
  const rateTop = lanesBottom + 26;
  const bottom = hasRates ? rateTop + RATE_H : lanesBottom;
  const height = bottom + (hasRates ? 28 + 16 * legendRows(r) : 24);
  const body = html`${xAxis(xs, 8, bottom, timeLabel)}${join(lanes)}${hasRates ? ratePlot(r, xs, rateTop) : EMPTY}${episodeBands(r, xs, 8, bottom)}`;
  const label = o.domain === undefined ? `timeline of run ${r.runId}` : `outage window of run ${r.runId}`;
  return svg(W, height, label, body, `chart timeline${o.cls === undefined ? '' : ` ${o.cls}`}`);
}
