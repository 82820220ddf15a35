/**
 * One ES module built from one of vmmi's entry points with esbuild, cached on disk by the content of
 * its sources. This is the only file that imports esbuild.
 *
 * Cache contract: `<cacheDir>/<name>.inputs.json` records the absolute paths of every source file the
 * last build read (esbuild's metafile), a key over their contents (plus the esbuild version and the
 * build options) and the bundle file `<name>-<key>.mjs`. A call first re-hashes those files: same key
 * and the bundle present → the cached file is returned without building; anything else (an edited
 * source, a new import, no manifest) → rebuilt. Works the same from a checkout (src/*.ts) and from the
 * build (dist/*.js): esbuild is a runtime dependency.
 *
 * Files are written aside and renamed, so a process starting the previous bundle never reads half a
 * file, and bundles are named by key, so a lab still running an older agent keeps its file.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { build, version as esbuildVersion } from 'esbuild';
import { VmmiError } from '../errors/vmmi-error.js';
import { withDeadline, type IoOptions } from './abort.js';
import { PACKAGE_ROOT } from './layout.js';

export interface BundleSpec {
  /** File-name stem of the bundle and its manifest (`[a-z0-9-]+`). */
  readonly name: string;
  /** Absolute path of the entry module (`ownModule(import.meta.url, './main')`). */
  readonly entry: string;
  /**
   * `external`: bare imports stay imports, resolved from vmmi's node_modules at run time (the bundle
   * must then live under the package, see `cacheDir`). `bundle`: everything inlined, so the file runs
   * with nothing but `node` (a remote host).
   */
  readonly packages: 'external' | 'bundle';
  /** Oldest Node the bundle must run on, e.g. `node18`. */
  readonly target: string;
  /** Default: `<package>/node_modules/.cache/vmmi`; `VMMI_CACHE_DIR` overrides it. */
  readonly cacheDir?: string;
}

interface Manifest {
  readonly key: string;
  readonly inputs: readonly string[];
  readonly file: string;
}

/** `<package>/node_modules/.cache/vmmi` (inside the package, so external imports resolve from there). */
export function defaultCacheDir(): string {
  return process.env.VMMI_CACHE_DIR ?? join(PACKAGE_ROOT, 'node_modules', '.cache', 'vmmi');
}

/** Where a self-contained bundle goes when the package's own folder is not writable (installed read-only). */
function fallbackCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'vmmi');
}

/** Key over esbuild's version, the options and every input's path and bytes (missing file → 'missing'). */
async function keyOf(spec: BundleSpec, inputs: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify([esbuildVersion, spec.entry, spec.packages, spec.target]));
  for (const f of inputs) {
    h.update(`\0${f}\0`);
    h.update(await readFile(f).catch(() => 'missing'));
  }
  return h.digest('hex').slice(0, 20);
}

async function cached(spec: BundleSpec, dir: string): Promise<string | undefined> {
  try {
    const m = JSON.parse(await readFile(join(dir, `${spec.name}.inputs.json`), 'utf8')) as Manifest;
    if (m.key !== (await keyOf(spec, m.inputs))) return undefined;
    const file = join(dir, m.file);
    await stat(file);
    return file;
  } catch {
    return undefined; // no manifest, unreadable, or the bundle was removed: rebuild
  }
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

async function rebuild(spec: BundleSpec, dir: string): Promise<string> {
  const out = await build({
    entryPoints: [spec.entry], bundle: true, platform: 'node', format: 'esm', target: spec.target,
    ...(spec.packages === 'external' ? { packages: 'external' as const } : {}),
    // Inlined CommonJS dependencies call require() for node built-ins: give the ES module one.
    banner: spec.packages === 'bundle'
      ? { js: "import { createRequire as __vmmiCreateRequire } from 'node:module';\n" +
        'const require = __vmmiCreateRequire(import.meta.url);' }
      : {},
    logLevel: 'silent', sourcemap: spec.packages === 'external' ? 'inline' : false, write: false, metafile: true,
    outfile: join(dir, `${spec.name}.mjs`),
  });
  const text = out.outputFiles?.[0]?.contents;
  if (text === undefined || out.metafile === undefined) throw new Error('esbuild produced no output');
  const cwd = process.cwd();
  const inputs = Object.keys(out.metafile.inputs).map((p) => (isAbsolute(p) ? p : resolve(cwd, p))).sort();
  const key = await keyOf(spec, inputs);
  const file = `${spec.name}-${key}.mjs`;
  await writeAtomic(join(dir, file), text);
  await writeAtomic(join(dir, `${spec.name}.inputs.json`), `${JSON.stringify({ key, inputs, file }, null, 1)}\n`);
  return join(dir, file);
}

async function inDir(spec: BundleSpec, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return (await cached(spec, dir)) ?? rebuild(spec, dir);
}

const memo = new Map<string, Promise<string>>();

/**
 * Path of the bundle of `spec`, built when its sources changed (~50-300 ms) and reused otherwise;
 * once per process per spec. A self-contained bundle falls back to `~/.cache/vmmi` when the package's
 * cache folder cannot be written. Rejects with a VmmiError (code INTERNAL) carrying esbuild's message.
 */
export function bundleFile(spec: BundleSpec, io: IoOptions = {}): Promise<string> {
  if (!/^[a-z0-9-]+$/.test(spec.name)) throw new TypeError(`bundle name ${JSON.stringify(spec.name)}: use [a-z0-9-]`);
  const id = JSON.stringify([spec.name, spec.entry, spec.packages, spec.target, spec.cacheDir]);
  let p = memo.get(id);
  if (p === undefined) {
    const dir = spec.cacheDir ?? defaultCacheDir();
    p = inDir(spec, dir).catch((e: unknown) => {
      const code = (e as { code?: string }).code;
      if (spec.cacheDir === undefined && spec.packages === 'bundle' && (code === 'EACCES' || code === 'EROFS')) {
        return inDir(spec, fallbackCacheDir());
      }
      throw e;
    }).catch((e: unknown) => {
      throw new VmmiError('INTERNAL', `cannot bundle ${spec.entry}: ${e instanceof Error ? e.message : String(e)}`,
        { operation: `bundle ${spec.name}`, cause: e, hint: 'is esbuild installed (npm install)?' });
    });
    memo.set(id, p);
    p.catch(() => memo.delete(id));
  }
  return withDeadline(p, `bundle ${spec.name}`, { ...io, ctx: { operation: `bundle ${spec.name}` } });
}
