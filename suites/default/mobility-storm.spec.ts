import { expect, test } from '../../src/index.js';

// The same VM moved back and forth within one EVPN duplicate-MAC detection window (RFC 7432: 5 moves in
// 180 s): every move must complete and the guest must keep answering (no freeze of its MAC/IP).
const MOVES = process.env.CI === 'true' ? 6 : 4;

test(`mobility storm: ${MOVES} moves between hv1 and hv2 within 180 s`, async ({ migrate, locate, lab }) => {
  void lab;
  const t0 = Date.now();
  let here = (await locate()) ?? 'hv1';
  if (here === 'hv3') {
    await migrate({ to: 'hv1', strategy: 'host-route-static' });
    here = 'hv1';
  }
  for (let i = 0; i < MOVES; i++) {
    const to = here === 'hv1' ? 'hv2' : 'hv1';
    const out = await migrate({ to, strategy: 'l2', variant: { storm_move: i + 1 } });
    expect(out.result.verdict, `move ${i + 1}: ${out.record.error ?? ''}`).toBe('migrated');
    expect(out.record.health, out.record.healthReasons.join('; ')).not.toBe('errored');
    here = to;
  }
  const elapsed = (Date.now() - t0) / 1000;
  test.info().annotations.push({ type: 'storm', description: `${MOVES} moves in ${elapsed.toFixed(1)} s` });
  expect(elapsed).toBeLessThan(180);
});
