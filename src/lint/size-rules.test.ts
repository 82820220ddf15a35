import { expect, test } from '@playwright/test';
import { ESLint } from 'eslint';
import { join } from 'node:path';
import tseslint from 'typescript-eslint';

/**
 * Function size: eslint.config.js limits functions in src/, bench/ and scripts/ to 100 lines (blank
 * lines and comments not counted); tests and specs are exempt. These tests lint generated code with
 * the project's own config, under paths the rule does and does not cover. The code is not on disk,
 * so no tsconfig holds it: type information is switched off (typescript-eslint's disableTypeChecked),
 * which leaves max-lines-per-function, a syntactic rule, as configured.
 */

const repo = join(import.meta.dirname, '../..');

/** A function of `body` + 4 lines, each statement followed by a blank line and a comment (neither counted). */
function fn(body: number): string {
  const lines = Array.from({ length: body }, (_, i) => `  total += ${i};\n\n  // step ${i}`);
  return `export function long(): number {\n  let total = 0;\n${lines.join('\n')}\n  return total;\n}\n`;
}

/** Messages of `rule` when the project's config lints `code` as if it were the file `filePath`. */
async function ruleMessages(code: string, filePath: string, rule: string): Promise<ESLint.LintResult['messages']> {
  const eslint = new ESLint({ cwd: repo, overrideConfig: tseslint.configs.disableTypeChecked });
  const [result] = await eslint.lintText(code, { filePath: join(repo, filePath) });
  expect(result?.messages.filter((m) => m.fatal === true), 'the file parses').toEqual([]);
  return result?.messages.filter((m) => m.ruleId === rule) ?? [];
}

const sizeMessages = (code: string, filePath: string) => ruleMessages(code, filePath, 'max-lines-per-function');
const lengthMessages = (code: string, filePath: string) => ruleMessages(code, filePath, 'max-len');

test('a 120-line function in src/ is reported by max-lines-per-function', async () => {
  const messages = await sizeMessages(fn(116), 'src/x/long.ts');
  expect(messages).toHaveLength(1);
  expect(messages[0]?.severity).toBe(2);
  expect(messages[0]?.line).toBe(1);
  expect(messages[0]?.message).toBe("Function 'long' has too many lines (120). Maximum allowed is 100.");
});

test('the rule covers bench/ and scripts/ too', async () => {
  expect(await sizeMessages(fn(116), 'bench/long.ts')).toHaveLength(1);
  expect(await sizeMessages(fn(116), 'scripts/long.ts')).toHaveLength(1);
});

test('a 60-line function passes, and so does one of 100 lines with blank lines and comments on top', async () => {
  expect(await sizeMessages(fn(56), 'src/x/short.ts')).toEqual([]);
  expect(await sizeMessages(fn(96), 'src/x/limit.ts')).toEqual([]);
  expect(await sizeMessages(fn(97), 'src/x/over.ts')).toHaveLength(1);
});

test('tests and specs are exempt: a long test body is no finding', async () => {
  expect(await sizeMessages(fn(116), 'src/x/long.test.ts')).toEqual([]);
  expect(await sizeMessages(fn(116), 'bench/long.spec.ts')).toEqual([]);
});

test('a code line over 120 characters is reported by max-len, in src/, tests and suites alike', async () => {
  const names = Array.from({ length: 12 }, (_, i) => `alpha${i}`);
  const code = `export const sum = (${names.map((n) => `${n}: number`).join(', ')}): number => 0;\n`;
  expect(code.length).toBeGreaterThan(121);
  for (const path of ['src/x/wide.ts', 'src/x/wide.test.ts', 'suites/x/wide.spec.ts']) {
    const messages = await lengthMessages(code, path);
    expect(messages, path).toHaveLength(1);
    expect(messages[0]?.message).toMatch(/^This line has a length of \d+\. Maximum allowed is 120\.$/);
  }
  expect(await lengthMessages(`export const sum = (${names.slice(0, 4).join(', ')}) => 0;\n`, 'src/x/ok.ts'))
    .toEqual([]);
});

test('max-len: a whole string or template literal is an exception (a message stays greppable), a long comment is not', async () => {
  const message = 'x'.repeat(130);
  expect(await lengthMessages(`export const m = '${message}';\n`, 'src/x/message.ts')).toEqual([]);
  expect(await lengthMessages(`export const m = \`${message}\`;\n`, 'src/x/template.ts')).toEqual([]);
  expect(await lengthMessages(`// ${message}\nexport const n = 1;\n`, 'src/x/comment.ts')).toHaveLength(1);
});
