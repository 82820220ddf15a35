import { existsSync, realpathSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { UsageError } from '../errors/classes.js';
import { spawnInherited } from '../exec/spawn.js';
import { loadTestbed } from '../inventory/load.js';
import { ownModule, PACKAGE_ROOT } from '../util/layout.js';
import { formatHelp, parseCommand, resolveTestbed } from './args.js';
import { RUN } from './suite-specs.js';
import type { Command } from './command.js';
import { OUTCOME_FILE, type RunOutcome } from '../playwright/outcome.js';

const CONFIG_NAMES = ['playwright.config.ts', 'playwright.config.js', 'playwright.config.mjs'] as const;

/** vmmi's own suite: the repository's config, whose `default` project is suites/default. */
export const BUNDLED_CONFIG = join(PACKAGE_ROOT, 'playwright.config.ts');

/** Playwright's built-in reporters; any other name is a module or file Playwright loads. */
const BUILTIN_REPORTERS = new Set(['list', 'line', 'dot', 'json', 'junit', 'html', 'blob', 'github', 'null']);

/** Which Playwright config runs, and whether it is vmmi's own suite. */
export interface SuiteChoice {
  readonly config: string;
  readonly bundled: boolean;
}

/**
 * `--config FILE` (from `cwd`), else the first `playwright.config.{ts,js,mjs}` in `cwd`, else vmmi's
 * bundled suite. A config that is vmmi's own (running in the repository) counts as the bundled suite.
 */
export function chooseSuite(cwd: string, config: string | undefined, exists: (p: string) => boolean = existsSync,
  bundledConfig = BUNDLED_CONFIG): SuiteChoice {
  const same = (p: string): boolean => {
    try {
      return realpathSync(p) === realpathSync(bundledConfig);
    } catch {
      return p === bundledConfig;
    }
  };
  if (config !== undefined) {
    const file = resolve(cwd, config);
    if (!exists(file)) throw new UsageError(`--config ${config}: no such file (${file})`);
    return { config: file, bundled: same(file) };
  }
  const found = CONFIG_NAMES.map((n) => join(cwd, n)).find((p) => exists(p));
  if (found !== undefined) return { config: found, bundled: same(found) };
  if (!exists(bundledConfig)) {
    throw new UsageError(`no ${CONFIG_NAMES.join(', ')} in ${cwd}, and vmmi's default suite is not installed`,
      { hint: 'vmmi init scaffolds a suite project; --config FILE names a Playwright config' });
  }
  return { config: bundledConfig, bundled: true };
}

/** Playwright's own options that `vmmi run` names, checked; `passthrough` is everything after `--`. */
export interface PlaywrightFlags {
  readonly filters: readonly string[];
  readonly projects: readonly string[];
  readonly grep?: string;
  readonly shard?: string;
  readonly workers?: string;
  readonly retries?: string;
  readonly repeat?: string;
  readonly reporter?: string;
  readonly list: boolean;
  readonly passthrough: readonly string[];
}

type FlagValues = Partial<Record<'grep' | 'shard' | 'workers' | 'retries' | 'repeat' | 'reporter', string>>;

/** Checks the named Playwright options; a UsageError names the option, the value and what it takes. */
export function checkFlags(v: FlagValues & { project?: readonly string[] }): void {
  const bad = (flag: string, value: string, want: string): never => {
    throw new UsageError(`--${flag} ${JSON.stringify(value)}: ${want}`, { hint: `usage: ${RUN.usage}` });
  };
  const shard = v.shard === undefined ? undefined : /^(\d+)\/(\d+)$/.exec(v.shard);
  if (v.shard !== undefined && (shard === null || shard === undefined || Number(shard[1]) < 1
    || Number(shard[1]) > Number(shard[2]))) bad('shard', v.shard, 'takes I/N with 1 ≤ I ≤ N (e.g. 1/2)');
  if (v.workers !== undefined && !/^(?:[1-9]\d*|(?:[1-9]\d?|100)%)$/.test(v.workers))
    bad('workers', v.workers, 'takes a positive number or a percentage of the cores (50%)');
  if (v.retries !== undefined && !/^\d+$/.test(v.retries)) bad('retries', v.retries, 'takes a number ≥ 0');
  if (v.repeat !== undefined && !(/^[1-9]\d{0,3}$/.test(v.repeat) && Number(v.repeat) <= 1000))
    bad('repeat', v.repeat, 'takes a number of runs from 1 to 1000');
  if (v.grep !== undefined) {
    if (v.grep === '') bad('grep', v.grep, 'takes a non-empty regular expression');
    try {
      new RegExp(v.grep);
    } catch (e) {
      bad('grep', v.grep, `is not a regular expression (${(e as Error).message})`);
    }
  }
  if (v.reporter !== undefined) {
    for (const r of v.reporter.split(',')) {
      if (r.trim() === '' || /\s/.test(r))
        bad('reporter', v.reporter, `takes reporters separated by commas (${[...BUILTIN_REPORTERS].join(', ')}, or a module)`);
    }
  }
  for (const p of v.project ?? []) if (p.trim() === '') bad('project', p, 'takes a project name');
}

/**
 * Arguments of `playwright` (after its cli.js) for one run. The bundled suite runs its `default`
 * project with list, vmmi's reporter and JUnit unless told otherwise; a project's own config keeps its
 * projects and reporters. `--list` alone lists with the list reporter (listing writes no reports).
 * Arguments after `--` come last, unchanged.
 */
export function playwrightArgv(suite: SuiteChoice, f: PlaywrightFlags, vmmiReporter: string): string[] {
  const projects = f.projects.length > 0 ? f.projects : suite.bundled ? ['default'] : [];
  const reporter = f.reporter ?? (f.list ? 'list' : suite.bundled ? `list,${vmmiReporter},junit` : undefined);
  const opt = (name: string, value: string | undefined): string[] => (value === undefined ? [] : [`--${name}=${value}`]);
  return [
    'test', `--config=${suite.config}`,
    ...projects.map((p) => `--project=${p}`),
    ...opt('reporter', reporter),
    ...opt('grep', f.grep), ...opt('shard', f.shard), ...opt('workers', f.workers), ...opt('retries', f.retries),
    ...opt('repeat-each', f.repeat),
    ...(f.list ? ['--list'] : []),
    ...f.filters,
    ...f.passthrough,
  ];
}

/**
 * Playwright's cli.js: the one of the suite's project (its own @playwright/test, the same module its
 * config and specs import) found from `fromDir` up, else vmmi's.
 */
export function playwrightCli(fromDir: string): string {
  for (const base of [join(fromDir, 'package.json'), join(PACKAGE_ROOT, 'package.json')]) {
    try {
      return createRequire(base).resolve('@playwright/test/cli');
    } catch {
      // not installed there
    }
  }
  throw new UsageError('@playwright/test is not installed', { hint: 'npm install @playwright/test' });
}

async function reportFolders(out: string): Promise<string[]> {
  return (await readdir(out, { withFileTypes: true }).catch(() => []))
    .filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

async function runChild(argv: readonly string[], cwd: string, env: Record<string, string>): Promise<number> {
  return new Promise<number>((done) => {
    const child = spawnInherited(argv, { cwd, keepLocale: true, env });
    child.on('exit', (c, sig) => done(c ?? (sig === null ? 1 : 128)));
    child.on('error', () => done(1));
  });
}

/** Prints where the run's reports are: the report folder it made, JUnit and history (those it wrote). */
async function printReports(out: string, before: readonly string[], startedMs: number): Promise<void> {
  const folder = (await reportFolders(out)).filter((n) => !before.includes(n)).at(-1);
  if (folder !== undefined) {
    const dir = join(out, folder);
    console.log(`vmmi run: HTML report ${join(dir, 'index.html')}`);
    console.log(`vmmi run: CSV ${join(dir, 'runs.csv')}, ${join(dir, 'episodes.csv')}, ${join(dir, 'timeline.csv')}`);
  }
  const junit = join(out, 'junit.xml');
  const history = join(out, 'history.sqlite');
  const fresh = async (f: string): Promise<boolean> =>
    ((await stat(f).catch(() => undefined))?.mtimeMs ?? -Infinity) >= startedMs - 1000;
  const more = [await fresh(junit) ? `JUnit ${junit}` : '', await fresh(history) ? `history ${history}` : '']
    .filter((s) => s !== '');
  if (more.length > 0) console.log(`vmmi run: ${more.join(', ')}`);
}

/** What one `vmmi run` does: the suite, the Playwright arguments, the testbed and reports folder. */
export interface RunPlan {
  readonly suite: SuiteChoice;
  readonly argv: readonly string[];
  readonly testbed: ReturnType<typeof resolveTestbed>;
  readonly out: string;
  readonly list: boolean;
}

/**
 * Parses `vmmi run`'s arguments (from `cwd`) into a plan: checks the named Playwright options, finds
 * the suite and builds Playwright's argv. Undefined for `--help`. Reads nothing but whether configs exist.
 */
export function planRun(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env,
  vmmiReporter = ownModule(import.meta.url, '../playwright/reporter')): RunPlan | undefined {
  const { values, positionals, passthrough, help } = parseCommand(args, RUN);
  if (help) return undefined;
  checkFlags(values);
  const suite = chooseSuite(cwd, values.config);
  const flags: PlaywrightFlags = {
    filters: positionals, projects: values.project ?? [], list: values.list === true, passthrough,
    ...pick(values, ['grep', 'shard', 'workers', 'retries', 'repeat', 'reporter']),
  };
  const given = resolveTestbed(typeof values.testbed === 'string' ? values.testbed : undefined, env);
  return {
    suite, argv: playwrightArgv(suite, flags, vmmiReporter), list: flags.list,
    testbed: { ...given, path: resolve(cwd, given.given) }, out: resolve(cwd, values.out ?? 'reports'),
  };
}

/**
 * `vmmi run`: the main job. Finds the suite (the project's Playwright config, else vmmi's default
 * suite), validates the testbed, runs Playwright (the project's own, else vmmi's) in the config's
 * folder with VMMI_TESTBED and VMMI_REPORT_DIR set (the `lab` fixture brings the emulated lab up when
 * the testbed is one), and prints where the reports are.
 */
export const runCommand: Command = {
  summary: RUN.summary,
  usage: RUN.usage,
  async run(args) {
    const plan = planRun(args, process.cwd());
    if (plan === undefined) {
      console.log(formatHelp(RUN));
      return 0;
    }
    const { suite, testbed, out } = plan;
    const shown = suite.bundled ? 'vmmi\'s default suite' : relative(process.cwd(), suite.config) || suite.config;
    if (!plan.list) {
      const tb = await loadTestbed(testbed.path);
      console.log(`vmmi run: testbed ${tb.name} (${testbed.given}), suite ${shown}, reports under ${out}`);
    }
    const before = await reportFolders(out);
    const startedMs = Date.now();
    const code = await runChild([process.execPath, playwrightCli(dirname(suite.config)), ...plan.argv],
      dirname(suite.config), {
        VMMI_TESTBED: testbed.path, VMMI_REPORT_DIR: out, PLAYWRIGHT_JUNIT_OUTPUT_NAME: join(out, 'junit.xml'),
      });
    if (plan.list) return code;
    await printReports(out, before, startedMs);
    return exitFromOutcome(code, await readOutcome(out, startedMs));
  },
};

/** The reporter's outcome of this run (written after `startedMs`), when vmmi's reporter ran. */
async function readOutcome(out: string, startedMs: number): Promise<RunOutcome | undefined> {
  const file = join(out, OUTCOME_FILE);
  const st = await stat(file).catch(() => undefined);
  if (st === undefined || st.mtimeMs < startedMs - 1000) return undefined;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as RunOutcome;
  } catch {
    return undefined;
  }
}

/**
 * Playwright's exit code refined by the outcome: a failed run whose failures were all ERRORED
 * measurements or infrastructure exits 3; a threshold failure exits 1 (outcome.ts). A passing
 * Playwright run stays 0, and without an outcome (another reporter) Playwright's code stands.
 */
export function exitFromOutcome(playwrightCode: number, outcome: RunOutcome | undefined): number {
  if (playwrightCode === 0 || outcome === undefined) return playwrightCode;
  return outcome.exitCode === 0 ? playwrightCode : outcome.exitCode;
}

function pick<K extends string>(o: Partial<Record<K, unknown>>, keys: readonly K[]): Partial<Record<K, string>> {
  return Object.fromEntries(keys.flatMap((k) => (typeof o[k] === 'string' ? [[k, o[k]]] : []))) as Partial<
    Record<K, string>
  >;
}
