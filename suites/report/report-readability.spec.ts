import { expect, test } from '@playwright/test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { buildReportModel, parseRunRecord, writeReport, type Metric, type RunRecord } from '../../src/index.js';
import { nightlySuite } from '../../test/fixtures/report/nightly.js';
import { sampleRecord } from '../../test/fixtures/report/sample-records.js';

/**
 * The report read by people, in Chromium: on synthetic nightly data (with a crafted pair of disagreeing
 * methods) and on the records of a real lab run (test/fixtures/report/lab-run.json.gz: five `vmmi migrate`
 * runs on the emulated lab, IPv4 and IPv6, host-route-static and -bgp, 2026-12-07): timeline labels never
 * overlap, the scenario summary fits at 1280 px and reads at 400 px, printed figures respect their
 * resolution, the disagreement warning appears where methods disagree and nowhere else, the page prints
 * to a PDF, with no console errors and no requests.
 */

test.describe.configure({ mode: 'serial' });

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Records of a real lab run (`vmmi migrate --history`, exported as JSON); VMMI_LAB_RUN names another. */
const LAB_RUN = process.env.VMMI_LAB_RUN
  ?? join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'report', 'lab-run.json.gz');

let browser: Browser | undefined;
let dir: string | undefined;
const reports = new Map<string, { file: string; runs: readonly RunRecord[] }>();

/** A record whose rate- and loss-derived outages disagree (the 12390 ms beside 1488 ms of one attempt). */
function crafted(): RunRecord {
  const base = sampleRecord({ runId: 'crafted-disagree', startedWall: '2026-12-01T05:59:00.000Z' });
  const flow = 'peer-a → vm (ipv4)';
  const m = (name: Metric['name'], value: number, res: number): Metric =>
    ({ name, value, unit: 'ms', method: name, resolutionMs: res, clock: 'controller-monotonic', flow });
  return { ...base, metrics: [...base.metrics.filter((x) => x.name !== 'rate_derived_ms' && x.name !== 'loss_derived_ms'),
    m('rate_derived_ms', 12390, 10), m('loss_derived_ms', 1487.973, 0.9999405150828656)] };
}

