import { expect, labNs, runLocal, test } from '../../src/index.js';

// Someone at site B already holds the VM's address: the move must be refused in precheck, naming the
// address and its holder, and the VM must stay where it was.
test('IP conflict in the destination subnet refuses the migration', async ({ migrate, locate, testbed, lab }) => {
  void lab;
  test.skip(testbed.lab === undefined, 'plants the conflicting host inside the emulated lab');
  const vm = testbed.vms[0];
  const addr = vm?.ipv4?.split('/')[0];
  if (vm === undefined || addr === undefined) throw new Error('the first VM needs an IPv4 address');
  const start = (await locate()) ?? vm.home;
  const dest = testbed.hypervisors.find((h) => h.site !== testbed.hypervisors.find((x) => x.name === start)?.site);
  if (dest === undefined) throw new Error('needs a hypervisor at another site');
  const squat = labNs(testbed, 'squat');
  const hvNs = labNs(testbed, dest.name);
  const sh = async (argv: string[]): Promise<void> => {
    const r = await runLocal(argv, { timeoutMs: 10_000 });
    if (r.failed) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  };
  await runLocal(['ip', 'netns', 'del', squat]);
  await sh(['ip', 'netns', 'add', squat]);
  try {
    await sh(['ip', 'link', 'add', 'sq0', 'netns', squat, 'type', 'veth', 'peer', 'name', 'sq-port', 'netns', hvNs]);
    await sh(['ip', '-n', hvNs, 'link', 'set', 'dev', 'sq-port', 'master', 'br0', 'up']);
    await sh(['ip', '-n', squat, 'link', 'set', 'dev', 'sq0', 'address', '52:54:00:de:ad:01', 'up']);
    await sh(['ip', '-n', squat, 'addr', 'add', `${addr}/32`, 'dev', 'sq0']);
    const out = await migrate({ to: dest.name, strategy: 'host-route-static' });
    expect(out.result.verdict).toBe('refused');
    const err = out.result.attempts[0]?.error;
    expect(err?.message).toContain(addr);
    expect(err?.message.toLowerCase()).toContain('52:54:00:de:ad:01');
    expect(await locate()).toBe(start);
  } finally {
    await runLocal(['ip', '-n', hvNs, 'link', 'del', 'dev', 'sq-port']);
    await runLocal(['ip', 'netns', 'del', squat]);
  }
});
