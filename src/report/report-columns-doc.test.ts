import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { METRIC_NAMES } from './record.js';
import { EPISODE_COLUMNS, RUN_COLUMNS, TIMELINE_COLUMNS } from './render-csv.js';

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
  expect(doc).toContain(`| 9–${8 + METRIC_NAMES.length * 3} |`);
  expect(doc).toContain(`| ${RUN_COLUMNS.indexOf('error') + 1} | \`error\` |`);
  expect(doc).toContain(`| ${RUN_COLUMNS.length} | \`memory_integrity_detail\` |`);
});

test('episodes.csv and timeline.csv columns in the doc match the code', () => {
  expect(tableNames('## episodes.csv')).toEqual([...EPISODE_COLUMNS]);
  expect(tableNames('## timeline.csv')).toEqual([...TIMELINE_COLUMNS]);
});
