import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../errors/classes.js';
import { PACKAGE_ROOT } from '../util/layout.js';
import { formatHelp, parseCommand } from './args.js';
import type { Command } from './command.js';
import { INIT } from './suite-specs.js';

export type TestbedKind = 'lab' | 'physical';

/** Shipped with the package (package.json `files`): the files every scaffold gets, and one folder per testbed kind. */
export const TEMPLATES = join(PACKAGE_ROOT, 'templates/init');

/** One file of the scaffold: its path relative to DIR, its content and mode. */
export interface ScaffoldFile {
  readonly path: string;
  readonly content: string;
  readonly mode?: number;
}

export interface Versions {
  /** Version of the running vmmi package. */
  readonly vmmi: string;
  /** Version of @playwright/test vmmi was built with. */
  readonly playwright: string;
  /** devDependencies of vmmi the scaffold reuses (typescript, @types/node), as ranges. */
  readonly dev: Readonly<Record<string, string>>;
}

/** The testbed file of each kind, relative to DIR. */
export const TESTBED_OF: Readonly<Record<TestbedKind, string>> = {
  lab: 'testbeds/local.yaml',
  physical: 'testbeds/physical.yaml',
};

/** vmmi's own version, the @playwright/test it resolves, and its typescript / @types/node ranges. */
export function ownVersions(): Versions {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    version: string; devDependencies?: Record<string, string>; peerDependencies?: Record<string, string>;
  };
  let playwright: string;
  try {
    const req = createRequire(join(PACKAGE_ROOT, 'package.json'));
    playwright = (JSON.parse(readFileSync(req.resolve('@playwright/test/package.json'), 'utf8')) as {
      version: string;
    }).version;
  } catch {
    // Installed without its peer: the range vmmi declares.
    playwright = pkg.peerDependencies?.['@playwright/test'] ?? pkg.devDependencies?.['@playwright/test'] ?? 'latest';
  }
  const dev = Object.fromEntries(['@types/node', 'typescript']
    .flatMap((n) => (pkg.devDependencies?.[n] === undefined ? [] : [[n, pkg.devDependencies[n]]])));
  return { vmmi: pkg.version, playwright, dev };
}

/** An npm package name from a folder name (lower case, no spaces); `vmmi-suite` when nothing is left. */
export function packageName(dir: string): string {
  const n = basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|-+$/g, '');
  return n === '' || n === 'vmmi' ? 'vmmi-suite' : n;
}

export function packageJson(name: string, kind: TestbedKind, v: Versions): string {
  const testbed = TESTBED_OF[kind];
  const run = kind === 'lab' ? 'vmmi run' : `vmmi run --testbed ${testbed}`;
  return `${JSON.stringify({
    name, version: '0.1.0', private: true, type: 'module',
    scripts: { test: run, 'test:list': `${run} --list`, testbed: `vmmi testbed validate ${testbed}` },
    dependencies: { vmmi: `^${v.vmmi}`, '@playwright/test': v.playwright },
    ...(Object.keys(v.dev).length === 0 ? {} : { devDependencies: v.dev }),
  }, null, 2)}\n`;
}

async function filesUnder(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(root, p)));
    else if (e.isFile()) out.push(relative(root, p));
  }
  return out.sort();
}

/** Template name → scaffold name: npm pack leaves out `.gitignore`, so the template is `gitignore`. */
const targetName = (p: string): string => (p === 'gitignore' ? '.gitignore' : p);

