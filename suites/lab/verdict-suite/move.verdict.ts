import { test } from '../../../src/index.js';

// One L2 move of vm1 to its neighbour and back. The spec asserts nothing itself: the verdicts (the
// testbed's thresholds, an ERRORED measurement) are the migrate fixture's to enforce.
test('vm1 moves to its neighbour hypervisor and back', async ({ migrate, locate, lab }) => {
  void lab;
  const here = (await locate()) ?? 'hv1';
  const there = here === 'hv1' ? 'hv2' : 'hv1';
  await migrate({ to: there, strategy: 'l2' });
  await migrate({ to: here, strategy: 'l2' });
});
