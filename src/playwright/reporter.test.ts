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
