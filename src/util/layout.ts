/**
 * Where vmmi's own files are, whether it runs from its TypeScript sources (src/, through tsx or
 * Playwright's transform: a repository checkout) or from the build (dist/, the installed package).
 * src/ and dist/ sit at the same depth under the package root, so a path relative to a module holds in
 * both layouts; only a module started as a process of its own differs: `x.ts` through tsx in src/,
 * plain `x.js` in dist/ (an installed package has no tsx).
 */
import { fileURLToPath } from 'node:url';

/** Root of the vmmi package: the repository in a checkout, `node_modules/vmmi` when installed. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** True when vmmi runs from its sources (src/*.ts), false from dist/*.js. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** Path of vmmi's module `rel` (relative to `moduleUrl`, without extension) in the running layout. */
export function ownModule(moduleUrl: string, rel: string): string {
  return fileURLToPath(new URL(`${rel}${FROM_SOURCE ? '.ts' : '.js'}`, moduleUrl));
}

/**
 * Node arguments (after `node`) that start vmmi's module `rel` as a process: through tsx from the
 * sources (`tsx` is resolved from vmmi's own node_modules, whatever the child's working directory),
 * the compiled module as it is from dist/.
 */
export function ownModuleArgv(moduleUrl: string, rel: string): string[] {
  const file = ownModule(moduleUrl, rel);
  return FROM_SOURCE ? ['--import', import.meta.resolve('tsx'), file] : [file];
}

/**
 * Directory of the built lab helpers (scripts/build-lab-assets: guest image, udprefl, udpprobe,
 * nftinject, tunagent, wanrelay): `VMMI_ASSETS_DIR`, default /var/lib/vmmi/assets. Read at each call so
 * a test or a front end can point it elsewhere.
 */
export function assetsDir(): string {
  return process.env.VMMI_ASSETS_DIR ?? '/var/lib/vmmi/assets';
}
