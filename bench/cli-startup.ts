/**
 * Start-up time of the `vmmi` command: `node bin/vmmi.js --help` (the compiled CLI in dist/) against
 * the same command from the sources through tsx (`node --import tsx src/cli/main.ts`, the pre-build
 * way), and Node alone as the floor; median of N runs each, interleaved so that other load on the
 * cores hits all alike; and what `--help` loads before it runs: the static import closure of
 * dist/cli/main.js (modules and packages).
 * Prints figures, reference and ratio; asserts nothing. Target: ≤ 0.3 s from dist/.
 * Usage: npm run build && npx tsx bench/cli-startup.ts [RUNS]     (RUNS default 15)
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileText } from '../src/exec/spawn.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.argv[2] ?? 15);
const TARGET_S = 0.3;

/** The tsx run: src/cli/main.ts exports main() only, so a one-line ESM entry calls it as bin/vmmi.js does. */
const TSX_ENTRY = `import { main } from ${JSON.stringify(join(REPO, 'src/cli/main.ts'))};`
  + ' process.exitCode = await main(process.argv.slice(1));';

const VARIANTS = {
  dist: [process.execPath, join(REPO, 'bin/vmmi.js'), '--help'],
  tsx: [process.execPath, '--import', 'tsx', '--input-type=module', '-e', TSX_ENTRY, '--', '--help'],
  /** Node alone, printing the same word: the floor under both. */
  node: [process.execPath, '-e', 'console.log("usage: vmmi")'],
} as const;

async function timeOnce(argv: readonly string[]): Promise<number> {
  const t0 = performance.now();
  const r = await execFileText(argv, { cwd: REPO, timeoutMs: 30_000 });
  const ms = performance.now() - t0;
  if (!r.stdout.includes('usage: vmmi')) throw new Error(`unexpected output of ${argv.join(' ')}: ${r.stdout.slice(0, 500)}`);
  return ms;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Relative specifiers of the static imports and re-exports of an ES module's text (dynamic import() excluded). */
function staticImports(text: string): string[] {
  const re = /^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?\s*['"]([^'"]+)['"]/gm;
  return [...text.matchAll(re)].map((m) => m[1] as string);
}

/** Modules of dist/ and bare packages that loading `entry` loads before any of its code runs. */
function eagerClosure(entry: string): { modules: string[]; packages: string[] } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/')
        : (spec.split('/')[0] as string));
    }
  };
  walk(entry);
  return { modules: [...seen].map((f) => f.slice(REPO.length)).sort(), packages: [...packages].sort() };
}

async function main(): Promise<void> {
  const entry = join(REPO, 'dist/cli/main.js');
  if (!existsSync(entry)) throw new Error('dist/ is missing: run npm run build');
  console.log(`cli-startup: ${RUNS} runs each, interleaved; ${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)}`);
  await timeOnce(VARIANTS.dist); // warm the file cache for both
  await timeOnce(VARIANTS.tsx);
  const times: Record<keyof typeof VARIANTS, number[]> = { dist: [], tsx: [], node: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const v of ['dist', 'tsx', 'node'] as const) times[v].push(await timeOnce(VARIANTS[v]));
  }
  const dist = median(times.dist) / 1000;
  const tsx = median(times.tsx) / 1000;
  const range = (xs: number[]): string => `${(Math.min(...xs) / 1000).toFixed(3)}–${(Math.max(...xs) / 1000).toFixed(3)}`;
  console.log(`node bin/vmmi.js --help (dist/):        median ${dist.toFixed(3)} s (range ${range(times.dist)} s)`
    + `  target ≤ ${TARGET_S} s`);
  console.log(`node --import tsx src/cli/main.ts --help: median ${tsx.toFixed(3)} s (range ${range(times.tsx)} s)`
    + '  reference');
  console.log(`node -e (Node alone):                    median ${(median(times.node) / 1000).toFixed(3)} s `
    + `(range ${range(times.node)} s)  floor`);
  console.log(`ratio dist/tsx: ${(dist / tsx).toFixed(2)} (${(tsx / dist).toFixed(1)}× faster from dist/)`);
  const c = eagerClosure(entry);
  console.log(`--help loads eagerly: ${c.modules.length} modules of dist/ (${c.modules.join(', ')}); `
    + `packages: ${c.packages.length === 0 ? 'none' : c.packages.join(', ')}`);
}

await main();
