import { expect, test } from '@playwright/test';
import VmmiReporter from './reporter.js';

test('reporter options are validated once, naming the option and value', () => {
  expect(() => new VmmiReporter({ trendDays: -1 })).toThrow(
    /option trendDays: expected a positive number of days, got -1/,
  );
  expect(() => new VmmiReporter({ outputDir: '' })).toThrow(/option outputDir: expected a path/);
  expect(() => new VmmiReporter({ historyFile: 3 as unknown as string })).toThrow(
    /option historyFile: expected a path, got 3/,
  );
  const r = new VmmiReporter({ outputDir: 'reports', historyFile: null });
  expect(r.printsToStdio()).toBe(false);
});

test('samples: true makes the workers attach probe packets and the reporter write samples.csv', async () => {
  const { mkdtemp, readdir, readFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { sampleRecord } = await import('../../test/fixtures/report/sample-records.js');
  const { MEASUREMENT_CONTENT_TYPE, SAMPLES_CONTENT_TYPE } = await import('./attachments.js');
  const { SAMPLES_ENV } = await import('./samples-env.js');
  expect(() => new VmmiReporter({ samples: 'yes' as unknown as boolean })).toThrow(/option samples: expected true or false/);
  const before = process.env[SAMPLES_ENV];
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-reporter-samples-'));
  try {
    const r = new VmmiReporter({ outputDir: dir, historyFile: null, samples: true });
    expect(process.env[SAMPLES_ENV]).toBe('1');
    const config = { version: 'test', workers: 1, shard: null, projects: [] } as unknown as Parameters<typeof r.onBegin>[0];
    r.onBegin(config, {} as Parameters<typeof r.onBegin>[1]);
    const rows = [{ runId: 'r1', attempt: 1, flow: 'f', seq: 1, txMs: 10.5, rxMs: 10.9, dupCount: 0 },
      { runId: 'r1', attempt: 1, flow: 'f', seq: 2, txMs: 11.5, dupCount: 0 }];
    const test1 = { id: 't1', titlePath: () => ['t1'] } as unknown as Parameters<typeof r.onTestEnd>[0];
    r.onTestEnd(test1, { retry: 0, attachments: [
      { name: 'run', contentType: MEASUREMENT_CONTENT_TYPE, body: Buffer.from(JSON.stringify(sampleRecord({ runId: 'r1' }))) },
      { name: 'samples', contentType: SAMPLES_CONTENT_TYPE, body: Buffer.from(JSON.stringify(rows)) },
    ] } as unknown as Parameters<typeof r.onTestEnd>[1]);
    expect(await r.onEnd({ status: 'passed' } as Parameters<typeof r.onEnd>[0])).toBeUndefined();
    const [folder] = await readdir(dir);
    const csv = await readFile(join(dir, folder as string, 'samples.csv'), 'utf8');
    expect(csv).toBe('run_id,attempt,flow,seq,tx_ms,rx_ms,duplicates\nr1,1,f,1,10.5,10.9,0\nr1,1,f,2,11.5,,0\n');
  } finally {
    if (before === undefined) delete process.env[SAMPLES_ENV];
    else process.env[SAMPLES_ENV] = before;
    await rm(dir, { recursive: true, force: true });
  }
});
