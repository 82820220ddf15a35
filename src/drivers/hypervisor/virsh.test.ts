import { expect, test } from '@playwright/test';
import type { CommandResult, CommandRunner, RunOptions } from '../../exec/types.js';
import { MigrateFlag } from '../../transports/libvirt/enums.js';
import { VirshDriver } from './virsh.js';
import { defined } from '../../model/defined.js';

/** Records argv and answers from a table keyed by the virsh subcommand. */
function fakeRunner(answers: Record<string, Partial<CommandResult>>): {
  runner: CommandRunner;
  calls: Array<{ argv: readonly string[]; o?: RunOptions }>;
} {
  const calls: Array<{ argv: readonly string[]; o?: RunOptions }> = [];
  const runner: CommandRunner = {
    where: 'fake',
    run: async (argv, o) => {
      calls.push({ argv, ...defined({ o }) });
      const a = answers[argv[3] ?? ''] ?? {};
      return {
        argv,
        stdout: '',
        stderr: '',
        exitCode: a.failed === true ? 1 : 0,
        durationMs: 1,
        failed: false,
        timedOut: false,
        ...a,
      };
    },
  };
  return { runner, calls };
}

const URI = 'qemu+tcp://198.18.10.11/system';

test('every call is virsh -c URI <cmd> with LC_ALL=C; DomainRefs are addressed by UUID', async () => {
  const { runner, calls } = fakeRunner({ domstate: { stdout: 'running (migrated)\n' } });
  const d = new VirshDriver(URI, { runner });
  expect(d.host).toBe('198.18.10.11');
  expect(await d.state({ name: 'vm1', uuid: '6c61622d-6876-4000-8000-0000000000aa', id: 3 })).toMatchObject({
    reason: 'migrated',
  });
  expect(calls[0]?.argv).toEqual(['virsh', '-c', URI, 'domstate', '--reason', '6c61622d-6876-4000-8000-0000000000aa']);
  expect(calls[0]?.o?.env).toEqual({ LC_ALL: 'C' });
});

test('migration primitives map flags and bandwidth onto virsh options', async () => {
  const { runner, calls } = fakeRunner({});
  const d = new VirshDriver(URI, { runner });
  const flags = MigrateFlag.LIVE | MigrateFlag.PEER2PEER | MigrateFlag.PERSIST_DEST | MigrateFlag.UNDEFINE_SOURCE;
  await d.primitives.setMaxDowntime('vm1', 300);
  await d.primitives.perform('vm1', 'qemu+tcp://198.18.10.12/system', { flags, bandwidthMiBs: 5, timeoutMs: 1_000 });
  await d.primitives.abortJob('vm1');
  expect(calls.map((c) => c.argv.slice(3))).toEqual([
    ['migrate-setmaxdowntime', 'vm1', '300'],
    [
      'migrate',
      '--live',
      '--p2p',
      '--persistent',
      '--undefinesource',
      '--bandwidth',
      '5',
      'vm1',
      'qemu+tcp://198.18.10.12/system',
    ],
    ['domjobabort', 'vm1'],
  ]);
  expect(calls[1]?.o?.timeoutMs).toBe(1_000);
});

test('job stats read completed stats without deleting them, in raw form', async () => {
  const { runner, calls } = fakeRunner({ domjobinfo: { stdout: 'Job type: 3\n\noperation: 4\ndowntime: 24\n' } });
  const d = new VirshDriver(URI, { runner });
  expect(await d.jobStats('vm1', { completed: true })).toEqual({
    type: 'completed',
    typeCode: 3,
    fields: { operation: 4, downtime: 24 },
  });
  await d.jobStats('vm1', { completed: true, keep: false });
  await d.jobStats('vm1');
  expect(calls.map((c) => c.argv.slice(3))).toEqual([
    ['domjobinfo', 'vm1', '--completed', '--keep-completed', '--rawstats'],
    ['domjobinfo', 'vm1', '--completed', '--rawstats'],
    ['domjobinfo', 'vm1', '--rawstats'],
  ]);
});

test('a failed virsh run is classified into a typed error', async () => {
  const { runner } = fakeRunner({ start: { failed: true, stderr: 'error: Domain is already active\n' } });
  await expect(new VirshDriver(URI, { runner, host: 'hv1' }).start('vm1'))
    .rejects.toMatchObject({ code: 'LIBVIRT', libvirtName: 'operation-invalid', device: 'hv1' });
});
