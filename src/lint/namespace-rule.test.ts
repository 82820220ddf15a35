import { expect, test } from '@playwright/test';
import { ESLint } from 'eslint';
import { join } from 'node:path';
import tseslint from 'typescript-eslint';

/**
 * Namespace entry stays in src/lab/ (eslint.config.js): an argv that enters a network namespace, or an
 * import of exec/netns.js, is an error anywhere else in src/. Linted as generated code under paths the
 * rule does and does not cover (type information off, as in size-rules.test.ts).
 */
const repo = join(import.meta.dirname, '../..');

async function messages(code: string, filePath: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repo, overrideConfig: tseslint.configs.disableTypeChecked });
  const [result] = await eslint.lintText(code, { filePath: join(repo, filePath) });
  expect(result?.messages.filter((m) => m.fatal === true), 'the file parses').toEqual([]);
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

const enter = "export const argv = (ns: string): string[] => ['timeout', '5', 'ip', 'netns', 'exec', ns, 'true'];\n";
const viaN = "export const argv = (ns: string): string[] => ['ip', '-n', ns, 'route'];\n";
const nsenter = "export const argv = ['nsenter', '-t', '1', '-n', 'true'];\n";
const importIt = "export { netnsRunner } from '../exec/netns.js';\n";

test('entering a namespace outside src/lab/ is a lint error', async () => {
  for (const code of [enter, viaN, nsenter, importIt]) {
    for (const where of ['src/harness/x.ts', 'src/probes/udp/x.ts', 'src/index2.ts']) {
      const m = await messages(code, where);
      expect(m, `${where}: ${code}`).toHaveLength(1);
      expect(m[0]).toMatch(/only src\/lab\/ enters network namespaces/);
    }
  }
});

test('src/lab/ may, and a traffic host kind named netns is not an entry', async () => {
  for (const code of [enter, viaN, nsenter, importIt]) expect(await messages(code, 'src/lab/x.ts')).toEqual([]);
  expect(await messages("export const KINDS = ['local', 'netns', 'ssh'] as const;\n", 'src/model/x.ts')).toEqual([]);
  expect(await messages("export const argv = ['ip', '-j', 'neigh', 'show'];\n", 'src/harness/x.ts')).toEqual([]);
});
