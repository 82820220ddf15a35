import { expect, test as setup } from '@playwright/test';
import { HOGS, load1, startHogs } from './cpu-hog.js';

setup('load the host: busy loops at nice 0 beside the default suite', async () => {
  const before = load1();
  const pids = await startHogs();
  expect(pids).toHaveLength(HOGS);
  console.log(`cpu hog: ${HOGS} busy loops (pids ${pids.join(', ')}), load ${before} before`);
});
