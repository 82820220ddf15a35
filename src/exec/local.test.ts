import { expect, test } from '@playwright/test';
import { runLocal } from './local.js';

test('many concurrent commands on one signal add no listener to it, and aborting it still stops them all', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => { warnings.push(`${w.name}: ${w.message}`); };
  process.on('warning', onWarning);
  try {
    const ac = new AbortController();
    const started = performance.now();
    const runs = Array.from({ length: 20 }, () => runLocal(['sleep', '30'], { signal: ac.signal, timeoutMs: 60_000 }));
    await new Promise((r) => setTimeout(r, 300));
    ac.abort(new Error('stop'));
    const results = await Promise.allSettled(runs);
    expect(performance.now() - started, 'all 20 commands ended soon after the abort').toBeLessThan(20_000);
    for (const r of results) {
      // Either a failed result or a rejection: never a command that ran its 30 s to the end.
      if (r.status === 'fulfilled') expect(r.value.failed).toBe(true);
    }
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  } finally {
    process.off('warning', onWarning);
  }
});
