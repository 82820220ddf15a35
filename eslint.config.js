// Lint: typescript-eslint (type-aware) plus the import-boundary rules of the architecture guide.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { builtinRules } from 'eslint/use-at-your-own-risk';

/** One importer per external library: `lib` may only be imported from `allowed`. */
const soleImporters = [
  { lib: 'ssh2', allowed: ['src/transports/ssh.ts'] },
  { lib: 'execa', allowed: ['src/exec/local.ts'] },
  // Testbeds and certification profiles are separate documents, each with its one reader and schema.
  { lib: 'yaml', allowed: ['src/inventory/load.ts', 'src/certify/profile-yaml.ts'] },
  { lib: 'zod', allowed: ['src/inventory/schema.ts', 'src/certify/profile-schema.ts'] },
  { lib: 'csv-stringify', allowed: ['src/report/render-csv.ts'] },
  { lib: 'better-sqlite3', allowed: ['src/report/history.ts'] },
  { lib: 'pg', allowed: ['src/report/history-postgres.ts'] },
  { lib: 'esbuild', allowed: ['src/util/bundle.ts'] },
];

// Flat config replaces, never merges, the options of one rule set by two blocks that match a file: with a single
// no-restricted-imports the last matching block would win and the others would silently not apply. So each kind of
// restriction that spans folders is its own copy of the rule (vmmi/sole-importer, vmmi/spawn, vmmi/pure) whose
// blocks never overlap; the folder boundaries (report/, drivers/ probes/ migration/, lab/, transports/, suites/)
// are disjoint and keep the core rule.
const importRule = builtinRules.get('no-restricted-imports');
const vmmi = { rules: { 'sole-importer': importRule, spawn: importRule, pure: importRule } };
const restrict = (patterns, rule = 'no-restricted-imports') => ({ [rule]: ['error', { patterns }] });
const soleImporterPatterns = (except) => soleImporters.filter((s) => s.lib !== except)
  .map(({ lib, allowed }) => ({ group: [lib, `${lib}/*`], message: `only ${allowed.join(', ')} imports ${lib}` }));
/**
 * Relative imports may leave the folder only towards `allowed`: folder prefixes ('../model/') or files
 * ('../topology.js'). A regex, since gitignore negations cannot re-include a file under an excluded '../*'.
 */
const onlyImports = (allowed, message) => {
  const esc = (a) => a.slice(3).replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + (a.endsWith('/') ? '' : '$');
  return { regex: `^\\.\\./(?!(?:${allowed.map(esc).join('|')}))`, message };
};
const nodeBuiltins = { group: ['node:*'], message: 'pure module: no node:* imports (take time and I/O as arguments)' };

