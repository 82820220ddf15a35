import { expect, test } from '@playwright/test';
import { chromium, type Browser } from 'playwright-core';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EVIL, cleanup, runGeneratedProject, type GeneratedRun } from './generated-project.js';

/**
 * Opens the report written by vmmi's reporter (on a generated project) in headless Debian Chromium with
 * a closed network: no console errors, no requests beyond the file itself, charts drawn, a hostile device
 * name shown as text. A full-page screenshot is saved as a test artifact.
 */

test.describe.configure({ mode: 'serial' });

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let gen: GeneratedRun | undefined;
let browser: Browser | undefined;

test.beforeAll(async () => {
  test.setTimeout(150_000);
  gen = await runGeneratedProject();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
test.afterAll(async () => {
  await browser?.close();
  await cleanup(gen?.dir);
});

test('the report renders offline: no console errors, no requests, charts drawn, names as text', async () => {
  const testInfo = test.info();
  const g = gen as GeneratedRun;
  const page = await (browser as Browser).newPage({ viewport: { width: 1440, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  let dialogs = 0;
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => { dialogs++; void d.dismiss(); });
  const url = pathToFileURL(join(g.reportDir, 'index.html')).href;
  page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
  try {
    await page.goto(url, { waitUntil: 'load' });

    await expect(page.locator('h1')).toHaveText('generated project report');
    // 4 scenario × strategy × family rows, 5 attempts (one scenario retried)
    await expect(page.locator('table.scenarios tbody tr')).toHaveCount(4);
    await expect(page.locator('table.attempts tbody tr.att')).toHaveCount(5);
    expect(await page.locator('table.scenarios svg.spark').count()).toBeGreaterThan(0);

    // drill-downs are drawn on demand: none before opening, one timeline pair per opened attempt
    await expect(page.locator('svg.chart.timeline')).toHaveCount(0);
    for (let i = 0; i < 5; i++) await page.locator(`#attempt-${i + 1} button.open`).click();
    await expect(page.locator('tr.drill[data-ready="1"]')).toHaveCount(5);
    const timelines = page.locator('svg.chart.timeline.zoomed');
    await expect(timelines).toHaveCount(5);
    for (const svg of await timelines.all()) {
      const box = await svg.boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(600);
      expect(box?.height ?? 0).toBeGreaterThan(150);
      expect(await svg.locator('g.ev').count()).toBeGreaterThanOrEqual(5);
      expect(await svg.locator('path.line').count()).toBe(2);
      expect(await svg.locator('rect.episode').count()).toBe(2);
    }
    // the whole-run view replaces the outage window on demand
    const first = page.locator('tr.drill').first();
    await first.locator('button.zoom[data-view="all"]').click();
    await expect(first.locator('.view-all svg.chart.timeline')).toBeVisible();
    await expect(first.locator('.view-outage')).toBeHidden();
    expect(await first.locator('.view-all svg g.ev').count()).toBeGreaterThanOrEqual(8);
    await expect(page.locator('svg.chart.decomposition')).toHaveCount(5);
    await page.locator('button.trends-open').click();
    await expect(page.locator('svg.chart.trend').first()).toBeVisible();
    expect(await page.locator('svg.chart.trend g.cp').count()).toBeGreaterThan(0);
    const lineLen = await page.locator('svg.chart.trend polyline').first()
      .evaluate((el) => (el as unknown as { getTotalLength(): number }).getTotalLength());
    expect(lineLen).toBeGreaterThan(50);

    // the hostile device name is text, in the drill-down and the manifest
    expect(await page.getByText(EVIL, { exact: false }).count()).toBeGreaterThanOrEqual(2);
    await expect(page.locator('tr.drill').getByText(`${EVIL} → hv2`, { exact: false })).toBeVisible();
    // the one executable script is the page's own (allowed by hash); the others are inert data
    expect(await page.locator('script:not([type])').count()).toBe(1);
    expect(await page.locator('script[type="application/json"]').count()).toBe(2);
    const data = await page
      .locator('#vmmi-data')
      .evaluate((el) => JSON.parse(el.textContent ?? 'null') as { runs: { source: string }[] });
    expect(data.runs.map((r) => r.source)).toContain(EVIL);

    const shot = testInfo.outputPath('report.png');
    await page.screenshot({ path: shot, fullPage: true });
    await testInfo.attach('report screenshot', { path: shot, contentType: 'image/png' });
    const top = testInfo.outputPath('report-top.png');
    await page.screenshot({ path: top });
    await testInfo.attach('report first screen', { path: top, contentType: 'image/png' });
  } finally {
    await page.close();
  }
  expect(problems).toEqual([]);
  expect(requests).toEqual([]);
  expect(dialogs).toBe(0);
});
