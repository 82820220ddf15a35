/**
 * Argument specs of the commands about the user's own suites: `vmmi init` scaffolds a suite project,
 * `vmmi run` runs its Playwright config (else vmmi's default suite). Plain data, like specs.ts: the
 * registry answers `--help` from them without loading the command modules.
 */
import { TESTBED_OPTION, type ArgSpec } from './args.js';

export const INIT = {
  name: 'vmmi init', usage: 'vmmi init [DIR] [--lab | --physical] [--force]', positionals: ['DIR'],
  summary: 'scaffold a suite repository: package.json, a testbed, an example spec, Playwright config, README',
  options: {
    lab: { type: 'boolean', description: 'testbed: the emulated lab on this machine (the default)' },
    physical: { type: 'boolean', description: 'testbed: a commented hardware lab to edit (with known_hosts, secrets/)' },
    force: { type: 'boolean', description: 'overwrite files that exist (otherwise they are named and nothing is written)' },
  },
  notes: ['DIR defaults to the current folder and is created when missing'],
} as const satisfies ArgSpec;

export const RUN = {
  name: 'vmmi run', passthrough: true, anyPositionals: true,
  usage: 'vmmi run [FILTER ...] [--config FILE] [--testbed FILE] [--out DIR] [--project NAME ...] [--grep PATTERN]\n'
    + '[--shard I/N] [--workers N|P%] [--retries N] [--repeat N] [--reporter LIST] [--list] [-- PLAYWRIGHT-OPTIONS]',
  summary: 'run this project\'s Playwright suites (else vmmi\'s default suite) on a testbed and write reports',
  options: {
    config: { type: 'string', valueName: 'FILE',
      description: 'Playwright config (default: ./playwright.config.{ts,js,mjs}, else vmmi\'s default suite)' },
    testbed: TESTBED_OPTION,
    out: { type: 'string', valueName: 'DIR', default: 'reports', description: 'where the reports go' },
    project: { type: 'string', multiple: true, valueName: 'NAME',
      description: 'Playwright project, repeatable (vmmi\'s default suite: default)' },
    grep: { type: 'string', valueName: 'PATTERN', description: 'only the tests whose title matches' },
    shard: { type: 'string', valueName: 'I/N', description: 'run shard I of N (1/2, 2/2 on two machines)' },
    workers: { type: 'string', valueName: 'N|P%', description: 'parallel workers (the config\'s by default)' },
    retries: { type: 'string', valueName: 'N', description: 'retries of a failed test (the config\'s by default)' },
    repeat: { type: 'string', valueName: 'N',
      description: 'run every test N times: the report gives each scenario\'s median, p95, min, max and 95 % interval' },
    reporter: { type: 'string', valueName: 'LIST',
      description: 'Playwright reporters, comma-separated (default: the config\'s; vmmi\'s suite: list,vmmi,junit)' },
    list: { type: 'boolean', description: 'list the tests without running them (no testbed check, no reports)' },
  },
  notes: [
    'FILTER: Playwright\'s file filters (a regular expression matched against the spec paths).',
    'Arguments after -- go to Playwright unchanged: vmmi run -- --grep-invert slow --max-failures 1',
    'The suite runs in the config\'s folder with VMMI_TESTBED (the testbed, checked first) and VMMI_REPORT_DIR set.',
    'Exit: 0 passed; 1 a threshold failed (or a test failed otherwise); 3 only ERRORED measurements or infrastructure.',
  ],
} as const satisfies ArgSpec;
