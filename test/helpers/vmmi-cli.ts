/**
 * Runs the `vmmi` CLI from the TypeScript sources in a child process (tsx's loader), so CLI tests see
 * the code under test rather than a dist/ build that may be older.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileText } from '../../src/exec/spawn.js';

export const repo = join(import.meta.dirname, '../..');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const ENTRY = `const { main } = await import(${JSON.stringify(pathToFileURL(join(repo, 'src/cli/main.ts')).href)});
process.exitCode = await main(process.argv.slice(1));`;

/** `vmmi ARGS` in `cwd` (default: the repository); `env` replaces the variables it names (undefined: unset). */
export async function vmmiCli(
  args: readonly string[], o: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  // The calling environment's VMMI_TESTBED would replace the default testbed: a test names it when it wants one.
  const env = { VMMI_TESTBED: undefined, ...o.env };
  const loader = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
  try {
    const r = await execFileText([process.execPath, '--import', loader, '--input-type=module', '-e', ENTRY, '--', ...args],
      { cwd: o.cwd ?? repo, env, keepLocale: true });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}
