import { defineConfig } from '@playwright/test';
import { join } from 'node:path';

// The suite suites/lab/change-point.spec.ts runs several times through `vmmi run --config` on its own lab,
// building a real history. Its spec file is *.trend.ts so that the repository's own projects never pick it up.
const reports = process.env.VMMI_REPORT_DIR ?? 'reports';

export default defineConfig({
  testDir: '.',
  testMatch: '*.trend.ts',
  workers: 1,
  timeout: 600_000,
  retries: 0,
  reporter: [['list'], [join(import.meta.dirname, '../../../src/playwright/reporter.ts')],
    ['junit', { outputFile: join(reports, 'junit.xml') }]],
});
