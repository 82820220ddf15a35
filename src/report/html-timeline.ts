import { TIMELINE_SOURCES, type RunRecord, type TimelineEvent, type TimelineSource } from './record.js';
import { html, join, type Raw } from './html-escape.js';
import {
  EMPTY, color, ms, niceDomain, polyline, px, scale, svg, timeLabel, xAxis, yAxis, type Scale,
} from './html-svg.js';

/**
 * Per-run timeline chart (pure): one lane per observer (hypervisor, control plane, data plane,
 * controller) on the run's single controller-monotonic time axis, loss episodes shaded across all
 * lanes, and the probe reply-rate plot under it on the same x scale. Every marker carries a <title>
 * with the full event (host, kind, detail, times) as a native tooltip; labels are staggered in rows so
 * close events stay readable.
 */

const W = 1180;
const LEFT = 118;
const RIGHT = 44;
const ROW_H = 15;
const LANE_PAD = 10;
const RATE_H = 130;
const LABEL_CHAR_PX = 6.2;

const LANE_TITLES: Readonly<Record<TimelineSource, string>> = {
  hypervisor: 'hypervisor', 'control-plane': 'control plane', 'data-plane': 'data plane', controller: 'controller',
};
const LANE_COLORS: Readonly<Record<TimelineSource, string>> = {
  hypervisor: '#7c3aed', 'control-plane': '#d97706', 'data-plane': '#0891b2', controller: '#64748b',
};
const LANE_ORDER: readonly TimelineSource[] = ['hypervisor', 'control-plane', 'data-plane', 'controller'];

interface Placed { readonly e: TimelineEvent; readonly x: number; readonly row: number; readonly flip: boolean }

/** Greedy row assignment: each label goes to the first row where it does not overlap the previous one. */
function placeLabels(events: readonly TimelineEvent[], xs: Scale, maxRows: number): Placed[] {
  const rowEnds: number[] = [];
  return [...events].sort((a, b) => a.tMs - b.tMs).map((e) => {
    const x = scale(xs, e.tMs);
    const width = e.kind.length * LABEL_CHAR_PX + 12;
    // a label that would run off the plot is drawn to the left of its marker
    const flip = x + width > W - 4;
    const start = flip ? x - width : x;
    let row = rowEnds.findIndex((end) => end <= start);
    if (row === -1) row = rowEnds.length < maxRows ? rowEnds.length : rowEnds.indexOf(Math.min(...rowEnds));
    rowEnds[row] = flip ? x + 4 : x + width;
    return { e, x, row, flip };
  });
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
  const placed = placeLabels(events, xs, 4);
  const rows = Math.max(1, ...placed.map((p) => p.row + 1));
  const height = rows * ROW_H + LANE_PAD * 2;
  const c = LANE_COLORS[source];
  const mid = top + height / 2;
  const marks = placed.map((p) => {
    const ly = top + LANE_PAD + p.row * ROW_H + 11;
    return html`<g class="ev"><title>${eventTitle(p.e, isoOf(p.e.wallMs))}</title><line x1="${px(p.x)}" x2="${px(p.x)}" y1="${px(top + 3)}" y2="${px(top + height - 3)}" stroke="${c}" stroke-width="1.5"/><circle cx="${px(p.x)}" cy="${px(mid)}" r="3.5" fill="${c}"/><text class="evlabel" x="${px(p.flip ? p.x - 4 : p.x + 4)}" y="${px(ly)}" text-anchor="${p.flip ? 'end' : 'start'}">${p.e.kind}</text></g>`;
  });
  const body = html`<rect class="lane" x="${LEFT}" y="${px(top)}" width="${W - LEFT - RIGHT}" height="${px(height)}"/><text class="lanelabel" x="${LEFT - 8}" y="${px(mid + 4)}" text-anchor="end" fill="${c}">${LANE_TITLES[source]}</text>${join(marks)}`;
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

function ratePlot(r: RunRecord, xs: Scale, top: number): Raw {
  const all = r.rates.flatMap((s) => s.samples.map((p) => p.pps));
  const [, ymax] = niceDomain(all.length === 0 ? [1] : all, true);
  const ys: Scale = { d0: 0, d1: ymax, r0: top + RATE_H, r1: top + 8 };
  const lines = r.rates.map((s, i) => {
    const pts = s.samples.map((p): [number, number] => [scale(xs, p.tMs), scale(ys, p.pps)]);
    return html`<g><title>${`reply rate · ${s.flow}`}</title>${polyline(pts, color(i))}</g>`;
  });
  const legend = r.rates.map((s, i) => {
    const x = LEFT + 8 + i * 190;
    return html`<rect x="${x}" y="${px(top + RATE_H + 24)}" width="10" height="10" fill="${color(i)}"/><text class="legend" x="${x + 14}" y="${px(top + RATE_H + 33)}">${s.flow}</text>`;
  });
  return html`<text class="lanelabel" x="${LEFT - 8}" y="${px(top - 6)}" text-anchor="end">reply rate (pps)</text>${yAxis(ys, LEFT, W - RIGHT, (v) => String(v))}${join(lines)}${join(legend)}`;
}

function episodeBands(r: RunRecord, xs: Scale, top: number, bottom: number): Raw {
  return join(r.episodes.map((e) => {
    const x0 = scale(xs, e.startMs);
    const w = Math.max(1.5, scale(xs, e.endMs) - x0);
    const title = `loss episode · ${e.flow}\n${ms(e.startMs)} → ${ms(e.endMs)} (${ms(e.endMs - e.startMs)}), ${e.lost} lost, seq ${e.firstSeq}–${e.lastSeq}`;
    return html`<rect class="episode" x="${px(x0)}" y="${px(top)}" width="${px(w)}" height="${px(bottom - top)}"><title>${title}</title></rect>`;
  }));
}

/** The timeline + reply-rate SVG for one run; empty markup when the run has nothing on a time axis. */
export function renderTimeline(r: RunRecord): Raw {
  if (r.timeline.length === 0 && r.rates.length === 0 && r.episodes.length === 0) return EMPTY;
  const [t0, t1] = timeDomain(r);
  const xs: Scale = { d0: t0, d1: t1, r0: LEFT, r1: W - RIGHT };
  const sources = LANE_ORDER.filter((s) => TIMELINE_SOURCES.includes(s));
  let y = 8;
  const lanes: Raw[] = [];
  for (const s of sources) {
    const l = lane(s, r.timeline.filter((e) => e.source === s), xs, y);
    lanes.push(l.body);
    y += l.height + 4;
  }
  const lanesBottom = y - 4;
  const hasRates = r.rates.length > 0;
  const rateTop = lanesBottom + 26;
  const bottom = hasRates ? rateTop + RATE_H : lanesBottom;
  const height = bottom + (hasRates ? 44 : 24);
  const body = html`${xAxis(xs, 8, bottom, timeLabel)}${join(lanes)}${hasRates ? ratePlot(r, xs, rateTop) : EMPTY}${episodeBands(r, xs, 8, bottom)}`;
  return svg(W, height, `timeline of run ${r.runId}`, body, 'chart timeline');
}
