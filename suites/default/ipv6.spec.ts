import { expect, test } from '../../src/index.js';

// The same cross-subnet move measured with IPv6 probes toward the VM's 2001:2:0:10::100.
test('IPv6: host-route-static hv1 ↔ hv3 and back, measured over IPv6', async ({ migrate, locate, testbed, lab }) => {
  void lab;
  test.skip(testbed.vms[0]?.ipv6 === undefined, 'the first VM has no IPv6 address');
  const start = (await locate()) ?? 'hv1';
  // There and back: the next spec finds the VM where this one found it, with no host routes left.
  for (const to of [start === 'hv3' ? 'hv1' : 'hv3', start]) {
    const out = await migrate({ to, strategy: 'host-route-static', family: 6 });
    expect(out.result.verdict, out.record.error).toBe('migrated');
    expect(out.record.addressFamily).toBe('ipv6');
    expect(out.record.health, out.record.healthReasons.join('; ')).not.toBe('errored');
  }
});
