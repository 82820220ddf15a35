/**
 * vmmi as an installable package, end to end and without root: `npm pack` (its prepack builds dist/)
 * ships the build, the bin, the templates and the lab's build script but no sources; the tarball
 * installs into an empty project next to @playwright/test (the peer); there `npx vmmi --version`
 * prints the package version, `import('vmmi')` loads the public API (`test`, `expect`), `npx vmmi init`
 * scaffolds a suite whose spec type-checks against the shipped declarations, and `npx vmmi run --list`
 * lists that spec through the project's Playwright. Running it on the emulated lab is the lab
 * project's suites/lab/package-run.spec.ts. Pack and install times are attached as annotations.
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { test, expect } from '@playwright/test';
import {
  REPO, installProject, npxVmmi, packTarball, packedProjectRoot, removeRoot, repoVersion, run, why,
} from './package-project.js';

test.describe.configure({ mode: 'serial', timeout: 900_000 });

let root: string | undefined;
let tarball = '';
let project = '';

test.beforeAll(async () => {
  root = await packedProjectRoot();
});
test.afterAll(async () => {
  await removeRoot(root);
});

test('npm pack ships dist/ (JavaScript and declarations), bin/, templates, profiles and the lab build, no sources', async () => {
  const p = await packTarball(root as string);
  tarball = p.tarball;
  test.info().annotations.push({ type: 'npm pack', description: `${p.ms} ms (with the prepack build)` });
  for (const f of ['package.json', 'bin/vmmi.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js',
    'dist/playwright/reporter.js', 'dist/playwright/reporter.d.ts', 'dist/probes/udp/agent-main.js',
    'dist/probes/remote/agent-entry.js', 'dist/util/bundle.js',
    'dist/lab/agent/main.js', 'templates/init/common/playwright.config.ts', 'templates/init/lab/testbeds/local.yaml',
    'scripts/build-lab-assets', 'lab-assets/udprefl.c', 'profiles/nvo3-vmmi/1.yaml', 'profiles/PUBLISHED.json']) {
    expect(p.files, f).toContain(f);
  }
  const unwanted = p.files.filter((f) => /^(src|suites|test|bench|node_modules)\/|\.test\.(js|d\.ts)$|tsbuildinfo/.test(f));
  expect(unwanted).toEqual([]);
});

test('the tarball installs into an empty project next to @playwright/test', async () => {
  const i = await installProject(root as string, tarball);
  project = i.project;
  test.info().annotations.push({ type: 'npm install', description: `${i.ms} ms` });
});

test('npx vmmi --version prints the package version', async () => {
  const r = await npxVmmi(['--version'], project);
  expect(r.code, why('vmmi --version', r)).toBe(0);
  expect(r.stdout.trim()).toBe(await repoVersion());
  const h = await npxVmmi(['--help'], project);
  expect(h.code, why('vmmi --help', h)).toBe(0);
  expect(h.stdout).toContain('usage: vmmi');
});

test('import("vmmi") loads the public API; test, expect and vmmi/reporter resolve', async () => {
  const dyn = await run([process.execPath, '-e', 'import("vmmi").then((m) => console.log(Object.keys(m).length))'],
    project, 60_000);
  expect(dyn.code, why('node -e import("vmmi")', dyn)).toBe(0);
  expect(Number(dyn.stdout.trim())).toBeGreaterThan(10);
  await writeFile(join(project, 'check.mjs'), [
    "import { test, expect, loadTestbed } from 'vmmi';",
    "if (typeof test.extend !== 'function' || typeof expect !== 'function' || typeof loadTestbed !== 'function')",
    "  throw new Error('vmmi exports are missing');",
  ].join('\n'));
  const stat = await run([process.execPath, 'check.mjs'], project, 60_000);
  expect(stat.code, why('node check.mjs', stat)).toBe(0);
  const rep = await run([process.execPath, '-e', 'console.log(require.resolve("vmmi/reporter"))'], project, 60_000);
  expect(rep.code, why('require.resolve("vmmi/reporter")', rep)).toBe(0);
  expect(rep.stdout.trim()).toBe(join(project, 'node_modules/vmmi/dist/playwright/reporter.js'));
});

test('the installed package bundles the remote agent from dist/; the bundle runs with plain node', async () => {
  const mod = join(project, 'node_modules/vmmi/dist/probes/remote/remote-bundle.js');
  const built = await run([process.execPath, '--input-type=module', '-e',
    `const m = await import(${JSON.stringify(mod)}); console.log(await m.remoteAgentBundle({ timeoutMs: 120000 }));`],
  project, 180_000);
  expect(built.code, why('remoteAgentBundle() from dist/', built)).toBe(0);
  const file = built.stdout.trim();
  expect(file.startsWith(join(project, 'node_modules/vmmi/node_modules/.cache/vmmi/remote-agent-'))).toBe(true);
  const echo = await run([process.execPath, file, 'echo'], root as string, 60_000); // stdin closed: ready, then end
  expect([echo.code, echo.stdout], why('bundle echo', echo)).toEqual([0, 'echo-ready\n']);
  const bad = await run([process.execPath, file, 'no-such-subcommand'], root as string, 60_000);
  expect(bad.code, why('bundle with a bad subcommand', bad)).toBe(2);
});

test('npx vmmi init scaffolds a suite that type-checks and that vmmi run --list lists', async () => {
  const init = await npxVmmi(['init', 'suite', '--lab'], project);
  expect(init.code, why('vmmi init suite --lab', init)).toBe(0);
  const suite = join(project, 'suite');
  // The scaffold's spec against the shipped declarations (dist/*.d.ts) and the project's Playwright
  // types, with this checkout's TypeScript (the scaffold's own devDependencies are not installed here).
  const tsc = await run([process.execPath, join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json',
    '--noEmit', '--typeRoots', join(REPO, 'node_modules/@types')], suite, 180_000);
  expect(tsc.code, why('tsc on the scaffold', tsc)).toBe(0);
  const list = await npxVmmi(['run', '--list'], suite, 180_000);
  expect(list.code, why('vmmi run --list', list)).toBe(0);
  expect(list.stdout).toMatch(/migrate\.spec\.ts/);
  expect(list.stdout).toMatch(/Total: 1 test in 1 file/);
});
