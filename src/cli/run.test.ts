import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { scaffold } from './init.js';
import { chooseSuite, checkFlags, planRun, playwrightArgv, playwrightCli, type PlaywrightFlags } from './run.js';

const repo = join(import.meta.dirname, '../..');
const bundledConfig = join(repo, 'playwright.config.ts');
const R = '/vmmi/reporter.js';
const none: PlaywrightFlags = { filters: [], projects: [], list: false, passthrough: [] };

async function project(files: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-run-'));
  for (const f of files) {
    await mkdir(join(dir, f, '..'), { recursive: true });
    await writeFile(join(dir, f), 'export default {};\n');
  }
  return dir;
}

/** Playwright's argv of `vmmi run ARGS` in `cwd`. */
const argvOf = (args: readonly string[], cwd: string): readonly string[] | undefined =>
  planRun(args, cwd, {}, R)?.argv;

test('the project\'s playwright.config.{ts,js,mjs} runs as it is: its projects, its reporters', async () => {
  for (const name of ['playwright.config.ts', 'playwright.config.js', 'playwright.config.mjs']) {
    const dir = await project([name]);
    try {
      expect(chooseSuite(dir, undefined)).toEqual({ config: join(dir, name), bundled: false });
      expect(argvOf([], dir)).toEqual(['test', `--config=${join(dir, name)}`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});

test('--config FILE, relative to the current folder, wins over the one found there; a missing one is refused', async () => {
  const dir = await project(['playwright.config.ts', 'e2e/pw.config.ts']);
  try {
    expect(argvOf(['--config', 'e2e/pw.config.ts'], dir)).toEqual(['test', `--config=${join(dir, 'e2e/pw.config.ts')}`]);
    expect(argvOf([`--config=${join(dir, 'e2e/pw.config.ts')}`], '/')).toEqual(
      ['test', `--config=${join(dir, 'e2e/pw.config.ts')}`]);
    expect(() => planRun(['--config', 'nope.config.ts'], dir, {}, R)).toThrow(/--config nope\.config\.ts: no such file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('without a config the bundled default suite runs: project default, list + vmmi reporter + JUnit', async () => {
  const dir = await project([]);
  try {
    const plan = planRun([], dir, {}, R);
    expect(plan?.suite).toEqual({ config: bundledConfig, bundled: true });
    expect(plan?.argv).toEqual(['test', `--config=${bundledConfig}`, '--project=default', `--reporter=list,${R},junit`]);
    expect(plan?.testbed).toMatchObject({ given: 'testbeds/local.yaml', path: join(dir, 'testbeds/local.yaml') });
    expect(plan?.out).toBe(join(dir, 'reports'));
    // In vmmi's own repository its config is the bundled suite too.
    expect(chooseSuite(repo, undefined).bundled).toBe(true);
    expect(() => chooseSuite(dir, undefined, () => false)).toThrow(/vmmi init scaffolds|default suite is not installed/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('each named Playwright option passes through as --name=value', async () => {
  const dir = await project(['playwright.config.ts']);
  const base = ['test', `--config=${join(dir, 'playwright.config.ts')}`];
  try {
    expect(argvOf(['--shard', '1/2'], dir)).toEqual([...base, '--shard=1/2']);
    expect(argvOf(['--shard=2/2'], dir)).toEqual([...base, '--shard=2/2']);
    expect(argvOf(['--workers', '4'], dir)).toEqual([...base, '--workers=4']);
    expect(argvOf(['--workers', '50%'], dir)).toEqual([...base, '--workers=50%']);
    expect(argvOf(['--grep', 'cross subnet|same'], dir)).toEqual([...base, '--grep=cross subnet|same']);
    expect(argvOf(['--grep=-v6$'], dir)).toEqual([...base, '--grep=-v6$']);
    expect(argvOf(['--retries', '0'], dir)).toEqual([...base, '--retries=0']);
    expect(argvOf(['--repeat', '5'], dir)).toEqual([...base, '--repeat-each=5']);
    expect(argvOf(['--project', 'lab', '--project', 'hw'], dir)).toEqual([...base, '--project=lab', '--project=hw']);
    expect(argvOf(['--list'], dir)).toEqual([...base, '--reporter=list', '--list']);
    expect(argvOf(['--reporter', 'dot,json'], dir)).toEqual([...base, '--reporter=dot,json']);
    expect(argvOf(['--reporter', 'dot', '--list'], dir)).toEqual([...base, '--reporter=dot', '--list']);
    expect(argvOf(['tests/migrate', 'wan'], dir)).toEqual([...base, 'tests/migrate', 'wan']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('everything after -- goes to Playwright unchanged, last', async () => {
  const dir = await project(['playwright.config.ts']);
  try {
    expect(argvOf(['--workers', '1', '--', '--shard=1/2', '--grep-invert', 'slow', '--', 'x'], dir)).toEqual([
      'test', `--config=${join(dir, 'playwright.config.ts')}`, '--workers=1', '--shard=1/2', '--grep-invert', 'slow',
      '--', 'x']);
    // The bundled suite keeps its defaults; the passthrough comes after them.
    expect(planRun(['--', '--shard=1/2'], await project([]), {}, R)?.argv).toEqual(
      ['test', `--config=${bundledConfig}`, '--project=default', `--reporter=list,${R},junit`, '--shard=1/2']);
    // vmmi's options after -- are Playwright's, not vmmi's.
    expect(argvOf(['--', '--testbed', 'x.yaml'], dir)).toEqual(
      ['test', `--config=${join(dir, 'playwright.config.ts')}`, '--testbed', 'x.yaml']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bundled suite: --project and --reporter replace its defaults', () => {
  const suite = { config: bundledConfig, bundled: true };
  expect(playwrightArgv(suite, { ...none, projects: ['faults'], reporter: 'line' }, R)).toEqual(
    ['test', `--config=${bundledConfig}`, '--project=faults', '--reporter=line']);
  expect(playwrightArgv(suite, { ...none, list: true }, R)).toEqual(
    ['test', `--config=${bundledConfig}`, '--project=default', '--reporter=list', '--list']);
});

test('the testbed: --testbed, else $VMMI_TESTBED, else testbeds/local.yaml, from the current folder', () => {
  expect(planRun(['--testbed', 'tb/hw.yaml'], repo, { VMMI_TESTBED: 'x.yaml' }, R)?.testbed)
    .toMatchObject({ given: 'tb/hw.yaml', path: join(repo, 'tb/hw.yaml'), from: '--testbed' });
  expect(planRun([], repo, { VMMI_TESTBED: '/abs/x.yaml' }, R)?.testbed)
    .toMatchObject({ path: '/abs/x.yaml', from: 'VMMI_TESTBED' });
  expect(planRun(['--out', 'r2'], repo, {}, R)?.out).toBe(join(repo, 'r2'));
  expect(planRun(['--help'], repo, {}, R)).toBeUndefined();
});

test('invalid Playwright options are usage errors that name the option and the value', () => {
  const bad: [Record<string, string | string[]>, RegExp][] = [
    [{ shard: '0/2' }, /--shard "0\/2": takes I\/N/], [{ shard: '3/2' }, /--shard/], [{ shard: 'half' }, /--shard/],
    [{ workers: '0' }, /--workers "0"/], [{ workers: 'many' }, /--workers/], [{ workers: '150%' }, /--workers/],
    [{ retries: '-1' }, /--retries "-1": takes a number/], [{ retries: '1.5' }, /--retries/],
    [{ repeat: '0' }, /--repeat "0": takes a number of runs from 1 to 1000/], [{ repeat: '1001' }, /--repeat/],
    [{ grep: '(' }, /--grep "\(": is not a regular expression/], [{ grep: '' }, /--grep/],
    [{ reporter: 'list,,dot' }, /--reporter "list,,dot"/], [{ reporter: 'my reporter' }, /--reporter/],
    [{ project: [''] }, /--project/],
  ];
  for (const [v, re] of bad) {
    expect(() => checkFlags(v), JSON.stringify(v)).toThrow(re);
    expect(() => { try { checkFlags(v); } catch (e) { throw new Error((e as { code: string }).code); } }).toThrow('USAGE');
  }
  expect(() => checkFlags({ shard: '2/2', workers: '100%', retries: '3', grep: 'a|b', reporter: 'list,./r.ts' }))
    .not.toThrow();
  expect(() => planRun(['--shard', '1/0'], repo, {}, R)).toThrow(/--shard/);
  expect(() => planRun(['--frobnicate'], repo, {}, R)).toThrow(/unknown option --frobnicate/);
});

test('Playwright\'s CLI comes from the project\'s own @playwright/test, else from vmmi\'s', async () => {
  const dir = await project(['node_modules/@playwright/test/cli.js']);
  try {
    await writeFile(join(dir, 'node_modules/@playwright/test/package.json'),
      JSON.stringify({ name: '@playwright/test', version: '9.9.9', exports: { './cli': './cli.js' } }));
    expect(playwrightCli(dir)).toBe(join(dir, 'node_modules/@playwright/test/cli.js'));
    expect(playwrightCli(join(dir, 'sub/dir'))).toBe(join(dir, 'node_modules/@playwright/test/cli.js'));
    expect(playwrightCli(tmpdir())).toBe(join(repo, 'node_modules/@playwright/test/cli.js'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const MAIN = 'const { main } = await import(process.argv[1]); process.exitCode = await main(process.argv.slice(2));';

/** `vmmi run ARGS` from the sources (main.ts through tsx), in `cwd`. */
async function vmmiRun(args: readonly string[], cwd: string): Promise<{ code: number; out: string }> {
  try {
    const r = await promisify(execFile)(process.execPath,
      ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', MAIN, join(repo, 'src/cli/main.ts'), 'run',
        ...args],
      { cwd, env: { ...process.env, VMMI_TESTBED: '' }, timeout: 120_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: `${x.stdout}${x.stderr}` };
  }
}

test('vmmi run --list lists the bundled default suite without touching the testbed', async () => {
  test.setTimeout(120_000);
  const r = await vmmiRun(['--list', '--grep', 'same subnet'], repo);
  expect(r.code, r.out).toBe(0);
  expect(r.out).toContain('same-subnet.spec.ts');
  expect(r.out).toMatch(/Total: 1 test in 1 file/);
  expect(r.out).not.toContain('HTML report');
});

test('vmmi run --list in a scaffolded project lists its example spec', async () => {
  test.skip(!existsSync(join(repo, 'dist/index.js')), 'needs the build (npm run build): the package exports dist/');
  test.setTimeout(120_000);
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-run-project-'));
  try {
    await scaffold(dir, 'lab');
    // The package as npm would install it: vmmi and the @playwright/test it was built with.
    await mkdir(join(dir, 'node_modules/@playwright'), { recursive: true });
    await symlink(repo, join(dir, 'node_modules/vmmi'));
    await symlink(join(repo, 'node_modules/@playwright/test'), join(dir, 'node_modules/@playwright/test'));
    const r = await vmmiRun(['--list'], dir);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('migrate.spec.ts');
    expect(r.out).toMatch(/Total: 1 test in 1 file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
