import { expect, test } from '@playwright/test';
import { sampleManifest, sampleRecord } from '../../test/fixtures/report/sample-records.js';
import { esc, jsonForScript } from './html-escape.js';
import { buildReportModel } from './model.js';
import { renderHtml } from './render-html.js';

const EVIL = '<script>alert(1)</script>';

function page(): string {
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
  return renderHtml(buildReportModel(runs, { generatedWall: '2026-11-25T07:00:00.000Z', manifest, history }));
}

test('escapes every device- and spec-supplied string', () => {
  const h = page();
  expect(h).not.toContain('<script>alert');
  expect(h).not.toContain('<img src=x');
  expect(h).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  expect(h).toContain('vm&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
  // exactly one script element: the inert JSON data island
  expect(h.match(/<script/g)).toHaveLength(1);
  expect(h.match(/<\/script>/g)).toHaveLength(1);
});

test('the JSON data island parses back to the model, with <, >, &, U+2028/2029 escaped', () => {
  const h = page();
  const m = /<script type="application\/json" id="vmmi-data">([\s\S]*?)<\/script>/.exec(h);
  expect(m).not.toBeNull();
  const text = m![1]!;
  expect(text).not.toMatch(/[<>&\u2028\u2029]/);
  const data = JSON.parse(text) as { runs: { source: string }[] };
  expect(data.runs[0]!.source).toBe(EVIL);
  expect(jsonForScript({ a: '</script>\u2028&' })).toBe('{"a":"\\u003c/script\\u003e\\u2028\\u0026"}');
  expect(JSON.parse(jsonForScript({ a: '</script>\u2028\u2029&' }))).toEqual({ a: '</script>\u2028\u2029&' });
  expect(esc(`a&<>"'`)).toBe('a&amp;&lt;&gt;&quot;&#39;');
});

test('self-contained: no external URL, no fetchable resource, CSP blocks the network', () => {
  const h = page();
  expect(h).toContain("default-src 'none'");
  const urls = h.match(/(?:src|href)\s*=\s*"(?!#)[^"]*"/g) ?? [];
  expect(urls).toEqual([]);
  expect(h.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
});

test('sections: summary, timeline lanes with rate plot, decomposition, trends with a flagged change point', () => {
  const h = page();
  expect(h).toContain('<table class="summary">');
  expect(h.match(/<svg class="chart timeline"/g)).toHaveLength(2);
  for (const lane of ['hypervisor', 'control plane', 'data plane', 'reply rate (pps)'])
    expect(h).toContain(`>${lane}</text>`);
  expect(h).toContain('>SUSPENDED</text>');
  expect(h.match(/<svg class="chart decomposition"/g)).toHaveLength(2);
  expect(h).toContain('class="chart trend"');
  expect(h).toMatch(/first run after the shift: night-7 /);
  expect(h).toContain('unstable: attempt 1 of 2');
  expect(h).toContain('SSH host keys NOT verified for: torA');
  // errored health overrides the spec's fail
  expect(h).toContain('(spec reported fail; measurement errored)');
});

test('an empty run list still renders a valid page', () => {
  const h = renderHtml(buildReportModel([], { generatedWall: '2026-11-25T07:00:00.000Z' }));
  expect(h).toContain('No migration runs were recorded.');
  expect(h).toContain('No history yet');
});

test('memory integrity: a corrupt guest is shown with its first bad page, escaped; ok runs say so', () => {
  const corrupt = {
    ...sampleRecord({ runId: 'c' }),
    verdict: 'fail' as const,
    memoryIntegrity: {
      status: 'corrupt' as const,
      firstBadPage: 77,
      detail: 'page 77 <found> 0x2',
      method: 'guest memcheck: 16 MiB',
    },
  };
  const ok = {
    ...sampleRecord({ runId: 'o' }),
    memoryIntegrity: {
      status: 'ok' as const,
      detail: '2 full pass(es) after the move',
      method: 'guest memcheck: 16 MiB',
    },
  };
  const h = renderHtml(buildReportModel([corrupt, ok], { generatedWall: '2026-11-25T07:00:00.000Z' }));
  expect(h).toContain('<strong>guest memory corrupt</strong>: page 77 &lt;found&gt; 0x2');
  expect(h).toContain('guest memory intact: 2 full pass(es) after the move');
  expect(h).not.toContain('<found>');
});
