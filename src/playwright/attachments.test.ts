import { expect, test } from '@playwright/test';
import { sampleRecord } from '../../test/fixtures/report/sample-records.js';
import {
  MANIFEST_CONTENT_TYPE,
  MEASUREMENT_CONTENT_TYPE,
  decodeAttachment,
  recordManifestFacts,
  recordRun,
} from './attachments.js';

test('recordRun attaches a validated record that decodes back to the same record', async () => {
  const testInfo = test.info();
  const r = sampleRecord({ runId: 'att-1' });
  await recordRun(testInfo, r);
  await recordManifestFacts(testInfo, { probeParameters: { rate_pps: 1000 } });
  const [run, facts] = testInfo.attachments.slice(-2);
  expect(run!.contentType).toBe(MEASUREMENT_CONTENT_TYPE);
  expect(await decodeAttachment(run!)).toEqual({ kind: 'run', record: r });
  expect(facts!.contentType).toBe(MANIFEST_CONTENT_TYPE);
  expect(await decodeAttachment(facts!)).toEqual({ kind: 'manifest', facts: { probeParameters: { rate_pps: 1000 } } });
});

test('a malformed record fails in the spec that records it, naming the field', async () => {
  const testInfo = test.info();
  const bad = { ...sampleRecord(), verdict: 'green' } as unknown as ReturnType<typeof sampleRecord>;
  await expect(recordRun(testInfo, bad)).rejects.toThrow(/verdict: "green" is not one of pass, fail, inconclusive, errored, skipped/);
});

test('decode: other content types are ignored; broken JSON is a ReportError', async () => {
  expect(await decodeAttachment({ name: 'trace', contentType: 'application/zip', body: Buffer.from('x') })).toEqual({
    kind: 'other',
  });
  await expect(decodeAttachment({ name: 'm', contentType: MEASUREMENT_CONTENT_TYPE, body: Buffer.from('{') }))
    .rejects.toMatchObject({ code: 'REPORT' });
  await expect(decodeAttachment({ name: 'm', contentType: MEASUREMENT_CONTENT_TYPE }))
    .rejects.toThrow(/neither body nor path/);
});
