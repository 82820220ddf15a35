import { expect, test } from '@playwright/test';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTestbed } from '../inventory/load.js';
import type { Testbed } from '../model/testbed.js';
import { initCommand, packageName, scaffold, type Versions } from './init.js';

const repo = join(import.meta.dirname, '../..');
const versions: Versions = { vmmi: '1.2.3', playwright: '1.65.1', dev: { typescript: '~5.9' } };

const COMMON = ['.gitignore', 'README.md', 'package.json', 'playwright.config.ts', 'tests/migrate.spec.ts',
  'tsconfig.json'];

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'vmmi-init-'));
}

/** The devices of a testbed, without where it was read from. */
const devices = (t: Testbed): unknown => ({
  hypervisors: t.hypervisors, switches: t.switches, links: t.links, subnets: t.subnets, vms: t.vms,
  trafficHosts: t.trafficHosts, thresholds: t.thresholds, migration: t.migration,
});

test('--lab writes package.json, the lab testbed, the example spec, the Playwright config and a README', async () => {
  const dir = join(await tmp(), 'My Suite');
  try {
    const r = await scaffold(dir, 'lab', { versions });
    expect([...r.written].sort()).toEqual([...COMMON, 'testbeds/local.yaml'].sort());
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg).toMatchObject({
      name: 'my-suite', type: 'module', private: true, scripts: { test: 'vmmi run' },
      dependencies: { 'vmmi': '^1.2.3', '@playwright/test': '1.65.1' }, devDependencies: { typescript: '~5.9' },
    });
    const spec = await readFile(join(dir, 'tests/migrate.spec.ts'), 'utf8');
    expect(spec).toMatch(/import \{ expect, metricOf, test \} from 'vmmi';/);
    expect(spec).toContain('migrate({');
    expect(spec).toContain('maxOutageMs');
    const config = await readFile(join(dir, 'playwright.config.ts'), 'utf8');
    expect(config).toContain("['vmmi/reporter']");
    expect(config).toContain("testDir: './tests'");
    const readme = await readFile(join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('# my-suite');
    expect(readme).toContain('`testbeds/local.yaml`');
    expect(readme).not.toMatch(/\{\{/);
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toContain('reports/');
  } finally {
    await rm(join(dir, '..'), { recursive: true, force: true });
  }
});

test('the reporter path of the scaffold config is an export of the vmmi package', async () => {
  const pkg = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  expect(Object.keys(pkg.exports)).toContain('./reporter');
});

test('the lab testbed validates from the new folder and is the repository\'s emulated lab', async () => {
  const dir = await tmp();
  try {
    await scaffold(dir, 'lab', { versions });
    const tb = await loadTestbed(join(dir, 'testbeds/local.yaml'), { env: {} });
    const shipped = await loadTestbed(join(repo, 'testbeds/local.yaml'), { env: {} });
    expect(tb.lab?.dir).toBe(shipped.lab?.dir);
    expect(devices(tb)).toEqual(devices(shipped));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--physical writes the commented hardware testbed with its known_hosts and secrets; it validates', async () => {
  const dir = await tmp();
  try {
    const r = await scaffold(dir, 'physical', { versions });
    expect([...r.written].sort()).toEqual([...COMMON, 'testbeds/known_hosts', 'testbeds/physical.yaml',
      'testbeds/secrets/README.md', 'testbeds/secrets/hypervisor-ssh-key', 'testbeds/secrets/netconf-password'].sort());
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).toBe('vmmi run --testbed testbeds/physical.yaml');
    expect((await stat(join(dir, 'testbeds/secrets/netconf-password'))).mode & 0o777).toBe(0o600);
    const yaml = await readFile(join(dir, 'testbeds/physical.yaml'), 'utf8');
    expect(yaml.split('\n').filter((l) => l.trimStart().startsWith('#')).length).toBeGreaterThan(10);
    // Relative ${file:...} and known_hosts paths resolve from the new folder, not from vmmi's.
    const tb = await loadTestbed(join(dir, 'testbeds/physical.yaml'), { env: {} });
    expect(tb.name).toBe('dc-pair-nightly');
    const example = await loadTestbed(join(repo, 'testbeds/examples/physical.yaml'), { env: {} });
    expect(JSON.parse(JSON.stringify(devices(tb)))).toEqual(JSON.parse(JSON.stringify(devices(example)).replaceAll(
      join(repo, 'testbeds/examples'), join(dir, 'testbeds'))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('refuses to overwrite: names every existing file and writes nothing; --force overwrites', async () => {
  const dir = await tmp();
  try {
    await writeFile(join(dir, 'package.json'), '{"name":"mine"}\n');
    await writeFile(join(dir, 'README.md'), 'mine\n');
    const err = await scaffold(dir, 'lab', { versions }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'USAGE' });
    expect((err as Error).message).toContain('package.json, README.md');
    expect((err as { hint?: string }).hint).toContain('--force');
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe('{"name":"mine"}\n');
    await expect(stat(join(dir, 'tests/migrate.spec.ts'))).rejects.toMatchObject({ code: 'ENOENT' });
    await scaffold(dir, 'lab', { versions, force: true });
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toContain('"vmmi": "^1.2.3"');
    // A second init over a full scaffold is refused too.
    await expect(scaffold(dir, 'physical', { versions })).rejects.toMatchObject({ code: 'USAGE' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('vmmi init: --lab and --physical exclude each other; a second DIR is a usage error', async () => {
  await expect(initCommand.run(['--lab', '--physical', '/nonexistent'])).rejects.toMatchObject({ code: 'USAGE' });
  await expect(initCommand.run(['a', 'b'])).rejects.toMatchObject({ code: 'USAGE' });
});

test('package names from folder names', () => {
  expect(packageName('/x/My Suite')).toBe('my-suite');
  expect(packageName('/x/vmmi')).toBe('vmmi-suite');
  expect(packageName('/x/.hidden')).toBe('hidden');
});
