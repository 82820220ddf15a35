import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test, expect } from '@playwright/test';
import { loadTestbed } from '../inventory/load.js';
import { guardRuleset, guardTable } from './libvirt-guard.js';
import { planLab } from './topology.js';

const run = promisify(execFile);
const LOCAL = new URL('../../testbeds/local.yaml', import.meta.url).pathname;
const plan = async () => planLab(await loadTestbed(LOCAL, { labPrefix: 'vmmiu', labDir: '/tmp/vmmiu-lab', env: {} }),
  { assetsDir: '/a' });

test('only root\'s sockets reach libvirt TLS at the hypervisors\' management addresses, one table per lab', async () => {
  const p = await plan();
  expect(guardTable(p)).toBe('vmmi_vmmiu_libvirt');
  const rules = guardRuleset(p);
  expect(rules).toContain('table inet vmmi_vmmiu_libvirt {\n  chain output {\n' +
    '    type filter hook output priority 0; policy accept;\n' +
    '    ip daddr { 198.19.0.26, 198.19.0.30, 198.19.0.34 } tcp dport 16514 meta skuid != 0 counter reject with tcp reset');
  // Recreated, not appended to: a second `lab up` replaces the table in one transaction.
  expect(rules.startsWith('table inet vmmi_vmmiu_libvirt\ndelete table inet vmmi_vmmiu_libvirt\n')).toBe(true);
  // Traffic hosts' addresses are not libvirt hosts.
  expect(rules).not.toContain('198.19.0.18');
});

test('nft accepts the ruleset (nft -c: checked, not applied)', async () => {
  test.skip(process.getuid?.() !== 0, 'nft talks to the kernel: root only');
  const child = run('nft', ['-c', '-f', '-'], { timeout: 10_000 });
  child.child.stdin?.end(guardRuleset(await plan()));
  const r = await child.catch((e: { stderr?: string }) => ({ stdout: '', stderr: e.stderr ?? String(e) }));
  expect(r.stderr).toBe('');
});
