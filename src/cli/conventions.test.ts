/**
 * The conventions every `vmmi` command follows: --version, --help everywhere, one option parser
 * (--x=v and --x v, unknown options named with the valid ones), the testbed from --testbed, then
 * VMMI_TESTBED, then testbeds/local.yaml, one JSON object with --json, exit codes 0/1/2/3, and a
 * dispatcher that loads no command module before a command runs.
 */
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fakeWorld } from '../../test/fakes/migration-world.js';
import { repo, vmmiCli } from '../../test/helpers/vmmi-cli.js';
import { parseCommand, resolveTestbed } from './args.js';
import { commands } from './commands.js';
import { main } from './main.js';
import { createMigrateCommand } from './migrate.js';
import { LAB_STATUS } from './specs.js';

const LOCAL = join(repo, 'testbeds/local.yaml');
const MINI = join(repo, 'test/fixtures/testbeds/good-mini.yaml');

/** main() in this process with console output captured. */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await main(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('--version and version print the version of package.json', async () => {
  const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
  const r = await vmmiCli(['--version']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim()).toBe(version);
  expect((await inProcess(['version'])).stdout.trim()).toBe(version);
});

test('--help on every command and subcommand of the registry: usage and options, exit 0', async () => {
  const top = await inProcess(['--help']);
  expect(top.code).toBe(0);
  expect(top.stdout).toMatch(/exit codes: 0 ok; 1 failed.*2 usage.*3 measurement errored or infrastructure/);
  for (const [name, entry] of Object.entries(commands)) {
    expect(top.stdout).toContain(`  ${name.padEnd(10)} ${entry.summary}`);
    const lines = [[name, '--help'], [name, '-h'],
      ...Object.keys(entry.spec?.subcommands ?? {}).map((sub) => [name, sub, '--help'])];
    for (const args of lines) {
      const r = await inProcess(args);
      expect(r.code, `vmmi ${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(/^usage: vmmi /);
      if (args.length === 3 || entry.spec?.subcommands === undefined) expect(r.stdout).toContain('--help, -h');
    }
  }
});

test('an unknown option is named with the valid ones; a stray word too; exit 2', async () => {
  const r = await inProcess(['lab', 'status', '--tesbed=x']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('unknown option --tesbed; options: --testbed, --prefix, --json, --help');
  const p = await inProcess(['plan', 'vm1', '--to', 'hv3', '--bogus', '--testbed', LOCAL]);
  expect(p.code).toBe(2);
  expect(p.stderr).toContain('unknown option --bogus; options: --to, --from, --strategy, --family, --testbed');
  const extra = await inProcess(['recover', 'now']);
  expect(extra.code).toBe(2);
  expect(extra.stderr).toContain('unexpected argument "now"');
  expect((await inProcess(['lab', 'sideways'])).stderr).toContain('subcommands: up, down, status, doctor');
  expect((await inProcess(['plan', 'vm1', '--to', '--testbed', LOCAL])).stderr).toContain('--to needs a value');
  expect((await inProcess(['--frobnicate'])).stderr).toContain('unknown option --frobnicate; options: --help');
});

test('--x=v and --x v are the same everywhere', async () => {
  const eq = await inProcess(['plan', 'vm1', '--to=hv3', '--strategy=host-route-static', '--family=4',
    `--testbed=${LOCAL}`, '--json']);
  const sp = await inProcess(['plan', 'vm1', '--to', 'hv3', '--strategy', 'host-route-static', '--family', '4',
    '--testbed', LOCAL, '--json']);
  expect(eq.code, eq.stderr).toBe(0);
  expect(eq.stdout).toBe(sp.stdout);
  const a = parseCommand(['--testbed=x.yaml', '--prefix', 'p', '--json'], LAB_STATUS);
  expect(a.values).toEqual({ testbed: 'x.yaml', prefix: 'p', json: true });
});

test('the testbed: --testbed, then VMMI_TESTBED, then ./testbeds/local.yaml, from the current folder', async () => {
  expect(resolveTestbed(undefined, {})).toEqual({ given: 'testbeds/local.yaml', path: resolve('testbeds/local.yaml'),
    from: 'default' });
  expect(resolveTestbed(undefined, { VMMI_TESTBED: 'a.yaml' })).toMatchObject({ given: 'a.yaml', from: 'VMMI_TESTBED' });
  expect(resolveTestbed('b.yaml', { VMMI_TESTBED: 'a.yaml' })).toMatchObject({ given: 'b.yaml', path: resolve('b.yaml') });
  // good-mini has hv2 and no hv3; local.yaml has hv3: the plan says which testbed was read.
  const env = { VMMI_TESTBED: 'test/fixtures/testbeds/good-mini.yaml', VMMI_TEST_PW: 'x' };
  const fromEnv = await vmmiCli(['plan', 'vm1', '--to', 'hv2', '--json'], { env });
  expect(fromEnv.code, fromEnv.stderr).toBe(0);
  expect(JSON.parse(fromEnv.stdout)).toMatchObject({ vm: 'vm1', source: 'hv1', destination: 'hv2' });
  const overridden = await vmmiCli(['plan', 'vm1', '--to', 'hv3', '--json', '--testbed', 'testbeds/local.yaml'], { env });
  expect(overridden.code, overridden.stderr).toBe(0);
  expect(JSON.parse(overridden.stdout)).toMatchObject({ destination: 'hv3' });
  const dflt = await vmmiCli(['plan', 'vm1', '--to', 'hv3', '--json'], { env: { VMMI_TESTBED: undefined } });
  expect(dflt.code, dflt.stderr).toBe(0);
  const missing = await vmmiCli(['plan', 'vm1', '--to', 'hv3'], { env: { VMMI_TESTBED: 'no/such.yaml' } });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('no/such.yaml');
});

test('testbed validate --json: one object for a good and for a bad file (exit 0 / 2)', async () => {
  const good = await vmmiCli(['testbed', 'validate', '--json', 'test/fixtures/testbeds/good-mini.yaml'],
    { env: { VMMI_TEST_PW: 'x' } });
  expect(good.code, good.stderr).toBe(0);
  expect(JSON.parse(good.stdout)).toEqual({ file: 'test/fixtures/testbeds/good-mini.yaml', valid: true, name: 'mini',
    counts: { sites: 2, hypervisors: 2, switches: 2, links: 3, subnets: 2, vms: 1 } });
  const bad = await vmmiCli(['testbed', 'validate', 'test/fixtures/testbeds/bad/unknown-link-device.yaml', '--json']);
  expect(bad.code).toBe(2);
  const b = JSON.parse(bad.stdout) as { valid: boolean; issues: { path: string; message: string; line: number }[] };
  expect(b.valid).toBe(false);
  expect(b.issues).toContainEqual(expect.objectContaining({ path: 'links[1].endpoints[1]',
    message: expect.stringContaining('unknown device "leaf9"') as unknown, line: expect.any(Number) as unknown }));
  const missing = await vmmiCli(['testbed', 'validate', 'no/such.yaml', '--json']);
  expect(missing.code).toBe(2);
  expect(JSON.parse(missing.stdout)).toMatchObject({ valid: false, file: 'no/such.yaml' });
});

test('plan --json: one object with transactions, diffs and rollback (no connection needed)', async () => {
  const r = await vmmiCli(['plan', 'vm1', '--to', 'hv3', '--strategy', 'host-route-static', '--family', '4', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const p = JSON.parse(r.stdout) as Record<string, unknown> & { transactions: Record<string, unknown[]> };
  expect(p).toMatchObject({ vm: 'vm1', source: 'hv1', destination: 'hv3', strategy: 'host-route-static', families: [4] });
  expect(Object.keys(p.transactions)).toEqual(['prepare', 'switchover', 'cleanup']);
  expect(p.transactions.switchover?.[0]).toMatchObject({ device: 'torB', ops: [expect.objectContaining({
    op: 'add-host-route', text: expect.any(String) as unknown })] });
  expect(p.diffs).toHaveProperty('torA');
  expect(Array.isArray(p.rollback)).toBe(true);
});

test('lab status --json on a lab that is not up: one object, state down, exit 1', async () => {
  test.skip(process.getuid?.() !== 0, 'lab status needs root');
  // A prefix no lab uses: read-only, whatever else runs on this machine.
  const r = await vmmiCli(['lab', 'status', '--json', '--prefix=zq9', '--testbed', 'testbeds/local.yaml'],
    { env: { VMMI_LAB_DIR: join(tmpdir(), 'vmmi-no-lab-zq9') } });
  expect(r.code, r.stderr).toBe(1);
  const s = JSON.parse(r.stdout) as Record<string, unknown>;
  expect(s).toMatchObject({ prefix: 'zq9', state: 'down', testbed: 'testbeds/local.yaml', vms: [] });
  expect(Array.isArray(s.nodes) && Array.isArray(s.problems)).toBe(true);
  expect(s).not.toHaveProperty('hardwareTestbed');
});

let stateDir = '';
test.beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'vmmi-conv-'));
});
test.afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

test('migrate --json: verdict, move, catalogue metrics per family and flow, timeline', async () => {
  const saved = process.env.VMMI_STATE_DIR;
  process.env.VMMI_STATE_DIR = stateDir;
  const cmd = createMigrateCommand((tb) => {
    const world = fakeWorld(tb);
    world.cluster.place('vm1', 'hv1');
    return Promise.resolve({ drivers: world.drivers, close: () => Promise.resolve(),
      options: { verify: { timeoutMs: 300, intervalMs: 20 }, holdMs: 50 } });
  });
  const out: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  let code: number;
  try {
    code = await cmd.run(['vm1', '--to=hv3', '--strategy=host-route-bgp', '--json', `--testbed=${LOCAL}`]);
  } finally {
    console.log = log;
    if (saved === undefined) delete process.env.VMMI_STATE_DIR;
    else process.env.VMMI_STATE_DIR = saved;
  }
  expect(out).toHaveLength(1);
  const j = JSON.parse(out[0] as string) as Record<string, unknown> & {
    families: Record<string, Record<string, Record<string, unknown>>>; timeline: Record<string, unknown>[];
    metrics: Record<string, unknown>; flows: Record<string, { family: number }>;
  };
  expect(code, JSON.stringify(j.healthReasons)).toBe(j.health === 'errored' ? 3 : 0);
  expect(j).toMatchObject({ verdict: 'migrated', vm: 'vm1', source: 'hv1', destination: 'hv3',
    strategy: 'host-route-bgp', runId: expect.any(String) as unknown });
  expect(j.metrics).toHaveProperty('event_gap_ms');
  expect(Object.keys(j.families).sort()).toEqual(['4', '6']);
  expect(j.families['4']?.gap_tx_ms).toMatchObject({ unit: 'ms', method: expect.any(String) as unknown,
    clock: expect.any(String) as unknown });
  expect(j.families['4']?.gap_tx_ms).toHaveProperty('resolutionMs');
  expect(Object.values(j.flows).map((f) => f.family).sort()).toEqual([4, 6]);
  expect(j.timeline.some((e) => e.kind === 'resumed' && typeof e.tMs === 'number')).toBe(true);
});

/** A loopback port nothing listens on (bound, then released). */
async function unusedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done));
  const port = (srv.address() as { port: number }).port;
  await new Promise((done) => srv.close(done));
  return port;
}

test('exit codes: 2 for usage and invalid input, 3 for an infrastructure failure (libvirt refused)', async () => {
  expect((await inProcess(['plan', '--testbed', LOCAL])).code).toBe(2);
  expect((await inProcess(['nosuchcommand'])).code).toBe(2);
  expect((await inProcess([])).code).toBe(2);
  const port = await unusedPort();
  const tb = join(stateDir, 'refused.yaml');
  await writeFile(tb, (await readFile(MINI, 'utf8')).replace(/qemu\+tcp:\/\/[\d.]+\/system/g,
    `qemu+tcp://127.0.0.1:${port}/system`));
  const r = await vmmiCli(['migrate', 'vm1', '--to', 'hv2', '--testbed', tb, '--json'],
    { cwd: dirname(tb), env: { VMMI_TEST_PW: 'x', VMMI_STATE_DIR: stateDir } });
  expect(r.code, r.stderr).toBe(3);
  expect(r.stderr).toContain('ECONNREFUSED');
  expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'CONNECTION', exit: 3 } });
});

test('fast start: the dispatcher imports no command module until a command runs', () => {
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gm)) {
      walk(resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts')));
    }
  };
  walk(join(repo, 'src/cli/main.ts'));
  const loaded = [...seen].map((f) => f.slice(repo.length + 1)).sort();
  for (const heavy of ['src/cli/lab.ts', 'src/cli/migrate.ts', 'src/cli/run.ts', 'src/cli/testbed.ts',
    'src/harness/open.ts', 'src/inventory/load.ts']) {
    expect(loaded).not.toContain(heavy);
  }
  expect(loaded.every((f) => f.startsWith('src/cli/') || f.startsWith('src/errors/') || f.startsWith('src/util/')),
    loaded.join(', ')).toBe(true);
});
