/**
 * What each `vmmi` command accepts: summary, usage, options, subcommands, `--json` shape. Plain data,
 * so `vmmi --help` and `vmmi <command> --help` are answered without loading any command module; the
 * command modules parse their arguments with the same specs (args.ts `parseCommand`).
 */
import { JSON_OPTION, TESTBED_OPTION, type ArgSpec, type OptionSpecs } from './args.js';

/** A command group: either one ArgSpec, or subcommands each with their own. */
export interface CommandSpec extends ArgSpec {
  readonly subcommands?: Readonly<Record<string, ArgSpec>>;
}

const TESTBED = { testbed: TESTBED_OPTION } as const;

const testbedFile = (name: string, summary: string, extra: Partial<ArgSpec> = {}) => ({
  name: `vmmi testbed ${name}`, usage: `vmmi testbed ${name} FILE`, summary,
  positionals: ['FILE'], options: {}, ...extra,
}) as const;

export const TESTBED_VALIDATE = {
  ...testbedFile('validate', 'check a testbed file; every problem as file:line:col  path: message'),
  usage: 'vmmi testbed validate FILE [--json]', options: { json: JSON_OPTION },
  json: '{ file, valid, name?, counts?: { sites, hypervisors, switches, links, subnets, vms }, '
    + 'issues?: [{ path, message, file?, line?, col? }] }',
  notes: ['exit codes: 0 valid, 2 invalid or unreadable'],
} as const satisfies ArgSpec;
export const TESTBED_SHOW = testbedFile('show', 'print the resolved testbed as JSON (secrets shown as references)');
export const TESTBED_SCHEMA = {
  name: 'vmmi testbed schema', usage: 'vmmi testbed schema', options: {},
  summary: 'print the JSON Schema of testbed files (for editors)',
} as const satisfies ArgSpec;

export const TESTBED_GROUP: CommandSpec = {
  name: 'vmmi testbed', options: {},
  usage: 'vmmi testbed validate FILE [--json]\nvmmi testbed show FILE\nvmmi testbed schema',
  summary: 'validate, show or export the schema of a testbed file',
  subcommands: { validate: TESTBED_VALIDATE, show: TESTBED_SHOW, schema: TESTBED_SCHEMA },
};

const LAB_OPTIONS = {
  ...TESTBED,
  prefix: { type: 'string', valueName: 'P', description: 'lab prefix: another prefix is another lab' },
} as const satisfies OptionSpecs;

const lab = <O extends OptionSpecs>(sub: string, summary: string, options: O) => ({
  name: `vmmi lab ${sub}`, summary, options,
  usage: `vmmi lab ${sub} ${Object.entries(options).map(([n, o]) => (n === 'place' ? '[--place VM=HOST ...]'
    : `[--${n}${o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : ''}]`)).join(' ')}`,
  notes: ['needs root (network namespaces, libvirtd, FRR)'],
}) satisfies ArgSpec;

export const LAB_UP = lab('up', 'build the lab assets and bring the emulated lab up until its health checks pass', {
  ...LAB_OPTIONS,
  place: { type: 'string', multiple: true, valueName: 'VM=HOST', description: 'boot VM on HOST instead of its home' },
  verbose: { type: 'boolean', description: "also print each switch agent's bring-up phases (time after the one before)" },
});
export const LAB_DOWN = lab('down', 'tear the emulated lab down; exit 1 when anything is left', LAB_OPTIONS);
export const LAB_DOCTOR = lab('doctor', 'find and remove what a killed run left; retire the run journals of this lab',
  LAB_OPTIONS);
export const LAB_STATUS = {
  ...lab('status', 'show what of the lab exists and runs, per node; exit 0 only when it is up',
    { ...LAB_OPTIONS, json: JSON_OPTION }),
  json: '{ prefix, state: up|down|partial, testbed, nodes: [{ node, ok, items }], vms: [{ vm, host }], '
    + 'problems, hardwareTestbed? }',
} as const satisfies ArgSpec;

