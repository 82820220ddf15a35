import {
  effectiveVerdict, formatMetricCell, formatNumber, formatValue, metricOf, type ReportModel,
} from './model.js';
import { isUnstable, type MetricName, type RunManifest, type RunRecord } from './record.js';
import { EMPTY, ms } from './html-svg.js';
import { html, join, type Raw } from './html-escape.js';

/** Tables of the HTML report (pure). */

/** Columns of the summary table: the metrics a lab engineer reads first. */
const SUMMARY_METRICS: readonly [MetricName, string][] = [
  ['hypervisor_downtime_ms', 'hypervisor downtime'],
  ['loss_derived_ms', 'outage (loss)'],
  ['rate_derived_ms', 'outage (rate)'],
  ['reconvergence_ms', 'reconvergence'],
  ['packets_lost', 'lost'],
  ['rtt_step_ms', 'RTT step'],
];

export function runAnchor(index: number): string {
  return `run-${index + 1}`;
}

export function badge(kind: string, text = kind): Raw {
  return html`<span class="badge b-${kind.replace(/[^a-z]/g, '')}">${text}</span>`;
}

function attemptNote(r: RunRecord): Raw {
  return isUnstable(r)
    ? html`<div>${badge('unstable', `attempt ${r.attempt}/${r.attemptOf} · unstable`)}</div>`
    : EMPTY;
}

function metricTd(r: RunRecord, name: MetricName): Raw {
  const m = metricOf(r, name);
  if (m === undefined) return html`<td class="num muted">—</td>`;
  const v = formatValue(m);
  const at = v.indexOf(' ± ');
  const cell = at < 0 ? html`${v}` : html`${v.slice(0, at)}<span class="res">${v.slice(at)}</span>`;
  return html`<td class="num" title="${formatMetricCell(m)}">${cell}</td>`;
}

export function summaryTable(model: ReportModel): Raw {
  const head = SUMMARY_METRICS.map(([, label]) => html`<th class="num">${label}</th>`);
  const rows = model.runs.map((r, i) => {
    const v = effectiveVerdict(r);
    const reasons =
      r.healthReasons.length === 0 ? EMPTY : html`<div class="reasons">${r.healthReasons.join('; ')}</div>`;
    return html`<tr class="${`row-${v}`}"><td><a href="#${runAnchor(i)}">${r.scenario}</a>${attemptNote(r)}</td><td>${r.vm}</td><td>${r.source} → ${r.destination}</td>${join(SUMMARY_METRICS.map(([n]) => metricTd(r, n)))}<td class="nowrap">${badge(v)} ${badge(r.health)}${reasons}</td></tr>`;
  });
  if (rows.length === 0) return html`<p class="muted">No migration runs were recorded.</p>`;
  return html`<div class="tablewrap"><table class="summary"><thead><tr><th>scenario</th><th>VM</th><th>source → destination</th>${join(head)}<th>verdict · health</th></tr></thead><tbody>${join(rows)}</tbody></table></div>`;
}

/** Every metric of one run in the report cell format (value ± resolution, method, clock). */
export function metricsTable(r: RunRecord): Raw {
  if (r.metrics.length === 0) return html`<p class="muted">No metrics recorded.</p>`;
  const rows = r.metrics.map(
    (m) =>
      html`<tr><td class="mono">${m.name}</td><td class="num">${formatValue(m)}</td><td class="nowrap">${m.method}</td><td class="nowrap">${m.clock}</td><td>${m.note ?? ''}</td></tr>`,
  );
  return html`<table class="metrics"><thead><tr><th>metric</th><th class="num">value</th><th>method</th><th>clock</th><th>note</th></tr></thead><tbody>${join(rows)}</tbody></table>`;
}

export function episodesTable(r: RunRecord): Raw {
  if (r.episodes.length === 0) return html`<p class="muted">No loss episodes.</p>`;
  const rows = r.episodes.map(
    (e) =>
      html`<tr><td>${e.flow}</td><td class="num">${ms(e.startMs)}</td><td class="num">${ms(e.endMs - e.startMs)}</td><td class="num">${e.firstSeq}–${e.lastSeq}</td><td class="num">${e.lost}</td></tr>`,
  );
  return html`<table class="episodes"><thead><tr><th>flow</th><th class="num">start</th><th class="num">duration</th><th class="num">sequence</th><th class="num">lost</th></tr></thead><tbody>${join(rows)}</tbody></table>`;
}

function kv(entries: readonly (readonly [string, string])[]): Raw {
  if (entries.length === 0) return html`<p class="muted">none recorded</p>`;
  return html`<table class="kv"><tbody>${join(entries.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`))}</tbody></table>`;
}

function paramEntries(p: Readonly<Record<string, string | number | boolean | null>>): [string, string][] {
  return Object.entries(p).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v === null ? '—' : String(v)]);
}

/** The run manifest (RFC 8204 style): software, testbed, device versions, parameters, clocks. */
export function manifestSection(m: RunManifest | null): Raw {
  if (m === null) return html`<p class="muted">No manifest (report regenerated without one).</p>`;
  const devices = m.devices.map(
    (d) =>
      html`<tr><td>${d.device}</td><td>${d.role}</td><td>${Object.entries(d.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(' · ')}</td><td>${d.error ?? ''}</td></tr>`,
  );
  const clocks = m.clocks.map(
    (c) =>
      html`<tr><td>${c.host}</td><td>${c.source}</td><td class="num">${c.offsetMs == null ? '—' : ms(c.offsetMs)}</td><td class="num">${c.uncertaintyMs == null ? '—' : `± ${formatNumber(c.uncertaintyMs)} ms`}</td></tr>`,
  );
  const insecure = m.insecureHostKeys.length === 0 ? EMPTY
    : html`<p class="warn">SSH host keys NOT verified for: ${m.insecureHostKeys.join(', ')}</p>`;
  return html`${insecure}<div class="cols"><div><h3>software and testbed</h3>${kv([
    ['vmmi', m.vmmi.version],
    ['git commit', `${m.vmmi.gitCommit ?? 'unknown'}${m.vmmi.gitDirty === true ? ' (uncommitted changes)' : ''}`],
    ['testbed file', m.testbed.file ?? 'unknown'],
    ['testbed sha256', m.testbed.sha256 ?? 'unknown'],
    ['controller', `${m.controller.hostname} · ${m.controller.platform} · node ${m.controller.node}`],
    ['started', m.startedWall],
    ['ended', m.endedWall ?? 'not finished'],
    ...paramEntries(m.runner),
  ])}</div><div><h3>migration parameters</h3>${kv(paramEntries(m.migrationParameters))}<h3>probe parameters</h3>${kv(paramEntries(m.probeParameters))}</div></div><h3>device versions</h3>${devices.length === 0 ? html`<p class="muted">none recorded</p>` : html`<table><thead><tr><th>device</th><th>role</th><th>versions</th><th>read error</th></tr></thead><tbody>${join(devices)}</tbody></table>`}<h3>clocks</h3>${clocks.length === 0 ? html`<p class="muted">none recorded</p>` : html`<table><thead><tr><th>host</th><th>source</th><th class="num">offset</th><th class="num">uncertainty</th></tr></thead><tbody>${join(clocks)}</tbody></table>`}`;
}
