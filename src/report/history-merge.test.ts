import { expect, test } from '@playwright/test';
import { sampleManifest, sampleRecord } from '../../test/fixtures/report/sample-records.js';
import { mergeHistories } from './history-merge.js';

test('merge: (run id, attempt) counted once, the later source winning in the first position; suites newest first', () => {
  const a1 = sampleRecord({ runId: 'a', startedWall: '2026-11-01T06:00:00.000Z' });
  const same = sampleRecord({ runId: 's', startedWall: '2026-11-01T06:00:00.000Z', verdict: 'fail' });
  const sameLater = { ...same, verdict: 'pass' as const };
  const b1 = sampleRecord({ runId: 'b', startedWall: '2026-10-31T06:00:00.000Z' });
  const m = mergeHistories([
    { source: 'A', rows: { records: [a1, same], skipped: [{ id: 7, error: 'bad' }] },
      suites: [{ suiteId: 'sa', manifest: sampleManifest({ startedWall: '2026-11-01T05:00:00.000Z' }) }] },
    { source: 'B', rows: { records: [b1, sameLater], skipped: [] },
      suites: [{ suiteId: 'sb', manifest: sampleManifest({ startedWall: '2026-11-02T05:00:00.000Z' }) }] },
  ]);
  expect(m.records.map((r) => `${r.runId}:${r.verdict}`)).toEqual(['b:pass', 'a:pass', 's:pass']);
  expect(m.duplicates).toBe(1);
  expect(m.skipped).toEqual([{ source: 'A', id: 7, error: 'bad' }]);
  expect(m.suites.map((s) => s.suiteId)).toEqual(['sb', 'sa']);
  expect(mergeHistories([])).toEqual({ records: [], skipped: [], suites: [], duplicates: 0, suiteOf: new Map() });
});
