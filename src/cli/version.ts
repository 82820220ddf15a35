import { readFileSync } from 'node:fs';

/**
 * The package version from package.json, found relative to this module: `src/cli/version.ts` and a
 * built `dist/cli/version.js` are both two levels below the package root.
 */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
