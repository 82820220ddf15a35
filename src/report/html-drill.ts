import { findDisagreements, METHOD_GUIDE, methodKeyOf, type MethodKey } from '../measure/method-guide.js';
import { effectiveVerdict, formatValue, metricOf } from './model.js';
import { isUnstable, type Metric, type MetricName, type RunRecord } from './record.js';
import { html, join, type Raw } from './html-escape.js';
import { renderDecomposition } from './html-charts.js';
import { EMPTY, ms } from './html-svg.js';
import { badge, episodesTable } from './html-tables.js';
import { outageWindow, renderTimeline } from './html-timeline.js';

/**
 * The attempts list and the per-attempt drill-down (pure). The list is plain markup; each attempt's
 * drill-down (timeline zoomable to the outage window, reply rate, decomposition, metrics with their
 * method guide, episodes, disagreement warnings) is rendered here as markup that the page stores
 * compressed and inserts when the attempt is opened.
 */

const LIST_METRICS: readonly (readonly [MetricName, string])[] = [
  ['gap_tx_ms', 'send side'], ['gap_rx_ms', 'app-visible'], ['loss_derived_ms', 'loss'],
  ['hypervisor_downtime_ms', 'downtime'],
];

export function attemptAnchor(i: number): string {
  return `attempt-${i + 1}`;
}

function listCell(r: RunRecord, name: MetricName, label: string): Raw {
  const m = metricOf(r, name);
  if (m?.value == null) return html`<td class="num muted" data-label="${label}">—</td>`;
  const v = formatValue(m);
  const at = v.indexOf(' ± ');
  const cell = at < 0 ? html`${v}` : html`${v.slice(0, at)}<span class="res">${v.slice(at)}</span>`;
  return html`<td class="num" data-label="${label}">${cell}</td>`;
}

/** One row per attempt with a button that opens its drill-down. */
export function attemptsTable(runs: readonly RunRecord[]): Raw {
  if (runs.length === 0) return EMPTY;
  const rows = runs.map((r, i) => {
    const v = effectiveVerdict(r);
    const warn = findDisagreements(r.metrics).length > 0 ? html` <span class="vc v-warn" title="methods disagree">⚠</span>` : EMPTY;
    const unstable = isUnstable(r) ? html` ${badge('unstable', `${r.attempt}/${r.attemptOf}`)}` : EMPTY;
    return html`<tr id="${attemptAnchor(i)}" class="${`att row-${v}`}"><td class="num">${i + 1}</td><td class="scen">${r.scenario}${unstable}</td><td class="nowrap">${r.startedWall.slice(0, 19).replace('T', ' ')}</td><td class="nowrap">${badge(v)} ${badge(r.health)}${warn}</td>${join(LIST_METRICS.map(([n, l]) => listCell(r, n, l)))}<td><button type="button" class="open" data-i="${i}" aria-expanded="false">details</button></td></tr>`;
  });
  const head = LIST_METRICS.map(([, l]) => html`<th class="num">${l}</th>`);
  return html`<div class="tablewrap"><table class="attempts"><thead><tr><th class="num">#</th><th>scenario</th><th>started (UTC)</th><th>verdict · health</th>${join(head)}<th></th></tr></thead><tbody>${join(rows)}</tbody></table></div>`;
}

/** A metric cell: value at its resolution, method and clock in the tooltip. */
function valueCell(m: Metric | undefined): Raw {
  if (m === undefined) return html`<td class="num muted">—</td>`;
  return html`<td class="num" title="${`${m.method} · ${m.clock}`}">${formatValue(m)}</td>`;
}

/**
 * Run-level metrics (one row each, with method), per-flow metrics as one row per metric and one column per
 * flow, then the one-line guide of every method the attempt used.
 */
function metricsBlock(r: RunRecord): Raw {
  if (r.metrics.length === 0) return html`<p class="muted">No metrics recorded.</p>`;
  const runLevel = r.metrics.filter((m) => m.flow === undefined);
  const flows = [...new Set(r.metrics.flatMap((m) => (m.flow === undefined ? [] : [m.flow])))];
  const names = [...new Set(r.metrics.filter((m) => m.flow !== undefined).map((m) => m.name))];
  const runRows = runLevel.map((m) => html`<tr><td class="mono">${m.name}</td>${valueCell(m)}<td>${m.method}</td></tr>`);
  const flowRows = names.map((n) => html`<tr><td class="mono">${n}</td>${join(flows.map((f) => valueCell(r.metrics.find((m) => m.name === n && m.flow === f))))}</tr>`);
  const keys = [...new Set(r.metrics.map((m) => methodKeyOf(m.name)).filter((k): k is MethodKey => k !== undefined))];
  const guide = keys.map((k) => html`<li><strong>${k}</strong>: ${METHOD_GUIDE[k]}</li>`);
  return html`${runRows.length === 0 ? EMPTY : html`<div class="tablewrap"><table class="metrics"><thead><tr><th>metric</th><th class="num">value</th><th>method</th></tr></thead><tbody>${join(runRows)}</tbody></table></div>`}${flowRows.length === 0 ? EMPTY : html`<div class="tablewrap"><table class="metrics flows"><thead><tr><th>per flow</th>${join(flows.map((f) => html`<th class="num">${f}</th>`))}</tr></thead><tbody>${join(flowRows)}</tbody></table></div>`}<h4>methods: what each measures and when to trust it</h4><ul class="guide">${join(guide)}</ul>`;
}

function warnings(r: RunRecord): Raw {
  const d = findDisagreements(r.metrics);
  if (d.length === 0) return EMPTY;
  return html`<div class="warn disagree" role="note"><strong>methods disagree</strong><ul>${join(d.map((x) => html`<li>${x.flow === undefined ? '' : `${x.flow}: `}${x.message}</li>`))}</ul></div>`;
}

