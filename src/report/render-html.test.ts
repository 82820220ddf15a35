import { expect, test } from '@playwright/test';
import { gunzipSync } from 'node:zlib';
import { sampleManifest, sampleRecord } from '../../test/fixtures/report/sample-records.js';
import { CLIENT_SCRIPT } from './html-client.js';
import { esc, jsonForScript } from './html-escape.js';
import { sha256Base64 } from './html-sha256.js';
import { buildReportModel } from './model.js';
import { renderHtml } from './render-html.js';
import { gzipBase64 } from './write.js';

const EVIL = '<script>alert(1)</script>';

function model() {
  const history = Array.from({ length: 12 }, (_, i) => sampleRecord({
    runId: `night-${i + 1}`, startedWall: new Date(Date.UTC(2026, 10, 1 + i, 6)).toISOString(),
    downtimeMs: i < 6 ? 180 + (i % 3) * 5 : 320 + (i % 3) * 5,
  }));
  const runs = [
    sampleRecord({ runId: 'r1', source: EVIL, startedWall: '2026-11-25T06:00:00.000Z' }),
    sampleRecord({ runId: 'r2', vm: 'vm"><img src=x onerror=alert(2)>', verdict: 'fail', health: 'errored',
      healthReasons: ['no baseline traffic'], attempt: 1, attemptOf: 2, startedWall: '2026-11-25T06:01:00.000Z',
      error: `device said ${EVIL}` }),
  ];
  const manifest = sampleManifest({ devices: [{ device: EVIL, role: 'switch', versions: { nos: '</script><b>' } }],
    insecureHostKeys: ['torA'] });
  return buildReportModel(runs, { generatedWall: '2026-11-25T07:00:00.000Z', manifest, history });
}

const page = (): string => renderHtml(model());

function island(h: string, id: string): string {
  const m = new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(h);
  expect(m).not.toBeNull();
  return m![1]!;
}

/** The page with every lazily drawn part (drill-downs, trend charts) decoded and appended. */
function expanded(h: string): string {
  return [h, ...lazyParts(h)].join('\n');
}

function lazyParts(h: string): string[] {
  const lazy = JSON.parse(island(h, 'vmmi-lazy')) as { encoding: string; chunks: string[]; trends: string | null };
  const decode = (s: string): unknown =>
    JSON.parse(lazy.encoding === 'gzip' ? gunzipSync(Buffer.from(s, 'base64')).toString('utf8') : s);
  const drills = lazy.chunks.flatMap((c) => decode(c) as string[]);
  return [...drills, lazy.trends === null ? '' : (decode(lazy.trends) as string)];
}

