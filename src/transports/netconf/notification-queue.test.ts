import { expect, test } from '@playwright/test';
import { NotificationQueue } from './notification-queue.js';

test('a consumer that falls behind gets what was queued, then an error counting the lost events', async () => {
  const q = new NotificationQueue<number>(3);
  const it = q.iterator(() => undefined);
  for (let i = 1; i <= 6; i++) q.push(i);
  const got: number[] = [];
  let err: Error | undefined;
  try {
    for await (const x of it) got.push(x);
  } catch (e) {
    err = e as Error;
  }
  expect(got).toEqual([1, 2, 3]);
  expect(err?.message).toMatch(/fell 3 events behind.*\(3 lost\)/);
  expect(q.dropped).toBe(3);
});

test('a consumer that keeps up loses nothing and the iterator ends when the queue ends', async () => {
  const q = new NotificationQueue<number>(2);
  const it = q.iterator(() => undefined);
  const got: number[] = [];
  const reader = (async () => { for await (const x of it) got.push(x); })();
  for (let i = 1; i <= 100; i++) {
    q.push(i);
    await new Promise((r) => setImmediate(r));
  }
  q.end();
  await reader;
  expect(got).toHaveLength(100);
  expect(q.dropped).toBe(0);
});
