import { defineConfig } from '@playwright/test';
import { join } from 'node:path';

// `vmmi run` runs this config: it validates the testbed and passes it (VMMI_TESTBED) and the reports
// folder (VMMI_REPORT_DIR) to the run. Plain `npx playwright test` works too; the fixtures then read
// the testbed named by VMMI_TESTBED (default testbeds/local.yaml).
const reports = process.env.VMMI_REPORT_DIR ?? 'reports';

export default defineConfig({
  testDir: './tests',
  testMatch: '**/*.spec.ts',
  // Migrations share one testbed: one worker, and a generous timeout (bringing the emulated lab up takes minutes).
  workers: 1,
  timeout: 600_000,
  retries: 0,
  forbidOnly: process.env.CI === 'true',
  // vmmi's reporter writes the HTML report, CSV files, the run manifest and the history database under reports/.
  reporter: [['list'], ['vmmi/reporter'], ['junit', { outputFile: join(reports, 'junit.xml') }]],
});
