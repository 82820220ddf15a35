import { effectiveVerdict, formatNumber, type ReportModel } from './model.js';
import { isUnstable, type RunRecord } from './record.js';
import { html, join, jsonForScript, raw, type Raw } from './html-escape.js';
import { renderDecomposition, renderTrend } from './html-charts.js';
import { EMPTY } from './html-svg.js';
import { badge, episodesTable, manifestSection, metricsTable, runAnchor, summaryTable } from './html-tables.js';
import { renderTimeline } from './html-timeline.js';
import { REPORT_CSS } from './html-style.js';

/**
 * The HTML report (pure): ONE self-contained file, no server, no network, no external URL, no script
 * execution. Charts are inline SVG written here rather than an inlined charting library: the page then
 * renders identically with JavaScript disabled, prints to PDF for a vendor, carries native tooltips,
 * and a pure function can produce and unit-test every chart. The full model is embedded as JSON in
 * `<script type="application/json" id="vmmi-data">` (inert data, escaped by `jsonForScript`) so the
 * numbers behind the page can be extracted from the single file.
 */

/** Reference lines from measurement.md §7, drawn on downtime/outage trends when in range. */
const REFERENCES = [
  { label: 'QEMU downtime limit 300 ms', value: 300 },
  { label: 'NFV target 10 ms', value: 10 },
];

function unitOf(metric: string): string {
  return metric.endsWith('_ms') ? ' ms' : metric.endsWith('_pct') ? ' %' : '';
}

function header(m: ReportModel): Raw {
  const s = m.summary;
  const man = m.manifest;
  const facts =
    man === null
      ? EMPTY
      : html`<div class="facts">vmmi ${man.vmmi.version} · commit ${(man.vmmi.gitCommit ?? 'unknown').slice(0, 12)} · testbed ${man.testbed.file ?? 'unknown'} · started ${man.startedWall}</div>`;
  const count = (label: string, n: number, kind: string): Raw =>
    html`<div class="${`count c-${kind}${n > 0 ? '' : ' zero'}`}"><div class="n">${n}</div><div class="l">${label}</div></div>`;
  return html`<header><h1>${m.title}</h1><div class="facts">generated ${m.generatedWall}</div>${facts}<div class="counts">${count('attempts', s.total, 'total')}${count('pass', s.pass, 'pass')}${count('fail', s.fail, 'fail')}${count('errored', s.errored, 'errored')}${count('skipped', s.skipped, 'skipped')}${count('unstable', s.unstable, 'unstable')}${count('health not ok', s.unhealthy, 'degraded')}</div></header>`;
}

function chartOrNote(chart: Raw, note: string): Raw {
  return chart === EMPTY ? html`<p class="muted">${note}</p>` : html`<div class="chartbox">${chart}</div>`;
}

function runHeading(r: RunRecord): Raw {
  const v = effectiveVerdict(r);
  const unstable = isUnstable(r)
    ? html` ${badge('unstable', `unstable: attempt ${r.attempt} of ${r.attemptOf}`)}` : EMPTY;
  const note = v !== r.verdict
    ? html` <span class="muted note">(spec reported ${r.verdict}; measurement errored)</span>` : EMPTY;
  const facts = `run ${r.runId} · VM ${r.vm} · ${r.source} → ${r.destination} · ${r.addressFamily} · `
    + `strategy ${r.strategy} · started ${r.startedWall}`;
  return html`<h2>${r.scenario} ${badge(v)} ${badge(r.health, `health ${r.health}`)}${unstable}${note}</h2>
<div class="facts">${facts}</div>`;
}

function runSection(r: RunRecord, i: number): Raw {
  const error = r.error === undefined ? EMPTY : html`<pre class="error">${r.error}</pre>`;
  const reasons = r.healthReasons.length === 0 ? EMPTY
    : html`<p><strong>health:</strong> ${r.healthReasons.join('; ')}</p>`;
  const violations = join(r.conformance.violations.map((x) => html`<li>${x}</li>`));
  const conformance = r.conformance.ok ? html`<p class="ok">event order conforms</p>`
    : html`<div class="warn"><strong>event-order violations</strong><ul>${violations}</ul></div>`;
  const mi = r.memoryIntegrity;
  const memory =
    mi === undefined
      ? EMPTY
      : mi.status === 'ok'
        ? html`<p class="ok">guest memory intact: ${mi.detail} <span class="muted">(${mi.method})</span></p>`
        : html`<div class="${mi.status === 'corrupt' ? 'warn' : 'muted'}"><strong>guest memory ${mi.status}</strong>: ${mi.detail} <span class="muted">(${mi.method})</span></div>`;
  return html`<section class="run" id="${runAnchor(i)}">${runHeading(r)}${error}${reasons}${conformance}${memory}
<h3>timeline</h3>${chartOrNote(renderTimeline(r), 'No timeline events recorded.')}
<h3>outage decomposition</h3>${chartOrNote(renderDecomposition(r.decomposition), 'Not decomposed.')}
<div class="runcols"><div><h3>metrics</h3><div class="tablewrap">${metricsTable(r)}</div></div>
<div><h3>loss episodes</h3><div class="tablewrap">${episodesTable(r)}</div></div></div></section>`;
}

function trendsSection(m: ReportModel): Raw {
  if (m.trends.length === 0) {
    return html`<p class="muted">No history yet: trend charts appear once a scenario has run at least twice.</p>`;
  }
  const flagged = m.trends.filter((t) => t.changePoints.length > 0);
  const alerts =
    flagged.length === 0
      ? html`<p class="ok">No change points detected.</p>`
      : html`<div class="warn"><strong>change points</strong><ul>${join(flagged.flatMap((t) => t.changePoints.map((c) => html`<li>${t.scenario} · <span class="mono">${t.metric}</span>: ${c.shift > 0 ? '+' : ''}${formatNumber(c.shift)}${unitOf(t.metric)} (median ${formatNumber(c.medianBefore)} → ${formatNumber(c.medianAfter)}${unitOf(t.metric)}); first run after the shift: <strong>${c.runId}</strong> (${c.startedWall})</li>`)))}</ul></div>`;
  const charts = m.trends.map(
    (t) =>
      html`<figure class="trendfig"><figcaption><span class="mono">${t.metric}</span> · ${t.scenario}</figcaption>${renderTrend(t, { references: t.metric.endsWith('_ms') ? REFERENCES : [] })}</figure>`,
  );
  return html`${alerts}<div class="trends">${join(charts)}</div>`;
}

/** Renders the whole report page. */
export function renderHtml(m: ReportModel): string {
  const page = html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${m.title}</title><style>${raw(REPORT_CSS)}</style></head>
<body>${header(m)}<main>
<section><h2>summary</h2>${summaryTable(m)}</section>
<section><h2>trends</h2>${trendsSection(m)}</section>
${join(m.runs.map(runSection))}
<section><h2>run manifest</h2>${manifestSection(m.manifest)}</section>
</main><footer>CSV columns: runs.csv, episodes.csv, timeline.csv next to this file (docs/report-columns.md).</footer>
<script type="application/json" id="vmmi-data">${raw(jsonForScript(m))}</script>
</body></html>
`;
  return page.value;
}