function facts(r: RunRecord): Raw {
  const mi = r.memoryIntegrity;
  const memory = mi === undefined ? EMPTY
    : html`<p class="${mi.status === 'ok' ? 'ok' : mi.status === 'corrupt' ? 'warn' : 'muted'}">guest memory ${mi.status}: ${mi.detail} <span class="muted">(${mi.method})</span></p>`;
  const conformance = r.conformance.ok ? html`<p class="ok">event order conforms</p>`
    : html`<div class="warn"><strong>event-order violations</strong><ul>${join(r.conformance.violations.map((x) => html`<li>${x}</li>`))}</ul></div>`;
  const reasons = r.healthReasons.length === 0 ? EMPTY
    : html`<div class="healthreasons"><strong>health ${r.health}:</strong><ul>${join(r.healthReasons.map((x) => html`<li>${x}</li>`))}</ul></div>`;
  const error = r.error === undefined ? EMPTY : html`<pre class="error">${r.error}</pre>`;
  const v = effectiveVerdict(r);
  const head = html`<p>${badge(v)} ${badge(r.health, `health ${r.health}`)}${isUnstable(r) ? html` ${badge('unstable', `unstable: attempt ${r.attempt} of ${r.attemptOf}`)}` : EMPTY}${v === r.verdict ? EMPTY : html` <span class="muted note">(spec reported ${r.verdict}; measurement errored)</span>`}</p>`;
  return html`${head}<div class="facts">${`run ${r.runId} · VM ${r.vm} · ${r.source} → ${r.destination} · ${r.addressFamily} · strategy ${r.strategy} · started ${r.startedWall}`}</div>${error}${reasons}${warnings(r)}${conformance}${memory}`;
}

function timelineBlock(r: RunRecord): Raw {
  const full = renderTimeline(r);
  if (full === EMPTY) return html`<p class="muted">No timeline events recorded.</p>`;
  const win = outageWindow(r);
  if (win === undefined) return html`<div class="chartbox">${full}</div><p class="evdetail muted" aria-live="polite"></p>`;
  const zoomed = renderTimeline(r, { domain: win, cls: 'zoomed' });
  return html`<div class="zoombar" role="group" aria-label="timeline view"><button type="button" class="zoom" data-view="outage" aria-pressed="true">outage window ${ms(Math.round(win[0]))} → ${ms(Math.round(win[1]))}</button><button type="button" class="zoom" data-view="all" aria-pressed="false">whole run</button></div><div class="chartbox view-outage">${zoomed}</div><div class="chartbox view-all" hidden>${full}</div><p class="evdetail muted" aria-live="polite">Hover or focus a marker for its details.</p>`;
}

/** The drill-down of one attempt (markup inserted by the page when the attempt is opened). */
export function drillDown(r: RunRecord): Raw {
  const decomposition = renderDecomposition(r.decomposition);
  return html`<div class="drillbody" data-run="${r.runId}"><h3>${r.scenario}</h3>${facts(r)}<h4>timeline and reply rate</h4>${timelineBlock(r)}<h4>outage decomposition</h4>${decomposition === EMPTY ? html`<p class="muted">Not decomposed.</p>` : html`<div class="chartbox">${decomposition}</div>`}<h4>metrics</h4>${metricsBlock(r)}<h4>loss episodes</h4><div class="tablewrap episodes">${episodesTable(r)}</div>${pathBlock(r)}${floodingBlock(r)}</div>`;
}

/** Hop lists of the path probe, before and after the move, with the device and site of each hop. */
function pathBlock(r: RunRecord): Raw {
  const p = r.path;
  if (p === undefined) return EMPTY;
  const verdict = p.viaOldSite === undefined ? html`<p class="muted">path after the move unknown: ${p.detail ?? 'no trace reached the VM'}</p>`
    : html`<p class="${p.viaOldSite ? 'warn' : 'ok'}">${p.viaOldSite ? `traffic still goes round by ${p.oldSite}` : `no hop at ${p.oldSite} after the move`}</p>`;
  const traces = p.traces.map((t) => {
    const rows = t.hops.map((h) => html`<tr><td class="num">${String(h.ttl)}</td><td class="mono">${h.address ?? '*'}</td><td>${h.device ?? ''}</td><td>${h.site ?? ''}</td><td class="num">${h.rttMs.map((x) => x.toFixed(3)).join(' / ')}</td></tr>`);
    return html`<div class="tablewrap"><table class="path"><caption>${t.when}: ${t.from} → ${t.to}${t.reached ? '' : ' (not reached)'}</caption><thead><tr><th class="num">TTL</th><th>address</th><th>device</th><th>site</th><th class="num">RTT ms</th></tr></thead><tbody>${join(rows)}</tbody></table></div>`;
  });
  return html`<h4>path toward the VM</h4>${verdict}${join(traces)}<p class="muted">${p.method}</p>`;
}

/** Flooded frames per segment in the move window. */
function floodingBlock(r: RunRecord): Raw {
  const f = r.flooding;
  if (f === undefined) return EMPTY;
  const rows = f.segments.map((s) => html`<tr><td>${s.device}</td><td class="mono">${s.bridge}</td><td class="num">${String(s.arp)}</td><td class="num">${String(s.nd)}</td><td class="num">${String(s.unknownUnicast)}</td></tr>`);
  return html`<h4>flooding in the move window (ARP/ND suppression ${f.suppression})</h4><div class="tablewrap"><table class="flooding"><thead><tr><th>device</th><th>bridge</th><th class="num">broadcast ARP</th><th class="num">ND multicast</th><th class="num">unknown unicast</th></tr></thead><tbody>${join(rows)}</tbody></table></div><p class="muted">${f.method}</p>`;
}