async function labRecords(): Promise<RunRecord[]> {
  const bytes = await readFile(LAB_RUN);
  const raw = JSON.parse((LAB_RUN.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')) as unknown[];
  return raw.map((r) => parseRunRecord(r));
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  dir = await mkdtemp(join(tmpdir(), 'vmmi-report-read-'));
  const { runs, history } = nightlySuite(48, 30);
  const sets: [string, RunRecord[], RunRecord[]][] = [
    ['synthetic', [crafted(), ...runs], history],
    ['lab run', await labRecords(), []],
  ];
  for (const [name, recs, hist] of sets) {
    const model = buildReportModel(recs, { generatedWall: '2026-12-01T06:00:00Z', history: hist, title: `report · ${name}` });
    const paths = await writeReport(model, { outDir: join(dir, name.replace(/ /g, '-')), now: new Date('2026-12-01T06:00:00Z') });
    reports.set(name, { file: paths.html, runs: model.runs });
  }
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
test.afterAll(async () => {
  await browser?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

interface Watch { readonly problems: string[]; readonly requests: string[] }

async function open(name: string, width: number): Promise<{ page: Page; watch: Watch; runs: readonly RunRecord[] }> {
  const r = reports.get(name);
  if (r === undefined) throw new Error(`no report ${name}`);
  const page = await (browser as Browser).newPage({ viewport: { width, height: 900 } });
  const watch: Watch = { problems: [], requests: [] };
  const url = pathToFileURL(r.file).href;
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') watch.problems.push(m.text()); });
  page.on('pageerror', (e) => watch.problems.push(e.message));
  page.on('request', (q) => { if (q.url() !== url) watch.requests.push(q.url()); });
  await page.goto(url, { waitUntil: 'load' });
  return { page, watch, runs: r.runs };
}

/** Pairs of intersecting label boxes inside each timeline SVG currently shown. */
async function overlaps(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const out = [];
    for (const svg of document.querySelectorAll('svg.chart.timeline')) {
      if (svg.getBoundingClientRect().width === 0) continue;
      const boxes = [...svg.querySelectorAll('text.evlabel, text.legend')].map((t) => [t.textContent, t.getBoundingClientRect()]);
      for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const [ta, a] = boxes[i]; const [tb, b] = boxes[j];
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push(ta + ' × ' + tb);
      }
    }
    return out;
  })()`);
}

for (const name of ['synthetic', 'lab run']) {
  test(`${name}: no two timeline labels intersect, in the outage window and over the whole run`, async () => {
    const { page, watch, runs } = await open(name, 1280);
    let labels = 0;
    for (let i = 0; i < Math.min(runs.length, 24); i++) {
      await page.evaluate(`window.vmmiOpen(${i})`);
      const drill = page.locator('tr.drill').last();
      expect(await overlaps(page)).toEqual([]);
      labels += await drill.locator('svg.timeline text.evlabel').count();
      const all = drill.locator('button.zoom[data-view="all"]');
      if (await all.count() > 0) {
        await all.click();
        expect(await overlaps(page)).toEqual([]);
      }
      await page.locator(`#attempt-${i + 1} button.open`).click(); // close again
    }
    expect(labels).toBeGreaterThan(10);
    expect(watch.problems).toEqual([]);
    expect(watch.requests).toEqual([]);
    await page.close();
  });

  test(`${name}: the summary fits at 1280 px and reads at 400 px`, async () => {
    for (const width of [1280, 400]) {
      const { page, watch } = await open(name, width);
      const table = page.locator('table.scenarios');
      await expect(table).toBeVisible();
      const fit = await page.evaluate(`(() => {
        const t = document.querySelector('table.scenarios');
        const box = document.querySelector('#summary');
        return { table: t.getBoundingClientRect().right, box: box.getBoundingClientRect().right,
          page: document.documentElement.scrollWidth, scroll: t.parentElement.scrollWidth - t.parentElement.clientWidth };
      })()`) as { table: number; box: number; page: number; scroll: number };
      expect(fit.table).toBeLessThanOrEqual(fit.box);
      expect(fit.scroll).toBeLessThanOrEqual(0);
      expect(fit.page).toBeLessThanOrEqual(width);
      // every figure cell is at least as wide as its text (nothing squeezed to a few characters)
      const squeezed = await page.evaluate(`[...document.querySelectorAll('table.scenarios td.fig .med')]
        .filter((e) => e.scrollWidth > e.parentElement.clientWidth + 1).length`);
      expect(squeezed).toBe(0);
      expect(watch.problems).toEqual([]);
      await page.close();
    }
  });

  test(`${name}: printed figures respect their resolution`, async () => {
    const { page } = await open(name, 1280);
    for (let i = 0; i < Math.min(4, (reports.get(name)?.runs.length ?? 0)); i++) await page.evaluate(`window.vmmiOpen(${i})`);
    const text = await page.locator('main').innerText();
    const figures = [...text.matchAll(/(-?\d+(?:\.(\d+))?) ms ± (\d+(?:\.(\d+))?) ms/g)];
    expect(figures.length).toBeGreaterThan(10);
    for (const f of figures) {
      const decimals = (f[2] ?? '').length;
      const res = Number(f[3]);
      expect(String(res), f[0]).toMatch(/^[1-9]0*$|^0\.0*[1-9]$/); // one significant digit
      if (res >= 1) {
        expect(decimals, f[0]).toBe(0);
        expect(Number(f[1]) % res, f[0]).toBe(0);
      } else {
        expect(decimals, f[0]).toBe((f[4] ?? '').length);
      }
    }
    expect(text).not.toMatch(/\d\.\d{4,}/); // no float noise anywhere
    await page.close();
  });

  test(`${name}: the page prints to a PDF`, async () => {
    const { page } = await open(name, 1280);
    await page.evaluate('window.vmmiOpen(0)');
    await page.emulateMedia({ media: 'print' });
    await expect(page.locator('button.open').first()).toBeHidden();
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages).toBeGreaterThanOrEqual(2);
    await test.info().attach(`${name}.pdf`, { body: pdf, contentType: 'application/pdf' });
    await page.close();
  });
}

test('the disagreement warning appears on the crafted pair and says by how much, and only there', async () => {
  const { page } = await open('synthetic', 1280);
  const row = page.locator('table.attempts tr.att', { hasText: 'cross-subnet' }).first();
  await expect(row).toBeVisible();
  const idx = (reports.get('synthetic')?.runs ?? []).findIndex((r) => r.runId === 'crafted-disagree');
  expect(idx).toBeGreaterThanOrEqual(0);
  await page.evaluate(`window.vmmiOpen(${idx})`);
  const warn = page.locator(`#attempt-${idx + 1} + tr.drill .disagree`);
  await expect(warn).toBeVisible();
  await expect(warn).toContainText('rate_derived_ms 12390 ms ± 10 ms and loss_derived_ms 1488 ms ± 1 ms differ by 10900 ms');
  const agreeing = (reports.get('synthetic')?.runs ?? []).findIndex((r) => r.runId !== 'crafted-disagree'
    && r.params.topology === 'same-subnet');
  await page.evaluate(`window.vmmiOpen(${agreeing})`);
  await expect(page.locator(`#attempt-${agreeing + 1} + tr.drill .drillbody`)).toBeVisible();
  await expect(page.locator(`#attempt-${agreeing + 1} + tr.drill .disagree`)).toHaveCount(0);
  await page.close();
});
