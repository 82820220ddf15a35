import { formatNumber } from './model.js';
import type { RunManifest, RunRecord } from './record.js';
import { EMPTY, ms } from './html-svg.js';
import { html, join, type Raw } from './html-escape.js';

/** Tables of the HTML report (pure). */

export function badge(kind: string, text = kind): Raw {
  return html`<span class="badge b-${kind.replace(/[^a-z]/g, '')}">${text}</span>`;
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
