import { expect, test } from '@playwright/test';
import { writeFile } from 'node:fs/promises';
import { formatReport, superviseCorpus } from './supervise.js';

test('NETCONF framer (EOM, chunked) and hello/rpc-reply/rpc-error/notification parsers: 10,000 bad inputs', async () => {
  test.setTimeout(300_000);
  const r = await superviseCorpus('netconf', 10_000, { hangMs: 3000 });
  console.log(formatReport(r));
  await writeFile(test.info().outputPath('corpus-report.json'), JSON.stringify(r, null, 2));
  expect(r.rejected).toBeGreaterThan(0);
  expect(r.accepted).toBeGreaterThan(0);
  expect(r.violations.map((v) => `#${v.index} ${v.kind} [${v.label}] ${v.detail.split('\n')[0] ?? ''}`)).toEqual([]);
});
