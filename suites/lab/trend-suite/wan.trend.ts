import { setLabWan, test } from '../../../src/index.js';

// One short "night": the WAN's one-way delay is what VMMI_TREND_WAN_DELAY_MS says (the lab engineer's
// change between nights), then vm1 moves across it and back. The scenario's name does not carry the
// delay: to the history, these are the same scenario on different nights.
test('vm1 moves across the WAN and back', async ({ migrate, locate, testbed, lab }) => {
  void lab;
  await setLabWan(testbed, { delayMs: Number(process.env.VMMI_TREND_WAN_DELAY_MS ?? '0'), lossPct: 0 });
  if ((await locate()) !== 'hv1') await migrate({ to: 'hv1', strategy: 'host-route-static' });
  await migrate({ to: 'hv3', strategy: 'host-route-static' });
  await migrate({ to: 'hv1', strategy: 'host-route-static' });
});
