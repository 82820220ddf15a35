// Lint: typescript-eslint (type-aware) plus the import-boundary rules of the architecture guide.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** One importer per external library: `lib` may only be imported from `allowed`. */
const soleImporters = [
  { lib: 'ssh2', allowed: ['src/transports/ssh.ts'] },
  { lib: 'execa', allowed: ['src/exec/local.ts'] },
  { lib: 'yaml', allowed: ['src/inventory/load.ts'] },
  { lib: 'zod', allowed: ['src/inventory/schema.ts'] },
  { lib: 'csv-stringify', allowed: ['src/report/render-csv.ts'] },
  { lib: 'better-sqlite3', allowed: ['src/report/history.ts'] },
];

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const nodeBuiltins = { group: ['node:*'], message: 'pure module: no node:* imports (take time and I/O as arguments)' };

export default tseslint.config(
  // test/fixtures/lint/ holds deliberate violations, linted only by src/lint/no-cycle.test.ts.
  { ignores: ['node_modules/', 'reports/', 'test-results/', 'playwright-report/', '.vmmi/', 'lab-assets/**/*.c',
    'test/fixtures/lint/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  // No import cycles anywhere (src/, suites/, bench/, scripts/, test/): a cycle makes module load order decide
  // what is initialised. The TypeScript resolver maps the `.js` specifiers of NodeNext to the `.ts` files.
  // import-x/no-cycle skips `import type` edges and has no option to count them: with verbatimModuleSyntax they
  // are erased before run time, so they cannot make a load-order cycle. src/lint/no-cycle.test.ts counts them
  // too (the whole import graph, type-only edges included, has no cycle). No maxDepth: the full graph is cheap.
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: { 'import-x/no-cycle': 'error' },
  },
  // Composition roots, scripts, suites and benches may print.
  { files: ['src/cli/**', 'scripts/**', 'bench/**', 'suites/**', 'src/**/*.test.ts', 'src/playwright/**', 'src/lab/agent/**'],
    rules: { 'no-console': 'off' } },
  // Function size: at most 100 lines, blank lines and comments not counted (src/lint/size-rules.test.ts). Tests and
  // specs are exempt: a test.describe body holds a whole group of tests and is naturally long. Named exceptions: none.
  // An exception would be its own block after this one, naming the file and saying why the function cannot be split.
  { files: ['src/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'], ignores: ['**/*.test.ts', '**/*.spec.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 100, skipBlankLines: true, skipComments: true }] } },
  ...soleImporters.map(({ lib, allowed }) => ({
    files: ['src/**/*.ts'],
    ignores: [...allowed, 'src/**/*.test.ts'],
    rules: restrict([{ group: [lib, `${lib}/*`], message: `only ${allowed.join(', ')} imports ${lib}` }]),
  })),
  // Pure cores: no node:*, no imports outside their allowed folders.
  { files: ['src/model/**/*.ts', 'src/errors/**/*.ts'], ignores: ['**/*.test.ts'],
    rules: restrict([nodeBuiltins, { group: ['../*', '!../model/*', '!../errors/*'], message: 'model/ and errors/ import nothing else from src/' }]) },
  { files: ['src/measure/**/*.ts'], ignores: ['**/*.test.ts'],
    rules: restrict([nodeBuiltins, { group: ['../*', '!../model/*'], message: 'measure/ imports only model/' }]) },
  { files: ['src/**/framing.ts', 'src/**/xdr.ts', 'src/**/frame.ts', 'src/**/uri.ts', 'src/**/resolve.ts',
    'src/**/parse.ts', 'src/**/machine.ts', 'src/report/render-*.ts'], ignores: ['**/*.test.ts', 'src/report/render-csv.ts'],
    rules: restrict([nodeBuiltins]) },
  { files: ['src/report/**/*.ts'], ignores: ['**/*.test.ts'],
    rules: restrict([{ group: ['../playwright/*', '../drivers/*', '../lab/*'], message: 'report/ never imports playwright/, drivers/ or lab/' }]) },
  { files: ['src/drivers/**/*.ts', 'src/probes/**/*.ts', 'src/migration/**/*.ts'], ignores: ['**/*.test.ts'],
    rules: restrict([{ group: ['../inventory/*', '../../inventory/*', '../lab/*', '../../lab/*', '../playwright/*', '../../playwright/*', '../cli/*', '../../cli/*'],
      message: 'drivers/, probes/ and migration/ receive resolved models; no inventory loaders, lab/, playwright/ or cli/' }]) },
  { files: ['src/lab/**/*.ts'], ignores: ['**/*.test.ts'],
    rules: restrict([{ group: ['../drivers/*', '../../drivers/*', '../playwright/*', '../cli/*'], message: 'lab/ never imports drivers/: it only builds what a Testbed describes' }]) },
  { files: ['src/transports/**/*.ts'], ignores: ['**/*.test.ts'],
    rules: restrict([{ group: ['../drivers/*', '../../drivers/*', '../../../drivers/*'], message: 'transports/ never imports drivers/' },
      { group: ['../platforms/*', '../../platforms/*', '../../../platforms/*', '!../platforms/cli-platform.js'],
        message: 'transports/ takes platform data (NETCONF profile, CLI platform) from the caller, not platforms/' },
    ]) },
  { files: ['suites/**/*.ts'],
    rules: restrict([{ group: ['../src/*', '../../src/*', '!../../src/index.js', '!../src/index.js'], message: 'suites import only the package entry (src/index.ts)' }]) },
);
