import { expect, test } from '@playwright/test';
import { ESLint } from 'eslint';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * No import cycles. eslint.config.js runs import-x/no-cycle on every .ts file; these tests prove the
 * rule bites (on the deliberate fixtures in test/fixtures/lint/, which `npx eslint .` ignores) and
 * cover what the rule skips: edges made only of `import type`, counted here over the whole repository.
 */

const repo = join(import.meta.dirname, '../..');
const fixtures = join(repo, 'test/fixtures/lint');
const CODE_DIRS = ['src', 'suites', 'bench', 'scripts', 'test'];

/** Lints fixture files with the project's own eslint.config.js, its ignores off (the fixtures are ignored). */
async function lintFixtures(dir: string): Promise<Map<string, ESLint.LintResult['messages']>> {
  const eslint = new ESLint({ cwd: repo, ignore: false });
  const results = await eslint.lintFiles([join(fixtures, dir, '*.ts')]);
  return new Map(results.map((r) => [relative(fixtures, r.filePath), r.messages]));
}

test('import-x/no-cycle reports both imports of two modules that import each other', async () => {
  const byFile = await lintFixtures('cycle');
  expect([...byFile.keys()].sort()).toEqual(['cycle/a.ts', 'cycle/b.ts']);
  for (const [file, messages] of byFile) {
    const cycles = messages.filter((m) => m.ruleId === 'import-x/no-cycle');
    expect(cycles, `${file}: ${JSON.stringify(messages)}`).toHaveLength(1);
    expect(cycles[0]?.message).toBe('Dependency cycle detected');
    expect(cycles[0]?.severity).toBe(2);
    expect(cycles[0]?.line).toBe(2);
  }
});

test('the same modules without the back edge lint clean', async () => {
  const byFile = await lintFixtures('no-cycle');
  expect([...byFile.keys()].sort()).toEqual(['no-cycle/a.ts', 'no-cycle/b.ts']);
  for (const [file, messages] of byFile) expect(messages, file).toEqual([]);
});

test('the cycle fixtures stay out of the normal lint run', async () => {
  const eslint = new ESLint({ cwd: repo });
  expect(await eslint.isPathIgnored(join(fixtures, 'cycle/a.ts'))).toBe(true);
  expect(await eslint.isPathIgnored(join(repo, 'src/cli/commands.ts'))).toBe(false);
});

interface Edge {
  readonly to: string;
  readonly typeOnly: boolean;
}

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Relative specifier → .ts file (NodeNext: `./x.js` names `./x.ts`); undefined for packages and non-.ts files. */
function resolveSpecifier(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((p) => p.endsWith('.ts') && existsSync(p));
}

/** Static imports and re-exports of a file; `typeOnly` when the whole declaration is erased (`import type`). */
function importsOf(file: string): Edge[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const edges: Edge[] = [];
  for (const s of sf.statements) {
    let spec: ts.Expression | undefined;
    let typeOnly = false;
    if (ts.isImportDeclaration(s)) {
      spec = s.moduleSpecifier;
      const c = s.importClause;
      const bindings = c?.namedBindings;
      const named = bindings !== undefined && ts.isNamedImports(bindings) ? bindings.elements : [];
      const allNamedAreTypes = c?.name === undefined && named.length > 0 && named.every((e) => e.isTypeOnly);
      typeOnly = c !== undefined && (c.isTypeOnly || allNamedAreTypes);
    } else if (ts.isExportDeclaration(s)) {
      spec = s.moduleSpecifier;
      typeOnly = s.isTypeOnly;
    }
    if (spec === undefined || !ts.isStringLiteral(spec)) continue;
    const to = resolveSpecifier(file, spec.text);
    if (to !== undefined) edges.push({ to, typeOnly });
  }
  return edges;
}

/** Strongly connected components with more than one file (Tarjan), i.e. the import cycles. */
function cycles(files: readonly string[], edges: ReadonlyMap<string, readonly Edge[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const { to } of edges.get(v) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v) as number, low.get(to) as number));
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v) as number, index.get(to) as number));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}

function importCycles(files: readonly string[]): string[][] {
  const edges = new Map(files.map((f) => [f, importsOf(f)]));
  return cycles(files, edges).map((c) => c.map((f) => relative(repo, f)));
}

test('the import-graph check finds a cycle made only of type imports (the lint rule skips those)', async () => {
  const typeCycle = tsFiles(join(fixtures, 'type-cycle'));
  expect(importCycles(typeCycle)).toEqual([['a.ts', 'b.ts'].map((f) => `test/fixtures/lint/type-cycle/${f}`)]);
  expect(importCycles(tsFiles(join(fixtures, 'no-cycle')))).toEqual([]);
  const byFile = await lintFixtures('type-cycle');
  for (const [file, messages] of byFile) {
    expect(messages.filter((m) => m.ruleId === 'import-x/no-cycle'), file).toEqual([]);
  }
});

test('no import cycle in the repository, type-only imports included', () => {
  const files = CODE_DIRS.filter((d) => existsSync(join(repo, d)))
    .flatMap((d) => tsFiles(join(repo, d)))
    .filter((f) => !f.startsWith(fixtures));
  expect(files.length).toBeGreaterThan(100);
  expect(importCycles(files)).toEqual([]);
});
