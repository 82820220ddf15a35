import { expect, test } from '@playwright/test';
import { EventHub } from './event-hub.js';

test('every subscriber gets every event published after it subscribed, in order', async () => {
  const hub = new EventHub<number>();
  hub.publish(0);
  const a = hub.subscribe();
  const b = hub.subscribe();
  for (const n of [1, 2, 3]) hub.publish(n);
  hub.close();
  const all = async (it: AsyncIterableIterator<number>): Promise<number[]> => {
    const out: number[] = [];
    for await (const n of it) out.push(n);
    return out;
  };
  expect(await all(a)).toEqual([1, 2, 3]);
  expect(await all(b)).toEqual([1, 2, 3]);
  expect(hub.subscribers).toBe(0);
});

test('abort ends one iterator; close with an error makes the others throw after draining', async () => {
  const hub = new EventHub<string>();
  const ac = new AbortController();
  const a = hub.subscribe(ac.signal);
  const b = hub.subscribe();
  const pa = a.next();
  ac.abort();
  expect(await pa).toEqual({ value: undefined, done: true });
  hub.publish('x');
  hub.close(new Error('peer gone'));
  expect(await b.next()).toEqual({ value: 'x', done: false });
  await expect(b.next()).rejects.toThrow('peer gone');
});

test('a subscriber that falls too far behind fails instead of growing without bound; break unsubscribes', async () => {
  const hub = new EventHub<number>(3);
  const slow = hub.subscribe();
  for (let i = 0; i < 5; i++) hub.publish(i);
  expect((await slow.next()).value).toBe(0);
  await slow.next();
  await slow.next();
  await expect(slow.next()).rejects.toThrow(/fell 3 events behind/);
  const quick = hub.subscribe();
  hub.publish(9);
  for await (const n of quick) {
    expect(n).toBe(9);
    break;
  }
  expect(hub.subscribers).toBe(0);
});
