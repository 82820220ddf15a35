import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fakeWorld, type FakeWorld } from '../../test/fakes/migration-world.js';
import { createMigrateCommand } from './migrate.js';
import { planCommand } from './plan.js';

const repo = join(import.meta.dirname, '../..');
const vmmi = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    // The default testbed is asked for: a VMMI_TESTBED of the calling environment would replace it.
    const env = { ...process.env };
    delete env.VMMI_TESTBED;
    const r = await promisify(execFile)('node', [join(repo, 'bin/vmmi.js'), ...args], { cwd: repo, env });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
};

test('vmmi plan prints ordered transactions and diffs for the shipped lab testbed', async () => {
  const r = await vmmi(['plan', 'vm1', '--to', 'hv3', '--strategy', 'host-route-static', '--family', '4']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('switchover (on destination RESUMED):\n  1. transaction on torB');
  expect(r.stdout).toMatch(/torA:\n {4}\+ \[switchover\] add host route 198\.18\.10\.100\/32 via <coreA>/);
});

test('plan usage errors are UsageErrors (exit 2) naming what is wrong', async () => {
  const tbFile = join(repo, 'testbeds/local.yaml');
  const fails = async (args: string[]): Promise<{ code?: string; message: string }> => {
    try {
      await planCommand.run(args);
    } catch (e) {
      return e as { code?: string; message: string };
    }
    throw new Error(`plan ${args.join(' ')} did not fail`);
  };
  const bad = await fails(['vm1', '--to', 'hv3', '--strategy', 'lisp', '--testbed', tbFile]);
  expect(bad.code).toBe('USAGE');
  expect(bad.message).toContain('unknown strategy "lisp"; supported: l2, host-route-static');
  expect((await fails(['vm1', '--testbed', tbFile])).code).toBe('USAGE');
  expect((await fails(['vm1', '--to', 'hv9', '--testbed', tbFile])).message).toContain(
    '--to: unknown hypervisor "hv9"',
  );
  expect((await fails(['vm1', '--to', 'hv3', '--family', '5', '--testbed', tbFile])).message).toContain(
    '--family must be 4 or 6',
  );
});

// The migrate command recovers interrupted runs from the state directory before it starts: this file
// gets its own, so journals of real runs in the checkout neither block it nor receive its fake runs.
let stateDir: string | undefined;
const savedStateDir = process.env.VMMI_STATE_DIR;
test.beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'vmmi-state-'));
  process.env.VMMI_STATE_DIR = stateDir;
});
test.afterAll(async () => {
  if (savedStateDir === undefined) delete process.env.VMMI_STATE_DIR;
  else process.env.VMMI_STATE_DIR = savedStateDir;
  if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
});

test('migrate command runs the executor over injected drivers and prints the run', async () => {
  let world: FakeWorld | undefined;
  let closed = false;
  const cmd = createMigrateCommand((tb) => {
    world = fakeWorld(tb);
    world.cluster.place('vm1', 'hv1');
    return Promise.resolve({
      drivers: world.drivers,
      options: { verify: { timeoutMs: 300, intervalMs: 20 }, holdMs: 50 },
      close: () => {
        closed = true;
        return Promise.resolve();
      },
    });
  });
  const out: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  let code: number;
  try {
    code = await cmd.run(['vm1', '--to', 'hv3', '--strategy', 'host-route-bgp', '--family', '4',
      '--testbed', join(repo, 'testbeds/local.yaml')]);
  } finally {
    console.log = log;
  }
  const text = out.join('\n');
  expect(code, text).toBe(0);
  expect(closed).toBe(true);
  expect(world?.cluster.where('vm1')).toEqual(['hv3']);
  expect(text).toContain('verdict: MIGRATED');
  expect(text).toMatch(/timeline:\n[\s\S]*resumed[\s\S]*switchover-begin/);
  expect(text).toContain('decomposition:');
  expect(text).toContain('conformance:');
  expect(text).toContain('event_gap_ms');
});