export default tseslint.config(
  // test/fixtures/lint/ holds deliberate violations, linted only by src/lint/no-cycle.test.ts. dist/ is the
  // build's output (npm run build): its sources are linted.
  { ignores: ['node_modules/', 'dist/', 'reports/', 'test-results/', 'playwright-report/', '.vmmi/',
    'lab-assets/**/*.c', 'test/fixtures/lint/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { plugins: { vmmi } },
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
  // too (the whole import graph, type-only edges included, has no cycle). No maxDepth: walking the whole graph
  // (each file parsed once more, without types) costs about a tenth of the CPU time of `npx eslint .`.
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: { 'import-x/no-cycle': 'error' },
  },
  // Composition roots, scripts, suites, benches and test code (test/: fakes, helpers, corpora) may print.
  { files: ['src/cli/**', 'scripts/**', 'bench/**', 'suites/**', 'test/**', 'src/**/*.test.ts', 'src/playwright/**',
    'src/lab/agent/**'],
    rules: { 'no-console': 'off' } },
  // Function size: at most 100 lines, blank lines and comments not counted (src/lint/size-rules.test.ts). Tests and
  // specs are exempt: a test.describe body holds a whole group of tests and is naturally long. Named exceptions: none.
  // An exception would be its own block after this one, naming the file and saying why the function cannot be split.
  { files: ['src/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'], ignores: ['**/*.test.ts', '**/*.spec.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 100, skipBlankLines: true, skipComments: true }] } },
  // Line length: 120 everywhere (src/lint/size-rules.test.ts). Exceptions, each for a reason: a string or template
  // literal (an error message, a test title, device output, a CSS rule) is kept whole so that grep finds it as the
  // user sees it; a URL or a regular expression cannot be broken without changing it.
  { files: ['**/*.ts', '**/*.js'],
    rules: { 'max-len': ['error', { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreUrls: true,
      ignoreRegExpLiterals: true }] } },
  // One importer per library: no src/ file imports any of them, except each importer its own library.
  { files: ['src/**/*.ts'], ignores: ['src/**/*.test.ts'],
    rules: restrict(soleImporterPatterns(), 'vmmi/sole-importer') },
  ...soleImporters.map(({ lib, allowed }) => ({
    files: allowed,
    rules: restrict(soleImporterPatterns(lib), 'vmmi/sole-importer'),
  })),
  // Processes start in src/exec/ only (spawn.ts, spawn-stream.ts): argv arrays, LC_ALL=C, PIDs the caller can
  // check. node:cluster forks processes too. node:worker_threads is allowed: a worker is a thread of this process,
  // with no argv, locale or PID of its own, and ends with it. Suites and *.test.ts are exempt: they drive vmmi from
  // outside as an operator would (run the CLI, compile and start injectors, make keys), so their checks never rest
  // on the code they check. test/ fakes and helpers are not exempt.
  { files: ['**/*.ts', '**/*.js'], ignores: ['src/exec/**', 'suites/**', '**/*.test.ts'],
    rules: restrict([{ group: ['node:child_process', 'child_process', 'node:cluster', 'cluster'],
      message: 'processes start in src/exec/ (spawn.ts: spawnPiped, spawnDetached, spawnInherited, execFileText)' }],
    'vmmi/spawn') },
  // Pure cores: no node:* (time and I/O come in as arguments). Folders whose every file is pure, with the only
  // folders they may import from:
  { files: ['src/model/**/*.ts', 'src/errors/**/*.ts'], ignores: ['**/*.test.ts'],
    rules: restrict([nodeBuiltins, onlyImports(['../model/', '../errors/'],
      'model/ and errors/ import nothing else from src/')], 'vmmi/pure') },
  { files: ['src/measure/**/*.ts'], ignores: ['**/*.test.ts'],
    rules: restrict([nodeBuiltins, onlyImports(['../model/'], 'measure/ imports only model/')], 'vmmi/pure') },
  // The executor: hosts, switches and probes reach it only through the interfaces of migration/types.ts.
  { files: ['src/migration/*.ts'], ignores: ['**/*.test.ts'],
    rules: restrict([nodeBuiltins, onlyImports(['../model/', '../errors/', '../measure/', '../util/'],
      'migration/ imports only model/, errors/, measure/ and util/ (drivers come in through types.ts)')],
    'vmmi/pure') },
  { files: ['src/migration/strategies/*.ts'], ignores: ['**/*.test.ts'],
    rules: restrict([nodeBuiltins, onlyImports(['../topology.js', '../../model/', '../../errors/'],
      'strategies import only model/, errors/ and migration/topology.ts')], 'vmmi/pure') },
  { files: ['src/platforms/*.ts'], ignores: ['**/*.test.ts'],
    rules: restrict([nodeBuiltins, onlyImports(['../model/', '../errors/', '../transports/netconf/hello.js'],
      'platforms/ is data: it imports only model/, errors/ and the NETCONF profile (transports/netconf/hello.ts)')],
    'vmmi/pure') },
  { files: ['src/exec/classify/*.ts'], ignores: ['**/*.test.ts'],
    rules: restrict([nodeBuiltins, onlyImports(['../types.js', '../../errors/'],
      'exec/classify/ reads command results: it imports only exec/types.ts and errors/')], 'vmmi/pure') },
  // Folders that mix pure files and I/O, pure files by name. The others: report/history.ts (SQLite) and write.ts
  // (writes the report folder); inventory/load.ts (reads files) and define.ts (process.env, cwd); the transports'
  // clients, sessions and sockets (streams, SSH, TLS); in probes/, tunnel/, drivers/ and lab/ the code that runs
  // commands, agents and daemons next to its parsers and payload builders.
  { files: ['src/report/{html-*,render-*,model,record,record-parse,trend}.ts',
    'src/inventory/{resolve*,schema,ip}.ts', 'src/transports/ssh-quote.ts',
    'src/transports/libvirt/{frame,xdr,uri,protocol,enums}.ts',
    'src/transports/netconf/{framing,hello,xml,xml-build,operations,notifications,notification-queue,rpc-error}.ts',
    'src/probes/*/parse.ts', 'src/probes/udp/{collect,records,results,wire}.ts', 'src/probes/tcp-session/frame.ts',
    'src/probes/conflict/records.ts', 'src/probes/guest-control/memcheck.ts', 'src/tunnel/header.ts',
    'src/drivers/hypervisor/virsh-parse.ts', 'src/drivers/switch/{frr-parse,config-diff,payload-cases}.ts',
    'src/lab/topology.ts', 'src/util/redact.ts'], ignores: ['**/*.test.ts'],
    rules: restrict([nodeBuiltins], 'vmmi/pure') },
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
  // Namespace entry stays in the emulated lab (src/lab/: build, tear down, its TestbedAccess) and, outside src/, the
  // fault kit: the harness, probes, drivers and transports reach devices through management interfaces only. At run
  // time exec/namespace-guard.ts refuses any namespace entry while a testbed without a lab section is open.
  // The mechanism (exec/netns.ts) is imported only by the lab and by the two places that run a process at a
  // placement the lab chose (a probe of kind netns, a tunnel agent with a namespace); a netns placement or
  // traffic host is built only in src/lab/ (and test fixtures).
  { files: ['src/**/*.ts'], ignores: ['src/lab/**', 'src/exec/netns.ts', 'src/exec/namespace-guard.ts', '**/*.test.ts',
    'src/**/fixtures/**', 'src/probes/udp/run.ts', 'src/tunnel/agent.ts'],
    rules: { 'no-restricted-syntax': ['error', ...[
      "ArrayExpression > Literal[value='ip'] + Literal[value=/^(netns|-n|-netns)$/]",
      "ArrayExpression > Literal[value=/^(nsenter|unshare)$/]:first-child",
      "ObjectExpression > Property[key.name='kind'][value.value='netns']",
      'ImportDeclaration[source.value=/exec\\/netns\\.js$/]',
      'ExportNamedDeclaration[source.value=/exec\\/netns\\.js$/]',
      'ExportAllDeclaration[source.value=/exec\\/netns\\.js$/]',
    ].map((selector) => ({ selector,
      message: 'only src/lab/ enters network namespaces (the emulated lab\'s TestbedAccess gives others an argv prefix)' }))] } },
  { files: ['suites/**/*.ts'],
    rules: restrict([{ group: ['../src/*', '../../src/*', '!../../src/index.js', '!../src/index.js'], message: 'suites import only the package entry (src/index.ts)' }]) },
);