test('escapes every device- and spec-supplied string, in the page and in the lazily drawn parts', () => {
  const h = expanded(page());
  expect(h).not.toContain('<script>alert');
  expect(h).not.toContain('<img src=x');
  expect(h).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  expect(h).toContain('vm&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
  // two inert JSON islands and the one script, which the CSP allows by its hash and nothing else
  expect(page().match(/<script/g)).toHaveLength(3);
  expect(page()).toContain(`script-src 'sha256-${sha256Base64(CLIENT_SCRIPT)}'`);
  expect(page()).toContain(`<script>${CLIENT_SCRIPT}</script>`);
});

test('the JSON data island parses back, with <, >, &, U+2028/2029 escaped', () => {
  const text = island(page(), 'vmmi-data');
  expect(text).not.toMatch(/[<>&\u2028\u2029]/);
  const data = JSON.parse(text) as { runs: { source: string }[] };
  expect(data.runs[0]!.source).toBe(EVIL);
  expect(jsonForScript({ a: '</script>\u2028&' })).toBe('{"a":"\\u003c/script\\u003e\\u2028\\u0026"}');
  expect(JSON.parse(jsonForScript({ a: '</script>\u2028\u2029&' }))).toEqual({ a: '</script>\u2028\u2029&' });
  expect(esc(`a&<>"'`)).toBe('a&amp;&lt;&gt;&quot;&#39;');
});

test('self-contained: no external URL, no fetchable resource, CSP blocks the network', () => {
  const h = expanded(page());
  expect(h).toContain("default-src 'none'");
  const urls = h.match(/(?:src|href)\s*=\s*"(?!#)[^"]*"/g) ?? [];
  expect(urls).toEqual([]);
  // the SVG namespace is a name, not a resource (also inside the JSON-escaped lazy markup)
  expect(h.replace(/xmlns=\\*"http:\/\/www\.w3\.org\/2000\/svg\\*"/g, '')).not.toMatch(/https?:\/\//);
});

test('gzip packing: the chunks decode to the same markup as plain packing', () => {
  const m = model();
  expect(expanded(renderHtml(m, { compress: gzipBase64 }))).toContain('class="chart timeline zoomed"');
  const gz = lazyParts(renderHtml(m, { compress: gzipBase64 }));
  expect(gz).toEqual(lazyParts(renderHtml(m)));
  expect(gz).toHaveLength(3);
});

test('sections: scenario summary, attempts, drill-down with zoomable timeline, decomposition, trends', () => {
  const h = page();
  expect(h).toContain('<table class="scenarios">');
  expect(h.match(/<tr id="attempt-\d+"/g)).toHaveLength(2);
  // the page itself carries no timeline: drill-downs are drawn on demand
  expect(h).not.toContain('<svg class="chart timeline');
  const x = expanded(h);
  expect(x.match(/<svg class="chart timeline"/g)).toHaveLength(2);
  expect(x.match(/<svg class="chart timeline zoomed"/g)).toHaveLength(2);
  for (const lane of ['hypervisor', 'control plane', 'data plane', 'reply rate (pps)'])
    expect(x).toContain(`>${lane}</text>`);
  expect(x).toContain('>SUSPENDED</text>');
  expect(x.match(/<svg class="chart decomposition"/g)).toHaveLength(2);
  expect(x).toContain('class="chart trend"');
  expect(h).toMatch(/first run after the shift: <strong>night-7<\/strong>/);
  expect(x).toContain('unstable: attempt 1 of 2');
  expect(h).toContain('SSH host keys NOT verified for: torA');
  expect(x).toContain('(spec reported fail; measurement errored)');
  expect(x).toContain('what each measures and when to trust it');
  expect(x).toContain('<strong>loss-derived</strong>: lost packets / offered rate');
});

test('an empty run list still renders a valid page', () => {
  const h = renderHtml(buildReportModel([], { generatedWall: '2026-11-25T07:00:00.000Z' }));
  expect(h).toContain('No migration runs were recorded.');
  expect(h).toContain('No history yet');
});

test('memory integrity: a corrupt guest is shown with its detail, escaped; ok runs say so', () => {
  const corrupt = {
    ...sampleRecord({ runId: 'c' }),
    verdict: 'fail' as const,
    memoryIntegrity: { status: 'corrupt' as const, firstBadPage: 77, detail: 'page 77 <found> 0x2',
      method: 'guest memcheck: 16 MiB' },
  };
  const ok = {
    ...sampleRecord({ runId: 'o' }),
    memoryIntegrity: { status: 'ok' as const, detail: '2 full pass(es) after the move', method: 'guest memcheck: 16 MiB' },
  };
  const h = expanded(renderHtml(buildReportModel([corrupt, ok], { generatedWall: '2026-11-25T07:00:00.000Z' })));
  expect(h).toContain('guest memory corrupt: page 77 &lt;found&gt; 0x2');
  expect(h).toContain('guest memory ok: 2 full pass(es) after the move');
  expect(h).not.toContain('<found>');
});

test('repetitions: each figure shows min–max and the median\'s interval; statistic thresholds get their own table', () => {
  const v4 = { topology: 'cross-subnet', strategy: 'host-route-bgp', addressFamily: 'ipv4' } as const;
  const runs = [150, 160, 170, 180, 900].map((d, i) => sampleRecord({ runId: `r${i}`, params: v4, downtimeMs: d }));
  const manifest = { ...sampleManifest(), thresholds: [{ id: 'p95-outage', metric: 'loss_derived_ms', statistic: 'p95' as const,
    op: '<=' as const, bound: 300, source: 'testbed defaults.thresholds.statistics[0]' }] };
  const m = buildReportModel(runs, { generatedWall: '2026-12-07T00:00:00Z', manifest });
  const fig = m.scenarios[0]?.figures.find((f) => f.metric === 'loss_derived_ms');
  expect(fig).toMatchObject({ n: 5, min: 170, max: 920, median: 190 });
  expect(fig?.medianCi95?.low).toBeLessThanOrEqual(190);
  expect(m.statistics).toHaveLength(1);
  expect(m.statistics[0]).toMatchObject({ scenario: 'cross-subnet/host-route-bgp/ipv4', n: 5, value: 920 });
  const page = renderHtml(m);
  expect(page).toContain('<span class="rng">170–920 · CI ');
  expect(page).toContain('<section id="statistics"><h2>thresholds on statistics</h2>');
  expect(page).toContain('p95(loss_derived_ms) ≤ 300 ms');
  // without statistic thresholds there is no such section
  expect(renderHtml(buildReportModel(runs, { generatedWall: '2026-12-07T00:00:00Z', manifest: sampleManifest() })))
    .not.toContain('id="statistics"');
});
