import { expect, test } from '@playwright/test';
import { writeFile } from 'node:fs/promises';
import { testbedNestingCount } from './corpus-testbed.js';
import { formatReport, superviseCorpus } from './supervise.js';

test('testbed loader: 10,000 mutated testbeds are refused as { ok: false, issues } or accepted', async () => {
  test.setTimeout(900_000);
  const r = await superviseCorpus('testbed', 10_000, { hangMs: 10_000 });
  console.log(formatReport(r));
  await writeFile(test.info().outputPath('corpus-report.json'), JSON.stringify(r, null, 2));
  expect(r.accepted).toBeGreaterThan(0);
  expect(r.violations.map((v) => `#${v.index} ${v.kind} [${v.label}] ${v.detail.split('\n')[0] ?? ''}`)).toEqual([]);
});

test('testbed loader: deep nesting (flow 10k, block 2k levels), alias bombs and huge maps are refused quickly', async () => {
  test.setTimeout(600_000);
  const r = await superviseCorpus('testbed-nesting', testbedNestingCount(), { hangMs: 10_000, maxChildren: 60 });
  console.log(formatReport(r));
  await writeFile(test.info().outputPath('corpus-report.json'), JSON.stringify(r, null, 2));
  expect(r.violations.map((v) => `#${v.index} ${v.kind} [${v.label}] ${v.detail.split('\n')[0] ?? ''}`)).toEqual([]);
});
