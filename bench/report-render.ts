// Render cost of the report for suites of growing size: ReportModel build, CSV, HTML (ms) and HTML size.
// Run: npx tsx bench/report-render.ts. No reference figure exists; the budget is "well under a second
// for a nightly suite" (tens of attempts), printed side by side as the ratio to 1000 ms.
import { buildReportModel } from '../src/report/model.js';
import { renderEpisodesCsv, renderRunsCsv, renderTimelineCsv } from '../src/report/render-csv.js';
import { renderHtml } from '../src/report/render-html.js';
import { sampleRecord } from '../test/fixtures/report/sample-records.js';

const day = 86_400_000;
const t0 = Date.parse('2026-01-01T06:00:00Z');
for (const n of [10, 50, 200]) {
  const runs = Array.from({ length: n }, (_, i) => sampleRecord({
    runId: `r${i}`, startedWall: new Date(t0 + i * 60_000).toISOString(), downtimeMs: 150 + (i % 7) * 10,
  }));
  const history = Array.from({ length: 180 }, (_, i) => sampleRecord({
    runId: `h${i}`, startedWall: new Date(t0 - (180 - i) * day).toISOString(), downtimeMs: i < 90 ? 180 : 320,
  }));
  const a = performance.now();
  const model = buildReportModel(runs, { generatedWall: new Date(t0).toISOString(), history });
  const b = performance.now();
  const csv =
    renderRunsCsv(model.runs).length + renderEpisodesCsv(model.runs).length + renderTimelineCsv(model.runs).length;
  const c = performance.now();
  const html = renderHtml(model);
  const d = performance.now();
  const total = d - a;
  console.log(
    `${String(n).padStart(4)} attempts + 180 nights history: model ${(b - a).toFixed(1)} ms, CSV ${(c - b).toFixed(1)} ms ` +
      `(${(csv / 1024).toFixed(0)} KiB), HTML ${(d - c).toFixed(1)} ms (${(html.length / 1024).toFixed(0)} KiB); ` +
      `total ${total.toFixed(0)} ms vs 1000 ms budget = ${(total / 1000).toFixed(2)}×`,
  );
}
