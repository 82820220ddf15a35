import { expect, labNs, test } from '../../src/index.js';
import { labBehind, labSh } from './lab-kit.js';

// Someone at site B already holds the VM's address: the move must be refused in precheck, naming the
// address and its holder, and the VM must stay where it was.
test('IP conflict in the destination subnet refuses the migration', async ({ migrate, locate, testbed, lab }) => {
  void lab;
  const labTb = await labBehind(testbed);
  test.skip(labTb === undefined, 'plants the conflicting host inside the emulated lab');
  if (labTb === undefined) return;
  const vm = testbed.vms[0];
  const addr = vm?.ipv4?.split('/')[0];
  if (vm === undefined || addr === undefined) throw new Error('the first VM needs an IPv4 address');
  const start = (await locate()) ?? vm.home;
  const dest = testbed.hypervisors.find((h) => h.site !== testbed.hypervisors.find((x) => x.name === start)?.site);
  if (dest === undefined) throw new Error('needs a hypervisor at another site');
  const squat = labNs(labTb, 'squat');
  const hvNs = labNs(labTb, dest.name);
  const sh = async (argv: string[]): Promise<void> => void (await labSh(argv));
  await labSh(['ip', 'netns', 'del', squat], true);
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
    await labSh(['ip', '-n', hvNs, 'link', 'del', 'dev', 'sq-port'], true);
    await labSh(['ip', 'netns', 'del', squat], true);
  }
});
