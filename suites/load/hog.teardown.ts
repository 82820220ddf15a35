import { test as teardown } from '@playwright/test';
import { load1, stopHogs } from './cpu-hog.js';

teardown('unload the host: stop the busy loops', async () => {
  const load = load1();
  console.log(`cpu hog: stopped ${await stopHogs()} busy loops, load ${load} at the end`);
});
