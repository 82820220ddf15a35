// Report at nightly scale, timed in Chromium: N attempts (default 1000) of nightly-shaped records
// (test/fixtures/report/nightly.ts: 2 flows at 1 kpps, 15 s of reply rate in 10 ms bins, 27 events) with 180
// nights of history, rendered by this tree and, with `--old DIR`, by the report renderer of another checkout
// of vmmi (e.g. `git worktree add /tmp/vmmi-old <commit>`) from the same records in the same run.
// Run: npx tsx bench/report-render.ts 1000 --old /tmp/vmmi-old
// Prints `report-render: N attempts, X MiB, first render Y s, drill-down Z ms` against the targets
// (≤ 10 MiB, ≤ 1.5 s, ≤ 200 ms) and the ratios to the old renderer.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { buildReportModel } from '../src/report/model.js';
import type { RunRecord } from '../src/report/record.js';
import { renderHtml } from '../src/report/render-html.js';
import { gzipBase64 } from '../src/report/write.js';
import { nightlySuite } from '../test/fixtures/report/nightly.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TARGET = { mib: 10, firstRenderS: 1.5, drillMs: 200 };

interface Timed { readonly mib: number; readonly renderMs: number; readonly firstRenderS: number | undefined;
  readonly drillMs: number | undefined; readonly note?: string }

type Render = (runs: readonly RunRecord[], history: readonly RunRecord[]) => string;

/** Opens the file and waits for the load event and the next two frames (the first paint). */
async function firstRender(browser: Browser, file: string, timeoutMs: number): Promise<number> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    const t0 = performance.now();
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: timeoutMs });
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())))');
    return (performance.now() - t0) / 1000;
  } finally {
    await page.close();
  }
}

/** Median time to open and draw one attempt's drill-down (each from a different, not yet decoded chunk). */
async function drillDown(browser: Browser, file: string, n: number): Promise<number> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const times: number[] = [];
    for (const i of [Math.floor(n / 2), 3, n - 1, Math.floor(n / 3), Math.floor((2 * n) / 3)]) {
      times.push(await page.evaluate<number>(`window.vmmiOpen(${i})`));
    }
    return times.sort((a, b) => a - b)[2] as number;
  } finally {
    await page.close();
  }
}

async function measure(browser: Browser, dir: string, name: string, render: Render,
  suite: ReturnType<typeof nightlySuite>, lazy: boolean): Promise<Timed> {
  const t0 = performance.now();
  const html = render(suite.runs, suite.history);
  const renderMs = performance.now() - t0;
  const file = join(dir, `${name}.html`);
  await writeFile(file, html);
  const mib = Buffer.byteLength(html) / 1048576;
  try {
    const first = await firstRender(browser, file, 600_000);
    const drillMs = lazy ? await drillDown(browser, file, suite.runs.length) : undefined;
    return { mib, renderMs, firstRenderS: first, drillMs };
  } catch (e) {
    const note = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return { mib, renderMs, firstRenderS: undefined, drillMs: undefined, ...(note === undefined ? {} : { note }) };
  }
}

async function oldRenderer(dir: string): Promise<Render> {
  const model = (await import(pathToFileURL(join(dir, 'src/report/model.ts')).href)) as {
    buildReportModel(runs: readonly RunRecord[], o: { generatedWall: string; history: readonly RunRecord[] }): unknown;
  };
  const page = (await import(pathToFileURL(join(dir, 'src/report/render-html.ts')).href)) as { renderHtml(m: unknown): string };
  const generatedWall = '2026-12-01T06:00:00Z';
  return (runs, history) => page.renderHtml(model.buildReportModel(runs, { generatedWall, history }));
}

const fmt = (t: Timed): string => `${t.mib.toFixed(1)} MiB, first render ${t.firstRenderS === undefined ? `failed (${t.note ?? ''})`
  : `${t.firstRenderS.toFixed(2)} s`}, drill-down ${t.drillMs === undefined ? 'n/a' : `${t.drillMs.toFixed(0)} ms`} (Node render ${(t.renderMs / 1000).toFixed(1)} s)`;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1000);
  const oldAt = process.argv.indexOf('--old');
  const oldDir = oldAt > 0 ? resolve(process.argv[oldAt + 1] ?? '') : undefined;
  const suite = nightlySuite(n, 180);
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-report-bench-'));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const now = await measure(browser, dir, 'new', (runs, history) => renderHtml(
      buildReportModel(runs, { generatedWall: '2026-12-01T06:00:00Z', history }), { compress: gzipBase64 }), suite, true);
    console.log(`report-render: ${n} attempts, ${now.mib.toFixed(1)} MiB, first render ${now.firstRenderS?.toFixed(2) ?? 'failed'} s, `
      + `drill-down ${now.drillMs?.toFixed(0) ?? 'n/a'} ms`);
    console.log(`  targets: ≤ ${TARGET.mib} MiB ${now.mib <= TARGET.mib ? 'met' : 'MISSED'}, first render ≤ ${TARGET.firstRenderS} s `
      + `${(now.firstRenderS ?? Infinity) <= TARGET.firstRenderS ? 'met' : 'MISSED'}, drill-down ≤ ${TARGET.drillMs} ms `
      + `${(now.drillMs ?? Infinity) <= TARGET.drillMs ? 'met' : 'MISSED'}`);
    console.log(`  this renderer: ${fmt(now)}`);
    if (oldDir !== undefined) {
      const old = await measure(browser, dir, 'old', await oldRenderer(oldDir), suite, false);
      console.log(`  old renderer (${oldDir}): ${fmt(old)}`);
      const ratio = old.firstRenderS === undefined || now.firstRenderS === undefined ? 'n/a'
        : `${(old.firstRenderS / now.firstRenderS).toFixed(1)}×`;
      console.log(`  ratio old/new: size ${(old.mib / now.mib).toFixed(1)}×, first render ${ratio}`);
    }
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
