/**
 * vmmi as an installed package on the emulated lab, as root: the tarball of this checkout installed
 * into a fresh temporary project, `npx vmmi init suite --lab`, then `npx vmmi run` there runs the
 * scaffold's spec (a migration and back) against a lab brought up by the installed package (its
 * dist/, its scripts/build-lab-assets, its switch agents) and writes the reports into that project.
 * The scaffold's testbed gets its own prefix `vmmip` and management addresses 198.19.3.x, so neither a
 * user's `vmmi` lab nor the other lab specs' are touched; the lab is taken down afterwards.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import {
  installProject, npxVmmi, packTarball, packedProjectRoot, removeRoot, why,
} from '../integration/package-project.js';

const PREFIX = 'vmmip';

test.describe.configure({ mode: 'serial' });
test.skip(process.getuid?.() !== 0, 'the lab needs root');

let root: string | undefined;
let suite = '';

test.beforeAll(async () => {
  test.setTimeout(1_200_000);
  root = await packedProjectRoot();
  const { tarball } = await packTarball(root);
  const { project } = await installProject(root, tarball);
  const init = await npxVmmi(['init', 'suite', '--lab'], project);
  expect(init.code, why('vmmi init suite --lab', init)).toBe(0);
  suite = join(project, 'suite');
  const file = join(suite, 'testbeds/local.yaml');
  const text = await readFile(file, 'utf8');
  for (const s of ['  prefix: vmmi\n', '  dir: /var/lib/vmmi/lab/vmmi\n', '198.19.0.']) {
    expect(text, `the scaffold's testbed has "${s.trim()}"`).toContain(s);
  }
  await writeFile(file, text.replace('  prefix: vmmi\n', `  prefix: ${PREFIX}\n`)
    .replace('  dir: /var/lib/vmmi/lab/vmmi\n', `  dir: /var/lib/vmmi/lab/${PREFIX}\n`)
    .replaceAll('198.19.0.', '198.19.3.'));
});

test.afterAll(async () => {
  test.setTimeout(600_000);
  try {
    if (suite !== '') await npxVmmi(['lab', 'down', '--testbed', 'testbeds/local.yaml'], suite, 300_000);
  } finally {
    await removeRoot(root);
  }
});

test('npx vmmi run runs the scaffold\'s spec on the lab and writes the reports into the project', async () => {
  test.setTimeout(2_400_000);
  const r = await npxVmmi(['run'], suite, 2_100_000);
  test.info().annotations.push({ type: 'vmmi run', description: `${r.ms} ms` });
  expect(r.code, why('vmmi run', r)).toBe(0);
  expect(r.stdout).toMatch(/1 passed/);
  const reports = join(suite, 'reports');
  const folders = (await readdir(reports, { withFileTypes: true })).filter((d) => d.isDirectory());
  expect(folders.length, `report folders under ${reports}`).toBe(1);
  const folder = join(reports, (folders[0] as { name: string }).name);
  for (const f of ['index.html', 'runs.csv', 'episodes.csv', 'timeline.csv']) {
    expect(existsSync(join(folder, f)), `${f} in ${folder}`).toBe(true);
  }
  expect(existsSync(join(reports, 'junit.xml')), 'junit.xml').toBe(true);
  expect(existsSync(join(reports, 'history.sqlite')), 'history.sqlite').toBe(true);
  const runs = await readFile(join(folder, 'runs.csv'), 'utf8');
  expect(runs.trim().split('\n').length, 'runs.csv: header and the two moves (IPv4 and IPv6 each)').toBeGreaterThan(2);
});
