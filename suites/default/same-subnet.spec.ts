import { expect, test } from '../../src/index.js';

// hv1 ↔ hv2 share site A's segment: the VM keeps its address and QEMU's RARP announce moves its MAC.
test.describe('same subnet (l2)', () => {
  test('vm1 moves hv1 → hv2 and back with measured downtime', async ({ migrate, locate, lab }) => {
    void lab;
    const here = await locate();
    const there = here === 'hv2' ? 'hv1' : 'hv2';
    const out = await migrate({ to: there, strategy: 'l2' });
    expect(out.result.verdict, out.record.error).toBe('migrated');
    expect(out.record.health).not.toBe('errored');
    const back = await migrate({ to: here ?? 'hv1', strategy: 'l2' });
    expect(back.result.verdict, back.record.error).toBe('migrated');
    expect(await locate()).toBe(here ?? 'hv1');
  });
});
