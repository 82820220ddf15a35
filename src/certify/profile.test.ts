import { expect, test } from '@playwright/test';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repo } from '../../test/helpers/vmmi-cli.js';
import { loadProfile, parseProfileRef, profileFromText, publishedRegistry, sha256Hex } from './profile-load.js';
import { parseProfile } from './profile-schema.js';
import { atScale } from './profile-types.js';
import { readProfileYaml } from './profile-yaml.js';

const DIR = join(repo, 'profiles');
const NVO3 = join(DIR, 'nvo3-vmmi/1.yaml');

/** The shipped profile's document with `edit` applied (a deep copy). */
async function edited(edit: (d: Record<string, unknown> & { scenarios: Record<string, unknown>[];
  thresholds: Record<string, unknown>[]; ci: { repetitions: Record<string, number> } }) => void): Promise<unknown> {
  const y = readProfileYaml(await readFile(NVO3, 'utf8'));
  if (!y.ok) throw new Error(y.message);
  const d = structuredClone(y.value) as Parameters<typeof edit>[0];
  edit(d);
  return d;
}

const issues = (doc: unknown): string[] => {
  const r = parseProfile(doc);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
};

test('published profiles never change: every file pinned in PUBLISHED.json still has its sha256', async () => {
  const pinned = await publishedRegistry(DIR);
  expect(Object.keys(pinned)).toContain('nvo3-vmmi@1');
  for (const [ref, sha] of Object.entries(pinned)) {
    const { name, version } = parseProfileRef(ref);
    const text = await readFile(join(DIR, name, `${version}.yaml`), 'utf8');
    expect(sha256Hex(text), `${ref} was edited after publication: write the change as a new version instead`)
      .toBe(sha);
  }
  // every profile file on disk is a valid profile filed under its own name and version
  for (const d of (await readdir(DIR, { withFileTypes: true })).filter((x) => x.isDirectory())) {
    for (const f of (await readdir(join(DIR, d.name))).filter((x) => x.endsWith('.yaml'))) {
      const text = await readFile(join(DIR, d.name, f), 'utf8');
      expect(() => profileFromText(text, f, { name: d.name, version: Number(f.replace('.yaml', '')) })).not.toThrow();
    }
  }
});

test('nvo3-vmmi@1 loads: published, both families, the four scenarios, every threshold justified', async () => {
  const l = await loadProfile('nvo3-vmmi@1', DIR);
  expect(l.published).toBe(true);
  const p = l.profile;
  expect(p.requires).toEqual({ strategies: ['host-route-static', 'tunnel'], addressFamilies: [4, 6],
    wanImpairment: true, trafficHosts: ['source-site', 'destination-site'] });
  expect(p.scenarios.map((s) => s.id)).toEqual(['cross-subnet', 'wan-delay', 'old-site-roundabout', 'address-conflict']);
  expect(p.scenarios.find((s) => s.id === 'address-conflict')?.expect).toBe('refused-address-conflict');
  for (const t of p.thresholds) expect(t.why.length, t.id).toBeGreaterThan(40);
  const ci = atScale(p, 'ci');
  expect(ci.scenarios.map((s) => s.repetitions)).toEqual([2, 2, 2, 1]);
  expect(ci.probe.baselineMs).toBe(1000);
  expect(atScale(p, 'full')).toBe(p);
});

test('a bad field is named by its path, every problem at once', async () => {
  expect(issues(await edited((d) => {
    delete d.thresholds[0]?.why;
    (d.thresholds[1] as Record<string, unknown>).expr = 'p96(outage) <= 1 ms';
    (d.scenarios[0] as Record<string, unknown>).repetitions = 0;
    (d.scenarios[1] as Record<string, unknown>).colour = 'blue';
    (d.probe as Record<string, unknown>).ratePps = 5;
  }))).toEqual(expect.arrayContaining([
    'thresholds[0].why: required field is missing',
    expect.stringMatching(/^thresholds\[1\]\.expr: .*unknown statistic "p96"/),
    'scenarios[0].repetitions: must be at least 1',
    'scenarios[1].colour: unknown field "colour"',
    expect.stringMatching(/^probe\.ratePps: below 100 pps/),
  ]));
  expect(issues(await edited((d) => {
    (d.scenarios[0] as Record<string, unknown>).strategy = 'teleport';
  }))).toEqual([expect.stringMatching(/^scenarios\[0\]\.strategy: unknown strategy "teleport"; one of l2, /)]);
});

test('rules across fields (checked once the shape is right): known scenarios, CI no bigger, strategies required', async () => {
  expect(issues(await edited((d) => {
    (d.thresholds[1] as Record<string, unknown>).expr = 'value(outage) <= 1000 ms';
  }))).toEqual([expect.stringMatching(/^thresholds\[1\]\.expr: .*statistics of repetitions/)]);
  expect(issues(await edited((d) => {
    (d.thresholds[0] as { scenarios: string[] }).scenarios = ['cross-subnet', 'nowhere', 'address-conflict'];
    d.ci.repetitions['wan-delay'] = 50;
    delete d.ci.repetitions['cross-subnet'];
    (d.scenarios[2] as Record<string, unknown>).strategy = 'host-route-bgp';
  }))).toEqual(expect.arrayContaining([
    expect.stringMatching(/^thresholds\[0\]\.scenarios\[1\]: unknown scenario "nowhere"/),
    'thresholds[0].scenarios[2]: scenario "address-conflict" expects a refusal: it has no figures to bound',
    'ci.repetitions.wan-delay: 50 is more than the full profile\'s 20',
    'ci.repetitions: no CI repetitions for scenario "cross-subnet"',
    'scenarios[2].strategy: "host-route-bgp" is not in requires.strategies',
  ]));
});

test('a profile filed under another name or version, YAML errors, and a bad reference are refused', async () => {
  const text = await readFile(NVO3, 'utf8');
  expect(() => profileFromText(text, 'x.yaml', { name: 'nvo3-vmmi', version: 2 }))
    .toThrow(/version: the file is filed as nvo3-vmmi@2 but says nvo3-vmmi@1/);
  expect(() => profileFromText('name: a\nname: b\n', 'dup.yaml')).toThrow(/YAML syntax/);
  expect(() => parseProfileRef('nvo3-vmmi')).toThrow(/expected NAME@VERSION/);
  expect(() => parseProfileRef('../etc@1')).toThrow(/expected NAME@VERSION/);
  await expect(loadProfile('no-such@1', DIR)).rejects.toThrow(/cannot read/);
});
