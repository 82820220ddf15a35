import {
  checkMemoryIntegrity,
  expect,
  guestControlRequest,
  labNs,
  netnsRunner,
  runLocal,
  test,
} from '../../src/index.js';

// Every move asks the guest's memory checker (lab-assets/memcheck.c) whether its pattern survived.
// The self-test corrupts one page inside the guest on request: the next move must report that page as
// corrupt and fail as a migration-correctness failure (verdict fail, one attempt, no fresh-VM retry).
test.describe('guest memory integrity', () => {
  test('a move keeps the guest memory intact; a corrupted page is caught and named', async ({
    migrate,
    locate,
    lab,
    testbed,
    hypervisors,
  }) => {
    test.skip(testbed.lab === undefined, 'the self-test drives the emulated lab guest through its control port');
    void lab;
    const vm = testbed.vms[0];
    const client = testbed.trafficHosts[0];
    if (vm === undefined || client?.netns === undefined || vm.ipv4 === undefined)
      throw new Error('the lab testbed needs vm1 and a netns client');
    expect(vm.controlPort, 'the lab VM has a control port').toBeGreaterThan(0);
    const target = {
      runner: netnsRunner(labNs(testbed, client.netns)),
      address: vm.ipv4.split('/')[0] as string,
      port: vm.controlPort,
    };

    // Same-segment moves (l2) between hv1 and hv2: a VM left at site B by an earlier spec comes home first.
    if (!['hv1', 'hv2'].includes((await locate()) ?? vm.home)) {
      const home = await migrate({ to: 'hv1', strategy: 'host-route-static' });
      expect(home.result.verdict, home.record.error).toBe('migrated');
    }
    const here = (await locate()) ?? vm.home;
    const there = here === 'hv2' ? 'hv1' : 'hv2';
    const ok = await migrate({ to: there, strategy: 'l2' });
    expect(ok.result.verdict, ok.record.error).toBe('migrated');
    expect(ok.record.memoryIntegrity?.status, ok.record.memoryIntegrity?.detail).toBe('ok');
    expect(ok.record.memoryIntegrity?.method).toMatch(/guest memcheck: 16 MiB pattern, 1000 page rewrites\/s/);

    // Self-test: one word of page 1234 flipped inside the guest, its pattern record left as it was.
    const page = 1234;
    expect(await guestControlRequest(target, `memcheck-corrupt ${page}`)).toMatch(
      new RegExp(`^memcheck-corrupt seq=\\d+ page=${page}$`),
    );
    const bad = await migrate({ to: here, strategy: 'l2' });
    expect(bad.result.attempts, 'a corrupt guest is not retried on a fresh VM').toHaveLength(1);
    expect(bad.result.verdict).not.toBe('migrated');
    expect(bad.record.verdict).toBe('fail');
    expect(bad.record.memoryIntegrity).toMatchObject({ status: 'corrupt', firstBadPage: page });
    expect(bad.record.memoryIntegrity?.detail).toContain(`first: page ${page} word 256`);
    expect(bad.result.attempts[0]?.failure?.reason).toContain(`memory is corrupt after the move`);
    expect(bad.result.health.infrastructure).toBe(false);

    // The checker keeps the corruption on record: boot a fresh guest where the VM is for the specs after this.
    const at = (await locate()) ?? here;
    for (const d of hypervisors.values()) {
      const s = await d.state(vm.name, { timeoutMs: 10_000 }).catch(() => undefined);
      if (s === undefined) continue;
      if (s.state !== 'shutoff') await d.destroy(vm.name, { timeoutMs: 30_000 });
      await d.undefine(vm.name, { timeoutMs: 30_000 }).catch(() => undefined);
    }
    const up = await runLocal(
      [
        process.execPath,
        'bin/vmmi.js',
        'lab',
        'up',
        '--testbed',
        testbed.file ?? 'testbeds/local.yaml',
        '--place',
        `${vm.name}=${at}`,
      ],
      { timeoutMs: 300_000 },
    );
    expect(up.exitCode, up.stderr + up.stdout).toBe(0);
    expect((await checkMemoryIntegrity(target)).status).toBe('ok');
  });
});