/** Everything `vmmi init` writes for `kind`, in order (pure apart from reading the templates). */
export async function scaffoldFiles(dir: string, kind: TestbedKind, v: Versions,
  templates = TEMPLATES): Promise<ScaffoldFile[]> {
  const name = packageName(dir);
  const vars: Readonly<Record<string, string>> = {
    NAME: name, TESTBED: TESTBED_OF[kind],
    TESTBED_KIND: kind === 'lab' ? 'vmmi\'s emulated lab (built on this machine)' : 'a hardware lab',
  };
  const fill = (text: string): string => text.replace(/\{\{([A-Z_]+)\}\}/g, (m, k: string) => vars[k] ?? m);
  const files: ScaffoldFile[] = [{ path: 'package.json', content: packageJson(name, kind, v) }];
  for (const [folder, filled] of [['common', true], [kind, false]] as const) {
    for (const rel of await filesUnder(join(templates, folder))) {
      const text = await readFile(join(templates, folder, rel), 'utf8');
      const secret = rel.startsWith('testbeds/secrets/') && !rel.endsWith('README.md');
      files.push({ path: targetName(rel), content: filled ? fill(text) : text, ...(secret ? { mode: 0o600 } : {}) });
    }
  }
  return files;
}

export interface ScaffoldResult {
  readonly dir: string;
  readonly written: readonly string[];
}

/**
 * Writes the scaffold into `dir` (created when missing). Without `force` nothing is written when any of
 * its files exists: the UsageError names them all.
 */
export async function scaffold(dir: string, kind: TestbedKind, o: { force?: boolean; versions?: Versions } = {},
): Promise<ScaffoldResult> {
  const root = resolve(dir);
  const files = await scaffoldFiles(root, kind, o.versions ?? ownVersions());
  const existing = files.map((f) => f.path).filter((p) => existsSync(join(root, p)));
  if (existing.length > 0 && o.force !== true) {
    throw new UsageError(`${root} already has ${existing.join(', ')}; nothing written`,
      { hint: 'vmmi init --force overwrites them (or choose another DIR)' });
  }
  for (const f of files) {
    const target = join(root, f.path);
    await mkdir(dirname(target), { recursive: true });
    // 'wx' fails on a file that appeared since the check: never a silent overwrite without --force.
    await writeFile(target, f.content, { flag: o.force === true ? 'w' : 'wx', mode: f.mode ?? 0o644 });
  }
  return { dir: root, written: files.map((f) => f.path) };
}

function nextSteps(dir: string, kind: TestbedKind): string[] {
  const rel = relative(process.cwd(), dir);
  const cd = rel.startsWith('..') || isAbsolute(rel) ? dir : rel;
  const testbed = TESTBED_OF[kind];
  return [
    ...(cd === '' ? [] : [`cd ${cd.includes(' ') ? JSON.stringify(cd) : cd}`]),
    'npm install',
    ...(kind === 'physical' ? [`$EDITOR ${testbed}   # your devices, addresses, credentials, known_hosts`] : []),
    `npx vmmi testbed validate ${testbed}`,
    'npm test -- --list   # the specs Playwright finds',
    kind === 'lab' ? 'npm test             # brings the emulated lab up (root), migrates, writes reports/'
      : 'npm test             # migrates on the hardware, writes reports/',
  ];
}

/** `vmmi init [DIR] [--lab | --physical] [--force]`: scaffolds a repository of the user's own suites. */
export const initCommand: Command = {
  summary: INIT.summary,
  usage: INIT.usage,
  async run(args) {
    const { values, positionals, help } = parseCommand(args, INIT);
    if (help) {
      console.log(formatHelp(INIT));
      return 0;
    }
    if (values.lab === true && values.physical === true)
      throw new UsageError('--lab and --physical exclude each other', { hint: `usage: ${INIT.usage}` });
    const kind: TestbedKind = values.physical === true ? 'physical' : 'lab';
    const r = await scaffold(positionals[0] ?? '.', kind, { force: values.force === true });
    console.log(`vmmi init: wrote ${r.written.length} files in ${r.dir} (testbed: ${TESTBED_OF[kind]})`);
    for (const p of r.written) console.log(`  ${p}`);
    console.log('\nnext:');
    for (const l of nextSteps(r.dir, kind)) console.log(`  ${l}`);
    return 0;
  },
};
