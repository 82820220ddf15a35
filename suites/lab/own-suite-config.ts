import { defineConfig, type PlaywrightTestConfig } from '@playwright/test';
import { join } from 'node:path';

/**
 * The Playwright config of a small suite a lab spec runs through `vmmi run --config` (verdict-suite,
 * trend-suite): one worker, no retries, vmmi's reporter and JUnit into VMMI_REPORT_DIR. Its spec files
 * end in `testMatch` (not .spec.ts), so the repository's own projects never pick them up.
 */
export function ownSuiteConfig(testMatch: string): PlaywrightTestConfig {
  const reports = process.env.VMMI_REPORT_DIR ?? 'reports';
  return defineConfig({
    testDir: '.',
    testMatch,
    workers: 1,
    timeout: 600_000,
    retries: 0,
    reporter: [['list'], [join(import.meta.dirname, '../../src/playwright/reporter.ts')],
      ['junit', { outputFile: join(reports, 'junit.xml') }]],
  });
}
