import { test, expect } from '@playwright/test';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLocal } from './local.js';
import { spawnPiped } from './spawn.js';
import {
  entersNamespace, forbidNamespaceEntry, namespaceEntryForbidden, refusedNamespaceEntries,
} from './namespace-guard.js';

test('argv that enter or make a namespace are recognised, wrappers included', () => {
  for (const argv of [['ip', 'netns', 'exec', 'x', 'true'], ['/usr/sbin/ip', '-n', 'x', 'link'],
    ['timeout', '5', 'ip', 'netns', 'exec', 'x', 'ip', 'monitor'], ['bridge', '-n', 'x', 'fdb'],
    ['tc', '-netns', 'x', 'qdisc'], ['nsenter', '-t', '1', '-n'], ['unshare', '-n', 'sh'],
    ['setsid', 'nice', '-n', '5', 'ip', 'netns', 'exec', 'x', 'node']]) {
    expect(entersNamespace(argv), argv.join(' ')).toBe(true);
  }
  for (const argv of [['ip', '-ts', '-o', 'monitor', 'route'], ['nice', '-n', '5', 'node', 'a.js'],
    ['bridge', '-j', 'fdb', 'show'], ['arping', '-D', '-I', 'br0', '198.18.10.100'], ['ip', 'route', 'get', '198.18.10.1']]) {
    expect(entersNamespace(argv), argv.join(' ')).toBe(false);
  }
});

test('while a hardware testbed is open, namespace entry is refused, counted and audited', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-nsguard-'));
  const audit = join(dir, 'audit.jsonl');
  const before = refusedNamespaceEntries();
  process.env.VMMI_NETNS_AUDIT = audit;
  const release = forbidNamespaceEntry('testbed "x" has no lab section');
  try {
    expect(namespaceEntryForbidden()).toBe(true);
    await expect(runLocal(['ip', 'netns', 'exec', 'nope', 'true'])).rejects.toThrow(/refused to enter a network namespace.*"x" has no lab/);
    expect(() => spawnPiped(['ip', '-n', 'nope', 'link'])).toThrow(/refused/);
    // Ordinary commands still run.
    expect((await runLocal(['true'])).failed).toBe(false);
    expect(refusedNamespaceEntries()).toBe(before + 2);
    const lines = (await readFile(audit, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { argv: string[] });
    expect(lines.map((l) => l.argv[0])).toEqual(['ip', 'ip']);
  } finally {
    release();
    delete process.env.VMMI_NETNS_AUDIT;
    await rm(dir, { recursive: true, force: true });
  }
  expect(namespaceEntryForbidden()).toBe(false);
});
