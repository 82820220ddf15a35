import { test, expect } from '@playwright/test';
import { judgeNodeVersion, median, parseNodeVersion } from './node-version.js';

test('node --version output parses; other text does not', () => {
  expect(parseNodeVersion('v20.11.1\n')).toEqual({ major: 20, minor: 11, patch: 1, text: 'v20.11.1' });
  expect(parseNodeVersion('  v18.0.0-rc.1  ')).toMatchObject({ major: 18, minor: 0, patch: 0 });
  expect(parseNodeVersion('20.11.1')).toBeUndefined();
  expect(parseNodeVersion('Usage: node ...')).toBeUndefined();
  expect(parseNodeVersion('')).toBeUndefined();
});

test('judgeNodeVersion: missing, broken, unreadable, too old, fine', () => {
  const run = (exitCode: number | undefined, stdout: string, stderr = ''): ReturnType<typeof judgeNodeVersion> =>
    judgeNodeVersion({ exitCode, stdout, stderr }, 'node', 18);
  expect(run(127, '', 'bash: line 1: node: command not found')).toEqual({
    ok: false, missing: '`node` not found on the login PATH (Node.js ≥ 18 is needed)' });
  expect(run(1, '', 'sh: 1: node: not found')).toMatchObject({ ok: false, missing: expect.stringContaining('not found') });
  expect(run(139, '', 'Segmentation fault')).toEqual({
    ok: false, missing: '`node --version` exited 139: Segmentation fault' });
  expect(run(0, 'hello\n')).toMatchObject({ ok: false, missing: expect.stringContaining('not a Node.js version') });
  expect(run(0, 'v16.20.2\n')).toEqual({ ok: false, missing: 'Node.js v16.20.2 is too old (≥ 18 is needed)' });
  expect(run(0, 'v18.19.0\n')).toMatchObject({ ok: true, version: { major: 18, minor: 19 } });
  expect(run(0, 'v20.1.0\n', 'bash: warning: setlocale: No such file or directory')).toMatchObject({ ok: true });
});

test('median of odd and even counts, unsorted input', () => {
  expect(median([5, 1, 3])).toBe(3);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([7])).toBe(7);
});
