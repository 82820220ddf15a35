import { test, expect } from '@playwright/test';
import { ChangeSignal } from './change-signal.js';

test('a waiter resumes at the next record, not at its deadline', async () => {
  const s = new ChangeSignal();
  const t0 = performance.now();
  const woken = s.next(10_000);
  setTimeout(() => s.notify(), 20);
  await woken;
  expect(performance.now() - t0).toBeLessThan(5_000);
});

test('without a record the wait ends at its bound, and a later notify finds nobody', async () => {
  const s = new ChangeSignal();
  let done = false;
  await s.next(10).then(() => {
    done = true;
  });
  expect(done).toBe(true);
  s.notify();
  // Every waiter resumes, each once.
  const a = s.next(10_000);
  const b = s.next(10_000);
  s.notify();
  await Promise.all([a, b]);
});
