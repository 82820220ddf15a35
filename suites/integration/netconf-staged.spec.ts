/**
 * Staged transactions against a real netconfd: the switchover's candidate is loaded ahead (nothing in
 * force), committed in one round trip, then confirmed; or taken back at any point before the confirm.
 * Each case ends with the datastore unlocked and no confirmed commit pending (a fresh session locks).
 */
import { test, expect } from '@playwright/test';
import { startNetconfLab, type NetconfLab } from './netconf-lab.js';
import {
  canStageHostRoutes, createNetconfDriver, netconfIetf, stageTransaction, type NetconfClient,
} from './netconf-imports.js';

test.describe.configure({ mode: 'serial' });

let lab: NetconfLab;
test.beforeAll(async () => {
  lab = await startNetconfLab(18497);
});
test.afterAll(async () => {
  await lab?.stop();
});

const V4 = { prefix: '198.18.77.10/32', nextHop: '198.18.0.1', description: 'staged v4' };
const V6 = { prefix: '2001:2:0:77::10/128', nextHop: '2001:2::1', description: 'staged v6' };

async function configured(c: NetconfClient): Promise<string[]> {
  const xml = (await c.getConfig('running')).xml();
  return [V4.prefix, V6.prefix].filter((p) => xml.includes(`>${p}<`));
}

/** A fresh session can take the candidate lock: nothing held, no confirmed commit pending. */
async function expectFree(): Promise<void> {
  const other = await lab.connect();
  try {
    await other.lock('candidate');
    await other.unlock('candidate');
  } finally {
    await other.close();
  }
}

test('staged routes are not in force until the commit, and stay after the confirm', async () => {
  const c = await lab.connect();
  try {
    const d = createNetconfDriver(c, netconfIetf, { device: 'sw', confirmTimeoutS: 60 });
    expect(canStageHostRoutes(d)).toBe(true);
    if (!canStageHostRoutes(d)) return;
    const staged = await d.stageHostRoutes([{ route: V4, op: 'add' }, { route: V6, op: 'add' }]);
    expect(await configured(c)).toEqual([]);
    await staged.commit();
    expect(await configured(c)).toEqual([V4.prefix, V6.prefix]);
    await staged.confirm();
    await test.step('free after the confirm', expectFree);
    // The removal of both in one batch takes vmmi's instance with the last route.
    const removal = await test.step('stage the removal', () =>
      d.stageHostRoutes([{ route: V4, op: 'remove' }, { route: V6, op: 'remove' }]));
    await removal.commit();
    await removal.confirm();
    expect(await configured(c)).toEqual([]);
    expect((await c.getConfig('running')).xml()).not.toContain('>vmmi<');
    await expectFree();
  } finally {
    await c.close();
  }
});

test('abort after the commit reverts it; abort before the commit releases the candidate', async () => {
  const c = await lab.connect();
  try {
    const d = createNetconfDriver(c, netconfIetf, { device: 'sw', confirmTimeoutS: 60 });
    if (!canStageHostRoutes(d)) throw new Error('no staging');
    const committed = await d.stageHostRoutes([{ route: V4, op: 'add' }]);
    await committed.commit();
    expect(await configured(c)).toEqual([V4.prefix]);
    await committed.abort();
    expect(await configured(c)).toEqual([]);
    await expectFree();
    const loaded = await d.stageHostRoutes([{ route: V6, op: 'add' }]);
    await loaded.abort();
    expect(await configured(c)).toEqual([]);
    await expectFree();
    // While one staging holds the candidate, a second one is refused and changes nothing.
    const first = await d.stageHostRoutes([{ route: V4, op: 'add' }]);
    const other = await lab.connect();
    try {
      const d2 = createNetconfDriver(other, netconfIetf, { device: 'sw' });
      if (!canStageHostRoutes(d2)) throw new Error('no staging');
      await expect(d2.stageHostRoutes([{ route: V6, op: 'add' }])).rejects.toThrow(/lock|in-use|denied/i);
    } finally {
      await other.close();
    }
    await first.abort();
    expect(await configured(c)).toEqual([]);
    await expectFree();
  } finally {
    await c.close();
  }
});

test('a state read back wrong at the confirm is cancelled, never confirmed', async () => {
  const c = await lab.connect();
  try {
    const change = netconfIetf.hostRoute?.(V4, 'add');
    if (change === undefined) throw new Error('no host-route payload');
    const st = await stageTransaction(c, [change], {
      confirmTimeoutS: 60, snapshots: false, verifyAtConfirm: true, verify: async () => 'the device shows another route',
    });
    await st.commit();
    expect(await configured(c)).toEqual([V4.prefix]);
    await expect(st.confirm()).rejects.toThrow(/intended state not reached: the device shows another route/);
    expect(await configured(c)).toEqual([]);
    await expectFree();
  } finally {
    await c.close();
  }
});
