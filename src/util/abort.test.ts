import { expect, test } from '@playwright/test';
import { pollWithProgress } from './abort.js';

test('a wait that keeps progressing outlives its idle limit; it ends when progress stops, and at the maximum', async () => {
  let ticks = 0;
  const t0 = Date.now();
  // Progress every 20 ms for 300 ms, ready at 300 ms: longer than the 100 ms idle limit.
  const got = await pollWithProgress(
    () => (Date.now() - t0 >= 300 ? 'ready' : undefined),
    () => Math.floor((Date.now() - t0) / 20) + ticks,
    'slow but moving',
    { idleMs: 100, maxMs: 5000, intervalMs: 10 },
  );
  expect(got).toBe('ready');
  ticks = 1;

  const t1 = Date.now();
  await expect(pollWithProgress(() => undefined, () => 'same', 'stuck', { idleMs: 100, maxMs: 5000, intervalMs: 10 }))
    .rejects.toThrow(/stuck not reached: no progress for 100 ms/);
  expect(Date.now() - t1).toBeLessThan(1000);

  const t2 = Date.now();
  await expect(pollWithProgress(() => undefined, () => Date.now(), 'endless', { idleMs: 100, maxMs: 200, intervalMs: 10 }))
    .rejects.toThrow(/endless not reached while still progressing/);
  expect(Date.now() - t2).toBeGreaterThanOrEqual(200);
});
