import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { REPORT_METRICS } from '../measure/metric-catalogue.js';
import { METRIC_NAMES } from './record.js';
import {
  EPISODE_COLUMNS, RUN_COLUMNS, SAMPLE_COLUMNS, STATISTICS_COLUMNS, TIMELINE_COLUMNS, VERDICT_COLUMNS,
} from './render-csv.js';

/** docs/report-columns.md is the published contract: it must list exactly the columns the code writes. */

const doc = readFileSync(new URL('../../docs/report-columns.md', import.meta.url), 'utf8');

/** First-column backticked names of the table that follows `heading`. */
function tableNames(heading: string, cell = 0): string[] {
  const at = doc.indexOf(heading);
  expect(at, heading).toBeGreaterThanOrEqual(0);
  const lines = doc.slice(at).split('\n').slice(1);
  const start = lines.findIndex((l) => l.startsWith('|'));
  const out: string[] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    const c = l.split('|').map((x) => x.trim())[cell + 1] ?? '';
    const m = /^`([^`]+)`/.exec(c);
    if (m !== null) out.push(m[1] as string);
  }
  return out;
}

test('runs.csv columns in the doc match the code, metrics in their fixed order', () => {
  expect(tableNames('Metrics, in column order')).toEqual([...METRIC_NAMES]);
  const documented = tableNames('## runs.csv', 1).flatMap((n) =>
    n === '<metric>' ? METRIC_NAMES.flatMap((m) => [m, `${m}_method`, `${m}_resolution_ms`]) : [n]);
  expect(documented).toEqual([...RUN_COLUMNS]);
  // Columns after the metric block are numbered from its end M, so appending a metric leaves them be.
  const m = 8 + METRIC_NAMES.length * 3;
  expect(RUN_COLUMNS[m - 1]).toBe(`${METRIC_NAMES.at(-1)}_resolution_ms`);
  expect(doc).toContain('| 9–M | `<metric>`');
  expect(doc).toContain('(M = 8 + 3 × the number of metrics)');
  expect(doc).toContain(`| M+${RUN_COLUMNS.indexOf('verdict') + 1 - m} | \`verdict\` |`);
  expect(doc).toContain(`| M+${RUN_COLUMNS.indexOf('error') + 1 - m} | \`error\` |`);
  expect(doc).toContain(`| M+${RUN_COLUMNS.indexOf('thresholds') + 1 - m} | \`thresholds\` |`);
  expect(doc).toContain(`| M+${RUN_COLUMNS.length - m} | \`${RUN_COLUMNS.at(-1)}\` |`);
});

test('each metric row of the doc gives the unit and meaning the metric catalogue declares', () => {
  const at = doc.indexOf('| metric | unit | meaning |');
  const lines = doc.slice(at).split('\n').slice(2);
  const rows = lines.slice(0, lines.findIndex((l) => !l.startsWith('|')));
  const cells = rows.map((l) => l.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, '')));
  expect(cells).toEqual(REPORT_METRICS.map((r) => [`\`${r.name}\``, r.unit, r.description]));
});

test('episodes.csv and timeline.csv columns in the doc match the code', () => {
  expect(tableNames('## episodes.csv')).toEqual([...EPISODE_COLUMNS]);
  expect(tableNames('## timeline.csv')).toEqual([...TIMELINE_COLUMNS]);
  expect(tableNames('## verdicts.csv')).toEqual([...VERDICT_COLUMNS]);
  expect(tableNames('## statistics.csv')).toEqual([...STATISTICS_COLUMNS]);
  expect(tableNames('## samples.csv')).toEqual([...SAMPLE_COLUMNS]);
});
