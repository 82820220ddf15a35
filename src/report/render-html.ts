import { formatNumber, type ReportModel } from './model.js';
import { html, join, jsonForScript, raw, type Raw } from './html-escape.js';
import { renderTrend } from './html-charts.js';
import { CLIENT_SCRIPT, CLIENT_SCRIPT_CSP } from './html-client.js';
import { attemptsTable, drillDown } from './html-drill.js';
import { scenarioTable, statisticsSection } from './html-summary.js';
import { manifestSection } from './html-tables.js';
import { EMPTY } from './html-svg.js';
import { REPORT_CSS } from './html-style.js';

/**
 * The HTML report (pure): ONE self-contained file, no server, no network, no external URL. It opens on
 * the scenario summary and the attempts list; each attempt's drill-down and the trend charts are markup
 * built here, stored compressed in the page (`#vmmi-lazy`, chunks of {@link CHUNK} attempts) and inserted
 * by the page's one script (html-client.ts, allowed by hash in the CSP) when opened, so a month of nightly
 * attempts stays one small file that opens at once. Charts are inline SVG written here (pure, unit-tested,
 * printable). A summary of every attempt is embedded as JSON in `#vmmi-data`; the numbers behind every
 * chart are in the CSV files next to the page.
 */

/** Attempts per compressed chunk: one chunk is decoded when one of its attempts is opened. */
export const CHUNK = 16;

/** How the lazy parts are packed: gzip + base64 (write.ts passes node:zlib), or plain JSON text when absent. */
export interface RenderOptions {
  readonly compress?: (text: string) => string;
}

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
  return html`<header><h1>${m.title}</h1><div class="facts">generated ${m.generatedWall}</div>${facts}<div class="counts">${count('attempts', s.total, 'total')}${count('pass', s.pass, 'pass')}${count('fail', s.fail, 'fail')}${count('inconclusive', s.inconclusive, 'inconclusive')}${count('errored', s.errored, 'errored')}${count('skipped', s.skipped, 'skipped')}${count('unstable', s.unstable, 'unstable')}${count('health not ok', s.unhealthy, 'degraded')}</div></header>`;
}

function trendAlerts(m: ReportModel): Raw {
  if (m.trends.length === 0) {
    return html`<p class="muted">No history yet: trend charts appear once a scenario has run at least twice.</p>`;
  }
  const flagged = m.trends.filter((t) => t.changePoints.length > 0);
  if (flagged.length === 0) return html`<p class="ok">No change points detected.</p>`;
  const items = flagged.flatMap((t) => t.changePoints.map((c) => html`<li>${t.scenario} · <span class="mono">${t.metric}</span>: ${c.shift > 0 ? '+' : ''}${formatNumber(c.shift)}${unitOf(t.metric)} (median ${formatNumber(c.medianBefore)} → ${formatNumber(c.medianAfter)}${unitOf(t.metric)}); first run after the shift: <strong>${c.runId}</strong> (${c.startedWall})</li>`));
  return html`<details class="warn"><summary><strong>${`${items.length} change point(s)`}</strong></summary><ul>${join(items)}</ul></details>`;
}

function trendCharts(m: ReportModel): Raw {
  const charts = m.trends.map(
    (t) =>
      html`<figure class="trendfig"><figcaption><span class="mono">${t.metric}</span> · ${t.scenario}</figcaption>${renderTrend(t, { references: t.metric.endsWith('_ms') ? REFERENCES : [] })}</figure>`,
  );
  return html`<div class="trends">${join(charts)}</div>`;
}

/** The lazily drawn parts: drill-down markup per attempt in chunks, and the trend charts. */
function lazyData(m: ReportModel, o: RenderOptions): Raw {
  const pack = (x: unknown): string => (o.compress === undefined ? JSON.stringify(x) : o.compress(JSON.stringify(x)));
  const chunks: string[] = [];
  for (let i = 0; i < m.runs.length; i += CHUNK) {
    chunks.push(pack(m.runs.slice(i, i + CHUNK).map((r) => drillDown(r).value)));
  }
  const lazy = { encoding: o.compress === undefined ? 'json' : 'gzip', chunkSize: CHUNK, chunks,
    trends: m.trends.length === 0 ? null : pack(trendCharts(m).value) };
  return raw(jsonForScript(lazy));
}

/** What `#vmmi-data` holds: the summary of every attempt, without the drill-down detail. */
function pageData(m: ReportModel): unknown {
  return {
    title: m.title, generatedWall: m.generatedWall, summary: m.summary, scenarios: m.scenarios,
    runs: m.runs.map((r) => ({ runId: r.runId, scenario: r.scenario, strategy: r.strategy, vm: r.vm, source: r.source,
      destination: r.destination, addressFamily: r.addressFamily, startedWall: r.startedWall, verdict: r.verdict,
      health: r.health, attempt: r.attempt, attemptOf: r.attemptOf })),
  };
}

/** Renders the whole report page. */
export function renderHtml(m: ReportModel, o: RenderOptions = {}): string {
  const trends = m.trends.length === 0 ? EMPTY
    : html`<button type="button" class="trends-open" aria-expanded="false">show trend charts</button><div id="trends-body"></div>`;
  const page = html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${raw(`default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src ${CLIENT_SCRIPT_CSP}`)}">
<title>${m.title}</title><style>${raw(REPORT_CSS)}</style></head>
<body>${header(m)}<main>
<section id="summary"><h2>summary by scenario</h2><div class="tablewrap fit">${scenarioTable(m.scenarios)}</div></section>${statisticsSection(m.statistics)}
<section id="trends"><h2>trends</h2>${trendAlerts(m)}${trends}</section>
<section id="attempts"><h2>attempts</h2>${m.runs.length === 0 ? html`<p class="muted">No migration runs were recorded.</p>` : html`<p class="muted noprint">Open an attempt for its timeline (zoomable to the outage window), reply rate, decomposition, metrics and episodes.</p>`}${attemptsTable(m.runs)}</section>
<section id="manifest"><h2>run manifest</h2>${manifestSection(m.manifest)}</section>
</main><footer>CSV columns: runs.csv, episodes.csv, timeline.csv (and samples.csv when asked for) next to this file (docs/report-columns.md).</footer>
<script type="application/json" id="vmmi-data">${raw(jsonForScript(pageData(m)))}</script>
<script type="application/json" id="vmmi-lazy">${lazyData(m, o)}</script>
<script>${raw(CLIENT_SCRIPT)}</script>
</body></html>
`;
  return page.value;
}
