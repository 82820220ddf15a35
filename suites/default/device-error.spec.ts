import { expect, NetconfClient, test } from '../../src/index.js';

// A router refuses its part of the switchover (its candidate datastore is locked by another session):
// every change already committed on other routers is rolled back, no residue remains, and the VM runs
// on exactly one hypervisor.
test('a device error mid-transaction rolls back with no residue', async ({ migrate, locate, testbed, lab }) => {
  void lab;
  const victim =
    testbed.switches.find((s) => s.role === 'core' && s.site === testbed.sites[0]?.name) ?? testbed.switches[0];
  if (victim === undefined) throw new Error('the testbed has no switch');
  const start = (await locate()) ?? 'hv1';
  const away = start === 'hv3' ? 'hv1' : 'hv3';
  const holder = await NetconfClient.connect({ name: victim.name, host: victim.address, port: victim.port,
    credentials: victim.credentials, hostKey: victim.hostKey }, { timeoutMs: 15_000 });
  let moved = false;
  try {
    await holder.lock('candidate', { timeoutMs: 10_000 });
    const out = await migrate({ to: away, strategy: 'host-route-static' });
    const last = out.result.attempts.at(-1);
    expect(out.result.verdict).not.toBe('migrated');
    expect(last?.error?.message ?? last?.failure?.reason ?? '').toMatch(/lock|in-use|denied/i);
    expect(last?.residue).toEqual([]);
    const on = await locate();
    expect([start, away]).toContain(on);
    moved = on === away;
  } finally {
    await holder.unlock('candidate', { timeoutMs: 10_000 }).catch(() => undefined);
    await holder.close();
  }
  // Put the VM back home with a full migration so the next scenario starts from a known place.
  if (moved) await migrate({ to: start, strategy: 'host-route-static' });
});