export const LAB_GROUP: CommandSpec = {
  name: 'vmmi lab', usage: 'vmmi lab up|down|status|doctor [--testbed FILE] [--prefix P] [--place VM=HOST ...]',
  options: {}, summary: 'bring the emulated lab up, down, show its status, or clean up after a killed run',
  subcommands: { up: LAB_UP, down: LAB_DOWN, status: LAB_STATUS, doctor: LAB_DOCTOR },
};

const MOVE_OPTIONS = {
  to: { type: 'string', valueName: 'HOST', description: 'destination hypervisor (required)' },
  from: { type: 'string', valueName: 'HOST', description: 'source hypervisor (default: where the VM runs now)' },
  strategy: { type: 'string', valueName: 'S', description: 'migration strategy (default: the testbed\'s)' },
  family: { type: 'string', multiple: true, valueName: '4|6', description: 'address family to move (repeatable)' },
  ...TESTBED,
  json: JSON_OPTION,
} as const satisfies OptionSpecs;

const moveUsage = (c: string): string =>
  `vmmi ${c} VM --to HOST [--from HOST] [--strategy S] [--family 4|6] [--testbed FILE] [--json]`;

export const PLAN = {
  name: 'vmmi plan', usage: moveUsage('plan'), options: MOVE_OPTIONS, positionals: ['VM'],
  summary: 'print the device operations and config diffs a migration would make (touches nothing)',
  json: '{ vm, source, destination, strategy, families, destinationSubnet?, transactions: { prepare, '
    + 'switchover, cleanup: [{ device, ops: [{ op, device, ..., text }] }] }, diffs, rollback, extraRttMs?, notes }',
} as const satisfies ArgSpec;

export const MIGRATE = {
  name: 'vmmi migrate', usage: `${moveUsage('migrate')} [--history FILE] [--samples FILE] [--mode M] `
    + '[--max-downtime MS] [--bandwidth MIBS] [mode settings]', positionals: ['VM'],
  options: {
    ...MOVE_OPTIONS,
    mode: { type: 'string', valueName: 'M', description: 'migration mode: precopy, postcopy, auto-converge, multifd, '
      + 'xbzrle (default: the testbed\'s defaults.migration.mode)' },
    'max-downtime': { type: 'string', valueName: 'MS', description: 'maximum downtime QEMU may take, ms' },
    bandwidth: { type: 'string', valueName: 'MIBS', description: 'migration bandwidth, MiB/s' },
    'postcopy-after': { type: 'string', valueName: 'N', description: 'postcopy: switch after N precopy passes' },
    'postcopy-stall': { type: 'string', valueName: 'K', description: 'postcopy: switch earlier when the bytes left '
      + 'did not shrink over K passes' },
    'auto-converge-initial': { type: 'string', valueName: 'PCT', description: 'auto-converge: initial vCPU throttle, %' },
    'auto-converge-increment': { type: 'string', valueName: 'PCT', description: 'auto-converge: throttle step, %' },
    'multifd-channels': { type: 'string', valueName: 'N', description: 'multifd: parallel connections' },
    'xbzrle-cache': { type: 'string', valueName: 'MIB', description: 'xbzrle: page cache, MiB' },
    history: { type: 'string', valueName: 'FILE', description: 'append the run records to this history file '
      + '(render them with vmmi report --history FILE)' },
    samples: { type: 'string', valueName: 'FILE', description: 'write samples.csv: one row per probe packet '
      + '(flow, sequence, send and receive time)' },
  },
  summary: 'live-migrate a VM with all observers and print timeline, decomposition and metrics',
  json: '{ verdict, health, vm, source, destination, strategy, runId, families: { "4": { gap_tx_ms: '
    + '{ value, unit, method, resolutionMs, clock, flow } , ... } }, metrics, flows, timeline, attempts }',
  notes: ['exit codes: 0 migrated and measured, 1 not migrated (refused, rolled back, failed), '
    + '3 measurement errored or infrastructure failure'],
} as const satisfies ArgSpec;

