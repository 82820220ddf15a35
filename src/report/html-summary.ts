import { formatAtResolution, formatPlain, formatResolutionValue } from '../measure/precision.js';
import { html, join, type Raw } from './html-escape.js';
import { EMPTY, px } from './html-svg.js';
import { HEADLINE_METRICS, type FigureStats, type ScenarioRow } from './summary.js';
import type { Judgement } from '../verdict/judge.js';

/**
 * The scenario summary table (pure): one row per scenario × strategy × family, median and p95 of the
 * headline figures at their resolution, verdict counts, a sparkline of the last nights, and the health
 * reasons folded behind a count (shown on demand). It fits its card at 1280 px; below 600 px each row
 * becomes a card of labelled lines.
 */

function figureCell(f: FigureStats, label: string): Raw {
  if (f.median === undefined || f.p95 === undefined) {
    return html`<td class="num muted" data-label="${label}">—</td>`;
  }
  const res = f.resolutionMs;
  const fmt = (v: number): string => (res === null || res <= 0 ? formatPlain(v) : formatAtResolution(v, res));
  const pm = res === null || res <= 0 ? '' : ` ± ${formatResolutionValue(res)} ms`;
  const ci = f.medianCi95 === undefined ? '' : `, median 95 % CI ${fmt(f.medianCi95.low)}–${fmt(f.medianCi95.high)} ms`;
  const range = f.min === undefined || f.max === undefined ? '' : `, min ${fmt(f.min)}, max ${fmt(f.max)} ms`;
  const title = `${label}: median ${fmt(f.median)} ms, p95 ${fmt(f.p95)} ms${pm}${range}${ci} over ${f.n} attempt(s)`;
  const spread = f.n < 2 || f.min === undefined || f.max === undefined ? EMPTY
    : html`<span class="rng">${fmt(f.min)}–${fmt(f.max)}${f.medianCi95 === undefined ? '' : ` · CI ${fmt(f.medianCi95.low)}–${fmt(f.medianCi95.high)}`}</span>`;
  return html`<td class="num fig" data-label="${label}" title="${title}"><span class="med">${fmt(f.median)} ms</span><span class="p95">p95 ${fmt(f.p95)}</span>${spread}</td>`;
}

/** A sparkline of per-night medians (inline SVG, 100 × 24). */
export function sparkline(points: readonly { night: string; value: number }[]): Raw {
  if (points.length < 2) return html`<span class="muted">—</span>`;
  const vals = points.map((p) => p.value);
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const w = 100;
  const h = 24;
  const xy = points.map((p, i) => {
    const x = (i / (points.length - 1)) * (w - 4) + 2;
    const y = hi === lo ? h / 2 : h - 3 - ((p.value - lo) / (hi - lo)) * (h - 6);
    return `${px(x)},${px(y)}`;
  }).join(' ');
  const last = points[points.length - 1] as { night: string; value: number };
  const first = points[0] as { night: string; value: number };
  const title = `${points.length} nights ${first.night} → ${last.night}: median outage ${formatPlain(lo)}–`
    + `${formatPlain(hi)} ms, last ${formatPlain(last.value)} ms`;
  return html`<svg class="spark" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${title}" xmlns="http://www.w3.org/2000/svg"><title>${title}</title><polyline fill="none" stroke="#2563eb" stroke-width="1.4" points="${xy}"/></svg>`;
}

function verdictCell(r: ScenarioRow): Raw {
  const parts = (['pass', 'fail', 'inconclusive', 'errored', 'skipped'] as const).filter((v) => r.verdicts[v] > 0)
    .map((v) => html`<span class="${`vc v-${v}`}" title="${`${r.verdicts[v]} ${v}`}">${r.verdicts[v]} ${v}</span>`);
  const warn = r.disagreements === 0 ? EMPTY
    : html`<span class="vc v-warn" title="attempts where two outage methods disagree beyond their resolutions">${r.disagreements} ⚠ methods disagree</span>`;
  return html`<td class="verdicts" data-label="verdicts">${join(parts)}${warn}</td>`;
}

function reasonsCell(r: ScenarioRow): Raw {
  if (r.reasons.length === 0) return html`<td class="muted" data-label="health">ok</td>`;
  const items = r.reasons.map(([why, n]) => html`<li><span class="n">${n}×</span> ${why}</li>`);
  return html`<td data-label="health"><details class="reasons"><summary>${`${r.reasons.length} reason${r.reasons.length === 1 ? '' : 's'}`}</summary><ul>${join(items)}</ul></details></td>`;
}

/** The scenario summary table, or a note when there are no attempts. */
export function scenarioTable(rows: readonly ScenarioRow[]): Raw {
  if (rows.length === 0) return html`<p class="muted">No migration runs were recorded.</p>`;
  const head = HEADLINE_METRICS.map(([, label]) => html`<th class="num">${label}<br><span class="sub">median · p95 · min–max · CI</span></th>`);
  const body = rows.map((r) => html`<tr><td class="scen" data-label="scenario">${r.scenario}</td><td data-label="strategy">${r.strategy}</td><td data-label="family">${r.family}</td><td class="num" data-label="attempts">${r.attempts}</td>${verdictCell(r)}${join(HEADLINE_METRICS.map(([, label], i) => figureCell(r.figures[i] as FigureStats, label)))}<td class="sparkcell" data-label="last nights">${sparkline(r.spark)}</td>${reasonsCell(r)}</tr>`);
  return html`<table class="scenarios"><colgroup><col class="c-scen"><col class="c-strat"><col class="c-fam"><col class="c-n"><col class="c-verd">${join(HEADLINE_METRICS.map(() => html`<col class="c-fig">`))}<col class="c-spark"><col class="c-health"></colgroup><thead><tr><th>scenario</th><th>strategy</th><th>family</th><th class="num">n</th><th>verdicts</th>${join(head)}<th>last nights</th><th>health</th></tr></thead><tbody>${join(body)}</tbody></table>`;
}

/**
 * Thresholds on statistics of repetitions, judged per scenario (verdict/judge.ts): one row each with
 * its value, n, interval and outcome; nothing when the run had none.
 */
export function statisticsSection(js: readonly Judgement[]): Raw {
  if (js.length === 0) return EMPTY;
  const rows = js.map((j) => html`<tr class="${`row-${j.outcome}`}"><td class="scen" data-label="scenario">${j.scenario}</td><td data-label="threshold">${j.expression}</td><td class="num" data-label="value">${j.value === null ? '—' : formatPlain(j.value)}</td><td class="num" data-label="n">${j.n}</td><td class="num" data-label="95 % CI">${j.interval === undefined ? '—' : `${formatPlain(j.interval.low)}–${formatPlain(j.interval.high)}`}</td><td data-label="outcome"><span class="${`vc v-${j.outcome}`}" title="${j.message}">${j.outcome}</span></td><td data-label="source">${j.source}</td></tr>`);
  return html`<section id="statistics"><h2>thresholds on statistics</h2><div class="tablewrap"><table class="statistics"><thead><tr><th>scenario</th><th>threshold</th><th class="num">value</th><th class="num">n</th><th class="num">95 % CI</th><th>outcome</th><th>source</th></tr></thead><tbody>${join(rows)}</tbody></table></div></section>`;
}
