import { expect, test } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateTestbedText } from './load.js';

const dir = join(import.meta.dirname, '../../test/fixtures/testbeds');
const ENV = { VMMI_TEST_PW: 'pw-from-env-123' };

/** Each bad fixture names the dotted path and message it must produce in its header comments. */
function expectation(text: string): { path: string; message: string; env: Record<string, string> } {
  const get = (k: string): string => text.match(new RegExp(`^# ${k}: ?(.*)$`, 'm'))?.[1] ?? '';
  return { path: get('expect-path'), message: get('expect-message'), env: get('env') === 'unset' ? {} : ENV };
}

test('the mini testbed is valid', () => {
  const text = readFileSync(join(dir, 'good-mini.yaml'), 'utf8');
  const r = validateTestbedText(text, 'good-mini.yaml', { env: ENV });
  expect(r.ok ? [] : r.issues).toEqual([]);
});

const bad = readdirSync(join(dir, 'bad')).filter((f) => f.endsWith('.yaml')).sort();

test('the malformed corpus has at least 30 cases', () => {
  expect(bad.length).toBeGreaterThanOrEqual(30);
});

for (const f of bad) {
  test(`malformed testbed ${f} is rejected with its path and message`, () => {
    const text = readFileSync(join(dir, 'bad', f), 'utf8');
    const want = expectation(text);
    const r = validateTestbedText(text, `bad/${f}`, { env: want.env });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const hit = r.issues.find((i) => i.path === want.path && i.message.includes(want.message));
    expect(hit, `issues were:\n${r.issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`).toBeDefined();
    expect(hit?.file).toBe(`bad/${f}`);
    expect(hit?.line).toBeGreaterThan(0);
    for (const i of r.issues) expect(i.message).not.toMatch(/\n\s+at /);
  });
}
