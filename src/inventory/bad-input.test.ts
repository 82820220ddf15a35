import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InventoryIssue } from '../errors/classes.js';
import { validateTestbedText, type LoadOptions } from './load.js';

/** A small valid testbed; `sw` is the credentials of switch `a` (flow mapping body). */
function testbed(sw = 'username: u, password: "${env:PW}"'): string {
  return `name: t
sites: { s: {} }
hypervisors:
  h: { site: s, address: 198.18.0.9, uri: "qemu+tcp://198.18.0.9/system" }
switches:
  a: { role: tor, kind: eos, site: s, address: 198.18.0.1, hostKey: { fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" },
       credentials: { ${sw} } }
`;
}

/** Validates `text` as the file `name` in a fresh directory; returns the issues (none when valid). */
function issuesOf(text: string, opts: LoadOptions & { dir?: string; name?: string } = {}): InventoryIssue[] {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'vmmi-bad-'));
  const file = join(dir, opts.name ?? 'tb.yaml');
  writeFileSync(file, text);
  const r = validateTestbedText(text, file, { env: { PW: 'pw-123456789' }, ...opts });
  return r.ok ? [] : r.issues;
}

const show = (issues: readonly InventoryIssue[]): string => issues.map((i) => `${i.path}: ${i.message}`).join('\n');

test.describe('secret files', () => {
  test('a device file (/dev/zero) is refused before it is read, naming the reference', () => {
    const t0 = Date.now();
    const issues = issuesOf(testbed('username: u, password: "${file:/dev/zero}"'), {
      env: { PW: 'x', VMMI_SECRET_DIRS: '/dev' },
    });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(show(issues)).toContain(
      'switches.a.credentials.password: secret file /dev/zero is a character device, not a regular file ' +
        '(referenced as ${file:/dev/zero})',
    );
  });

  test('a FIFO is refused at once instead of blocking validate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmmi-fifo-'));
    execFileSync('mkfifo', [join(dir, 'pw')]);
    const issues = issuesOf(testbed('username: u, password: "${file:pw}"'), { dir });
    expect(show(issues)).toContain('is a FIFO, not a regular file (referenced as ${file:pw})');
  });

  test('a secret file above 64 KiB is refused with the limit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmmi-big-'));
    writeFileSync(join(dir, 'key'), 'k'.repeat(64 * 1024 + 1));
    const issues = issuesOf(testbed('username: u, privateKey: "${file:key}"'), { dir });
    expect(show(issues)).toContain('bytes or more; the limit is 65536 (referenced as ${file:key})');
    writeFileSync(join(dir, 'key'), 'k'.repeat(64 * 1024));
    expect(issuesOf(testbed('username: u, privateKey: "${file:key}"'), { dir })).toEqual([]);
  });

  test('a directory is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmmi-dir-'));
    const issues = issuesOf(testbed('username: u, password: "${file:.}"'), { dir });
    expect(show(issues)).toContain('is a directory, not a regular file');
  });
});
