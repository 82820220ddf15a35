import { expect, test } from '@playwright/test';
import { parseReportArgs, parseSince } from './report.js';

const NOW = Date.parse('2026-11-25T07:00:00Z');

test('--since accepts ISO times and ages in days or hours', () => {
  expect(parseSince('7d', NOW)).toBe(NOW - 7 * 86_400_000);
  expect(parseSince('12h', NOW)).toBe(NOW - 12 * 3_600_000);
  expect(parseSince('2026-11-01', NOW)).toBe(Date.parse('2026-11-01'));
  expect(() => parseSince('last week', NOW)).toThrow(/neither an ISO time nor an age/);
});

test('options: defaults, --x=v and --x v forms, unknown options are usage errors', () => {
  expect(parseReportArgs([], NOW)).toEqual({ sinceMs: undefined, history: 'reports/history.sqlite', out: 'reports' });
  expect(parseReportArgs(['--since=1d', '--history', 'h.sqlite', '--out', 'o'], NOW))
    .toEqual({ sinceMs: NOW - 86_400_000, history: 'h.sqlite', out: 'o' });
  expect(parseReportArgs(['--help'], NOW)).toBe('help');
  expect(() => parseReportArgs(['--since'], NOW)).toThrow(/--since needs a value/);
  try {
    parseReportArgs(['--format', 'pdf'], NOW);
    throw new Error('expected a UsageError');
  } catch (e) {
    expect((e as { code?: string }).code).toBe('USAGE');
  }
});
