/**
 * vmmi as a user gets it: `npm pack` of this checkout installed into a fresh project in a temporary
 * folder, and the commands run there as a user would (`npx vmmi ...`), never through the checkout.
 * Shared by the package specs of the integration project (no root) and of the lab project (root, the
 * emulated lab). Every child runs in its own process group, killed as a whole when its time is up.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string;
  readonly ms: number }

/**
 * The environment of a child that must not see the outer test run: no npm script variables (npm test
 * sets npm_config_* and npm_package_*), no Playwright runner or worker variables, no loader options,
 * no VMMI_* settings of this checkout.
 */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const drop = /^(npm_|PLAYWRIGHT_|PW_|TEST_|VMMI_|NODE_OPTIONS$|FORCE_COLOR$)/i;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !drop.test(k)));
  return { ...env, NO_COLOR: '1', npm_config_audit: 'false', npm_config_fund: 'false',
    npm_config_update_notifier: 'false', ...extra };
}

/** Runs `argv` in `cwd`; after `timeoutMs` its whole process group is SIGKILLed (npm's children too). */
export function run(argv: readonly string[], cwd: string, timeoutMs: number,
  env: NodeJS.ProcessEnv = cleanEnv()): Promise<Run> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('empty argv');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${timeoutMs} ms]`;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    const done = (code: number | null): void => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    };
    child.on('error', (e) => ((stderr += String(e)), done(null)));
    child.on('close', done);
  });
}

/** `what failed (exit N): stderr` for an assertion message. */
export const why = (what: string, r: Run): string =>
  `${what} (exit ${r.code}, ${r.ms} ms)\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;

async function versionOf(pkg: string): Promise<string> {
  const text = await readFile(join(REPO, 'node_modules', pkg, 'package.json'), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** This checkout's own package.json version. */
export async function repoVersion(): Promise<string> {
  return (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * `npm pack` of this checkout (its `prepack` builds dist/) into a new temporary folder. Returns the
 * tarball's path and the listing of its files.
 */
export async function packTarball(root: string): Promise<{ tarball: string; files: string[]; ms: number }> {
  const p = await run(['npm', 'pack', '--pack-destination', root, '--loglevel=error'], REPO, 300_000);
  if (p.code !== 0) throw new Error(why('npm pack failed', p));
  const name = (await readdir(root)).find((n) => n.endsWith('.tgz'));
  if (name === undefined) throw new Error(why('npm pack wrote no tarball', p));
  const tarball = join(root, name);
  const t = await run(['tar', '-tzf', tarball], root, 60_000);
  if (t.code !== 0) throw new Error(why('tar -tzf failed', t));
  return { tarball, files: t.stdout.split('\n').filter((l) => l !== '').map((l) => l.replace(/^package\//, '')),
    ms: p.ms };
}

/**
 * Installs `tarball` with the @playwright/test of this checkout into `npm init -y` in `<root>/project`.
 * better-sqlite3 (native) is given the binary this checkout built for the same Node, as a local
 * prebuild (`npm_config_better_sqlite3_local_prebuilds`), and pinned to that version: compiling it from
 * source costs about three minutes of both cores. VMMI_PACKAGE_NATIVE_BUILD=1 compiles it as a fresh
 * machine would (no pin, no prebuild).
 */
export async function installProject(root: string, tarball: string): Promise<{ project: string; ms: number }> {
  const project = join(root, 'project');
  await mkdir(project);
  const init = await run(['npm', 'init', '-y'], project, 60_000);
  if (init.code !== 0) throw new Error(why('npm init -y failed', init));
  const deps = [tarball, `@playwright/test@${await versionOf('@playwright/test')}`];
  const env: Record<string, string> = {};
  if (process.env.VMMI_PACKAGE_NATIVE_BUILD !== '1') {
    const sqlite = await versionOf('better-sqlite3');
    const prebuilds = join(root, 'prebuilds');
    await mkdir(prebuilds);
    const name = `better-sqlite3-v${sqlite}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
    const t = await run(['tar', '-czf', join(prebuilds, name), '-C', join(REPO, 'node_modules/better-sqlite3'),
      'build/Release/better_sqlite3.node'], root, 60_000);
    if (t.code !== 0) throw new Error(why('packing the better-sqlite3 prebuild failed', t));
    deps.push(`better-sqlite3@${sqlite}`);
    env.npm_config_better_sqlite3_local_prebuilds = prebuilds;
  }
  const i = await run(['npm', 'install', '--loglevel=error', ...deps], project, 900_000, cleanEnv(env));
  if (i.code !== 0) throw new Error(why('npm install of the tarball failed', i));
  return { project, ms: i.ms };
}

/** A temporary folder for one packed project (removed by the caller, also on failure). */
export async function packedProjectRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'vmmi-package-'));
}

/** Removes a temporary folder made by packedProjectRoot. */
export async function removeRoot(root: string | undefined): Promise<void> {
  if (root !== undefined) await rm(root, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * `npx vmmi <args>` in `cwd`, as `npx --no -- vmmi <args>`: the installed bin, never a download (`--no`),
 * and `--` so that npx leaves options such as `--version` to vmmi.
 */
export function npxVmmi(args: readonly string[], cwd: string, timeoutMs = 120_000,
  env: NodeJS.ProcessEnv = cleanEnv()): Promise<Run> {
  return run(['npx', '--no', '--', 'vmmi', ...args], cwd, timeoutMs, env);
}