export const RECOVER = {
  name: 'vmmi recover', usage: 'vmmi recover [--testbed FILE] [--json]', options: { ...TESTBED, json: JSON_OPTION },
  summary: 'recover runs interrupted by a dead controller (run journals): network back or forward to match the VM',
  json: '{ testbed, runs: [{ runId, vm, action, why, done, error? }] }',
  notes: ['exit codes: 0 nothing left to do, 1 a journal still needs a human'],
} as const satisfies ArgSpec;

export const REPORT = {
  name: 'vmmi report',
  usage: 'vmmi report [--since ISO|7d|12h] [--history FILE|URL]... [--out DIR] [--fail-on-change-point]\n'
    + '[--per night|run] [--window N]',
  summary: 'regenerate CSV and HTML reports from the run history (one store, or several merged)',
  options: {
    since: { type: 'string', valueName: 'ISO|7d|12h', description: 'only attempts started at/after a time or age' },
    history: { type: 'string', valueName: 'FILE|URL', multiple: true,
      description: 'history file or postgres:// URL; repeat to merge (default: $VMMI_HISTORY_URL, else reports/history.sqlite)' },
    out: { type: 'string', valueName: 'DIR', default: 'reports', description: 'parent folder of the report folder' },
    'fail-on-change-point': { type: 'boolean',
      description: 'exit 1 when a headline metric\'s per-night median shifts (one line per shift)' },
    per: { type: 'string', valueName: 'night|run',
      description: 'change points between nights (default) or between suite runs' },
    window: { type: 'string', valueName: 'N', description: 'points each side of a change point (default 5)' },
  },
  notes: ['exit codes: 0 ok; 1 a change point (with --fail-on-change-point) or unreadable history rows; '
    + '2 usage (a missing history file)'],
} as const satisfies ArgSpec;

/** `vmmi certify verify`: parsed by the certify module; its options are described in CERTIFY's notes. */
export const CERTIFY_VERIFY = {
  name: 'vmmi certify verify', usage: 'vmmi certify verify BUNDLE --allowed-signers FILE [--principal P]',
  positionals: ['BUNDLE'],
  summary: 'check every hash of a certificate bundle and its OpenSSH signature',
  options: {
    'allowed-signers': { type: 'string', valueName: 'FILE', description: 'ssh-keygen allowed-signers file (required)' },
    principal: { type: 'string', valueName: 'P', description: 'signer to check (default: ssh-keygen -Y find-principals)' },
  },
  notes: ['exit codes: 0 every file intact and signed by an allowed signer; 1 a file differs, is missing or extra, '
    + 'or the signature is bad; 2 usage'],
} as const satisfies ArgSpec;

export const CERTIFY = {
  name: 'vmmi certify',
  usage: 'vmmi certify --profile NAME@VERSION --sign-key KEY [--testbed FILE] [--out DIR] [--scale ci]\n'
    + CERTIFY_VERIFY.usage,
  summary: 'run a certification profile and write a signed bundle (report, verdicts, profile); or verify one',
  options: {
    profile: { type: 'string', valueName: 'NAME@VERSION', description: 'profile to run: profiles/NAME/VERSION.yaml (required)' },
    ...TESTBED,
    'sign-key': { type: 'string', valueName: 'KEY', description: 'OpenSSH private key that signs SHA256SUMS (required)' },
    out: { type: 'string', valueName: 'DIR', default: 'certificates', description: 'parent folder of the bundle' },
    scale: { type: 'string', valueName: 'ci', description: 'ci: the profile\'s CI-sized variant (never a certificate)' },
  },
  notes: [
    'verify: vmmi certify verify BUNDLE --allowed-signers FILE [--principal P] checks every hash and the signature '
      + '(ssh-keygen -Y verify, namespace vmmi-certificate) and names every file that differs, is missing or extra',
    'exit codes: 0 every threshold passed conclusively (verify: bundle intact and signed); 1 a threshold failed or '
      + 'was inconclusive, the testbed lacks what the profile requires, or verify found a difference; 2 usage; '
      + '3 infrastructure failure',
  ],
} as const satisfies ArgSpec;

// `vmmi run` and `vmmi init`: specs next to each other in suite-specs.ts.
export { INIT, RUN } from './suite-specs.js';
