import { expect, test, type OpenedTestbed } from '../../src/index.js';

interface Counts { readonly mac: number; readonly neigh: number; readonly routes: number }

/**
 * MAC (bridge FDB), ARP/ND and route entries of one TOR, counted from its kernel tables over its
 * management SSH (a Linux NOS: exec sessions run a shell), the same way on the lab and on hardware.
 */
async function count(opened: OpenedTestbed, tor: string): Promise<Counts> {
  const shell = opened.shellOf(tor);
  if (shell === undefined) throw new Error(`${tor} offers no Linux shell over SSH (cli platform linux or frr-vtysh)`);
  const lines = async (argv: string[]): Promise<number> => {
    const r = await shell.run(argv, { timeoutMs: 10_000 });
    if (r.failed) throw new Error(`${argv.join(' ')} on ${tor}: ${r.stderr}`);
    return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
  };
  return {
    mac: await lines(['bridge', 'fdb', 'show', 'dynamic']),
    neigh: (await lines(['ip', '-4', 'neigh', 'show'])) + (await lines(['ip', '-6', 'neigh', 'show'])),
    routes: (await lines(['ip', '-4', 'route', 'show'])) + (await lines(['ip', '-6', 'route', 'show'])),
  };
}

// MAC/ARP/route table sizes at the TORs before, between and after a batch of migrations: a host route
// or MAC entry that is never withdrawn shows up as growth.
test('table growth at the TORs over a batch of migrations', async ({ migrate, locate, testbed, opened }) => {
  const tors = testbed.switches.filter((s) => s.role === 'tor').map((s) => s.name);
  test.skip(tors.some((t) => opened.shellOf(t) === undefined), 'counts kernel tables over the TORs\' Linux shells');
  const snap = async (): Promise<Record<string, Counts>> =>
    Object.fromEntries(await Promise.all(tors.map(async (t) => [t, await count(opened, t)] as const)));
  // The batch starts at home: host routes a spec before left for a VM away (another strategy's) are
  // undone by moving it home the way it went (host-route-static, the suite's default).
  const home = testbed.vms[0]?.home ?? 'hv1';
  if ((await locate()) !== home) {
    const back = await migrate({ to: home, strategy: 'host-route-static' });
    expect(back.result.verdict, back.result.attempts.at(-1)?.failure?.reason).toBe('migrated');
  }
  const start = home;
  const before = await snap();
  const away = start === 'hv3' ? 'hv1' : 'hv3';
  const moved = async (to: string): Promise<void> => {
    const out = await migrate({ to, strategy: 'host-route-bgp', variant: { batch: 'table-growth' } });
    const a = out.result.attempts.at(-1);
    expect(
      out.result.verdict,
      `move to ${to}: ${a?.failure?.step ?? ''} ${a?.failure?.reason ?? out.record.error ?? ''}`,
    ).toBe('migrated');
  };
  await moved(away);
  const during = await snap();
  await moved(start);
  const after = await snap();
  await test
    .info()
    .attach('table-counts.json', {
      body: JSON.stringify({ before, during, after }, null, 2),
      contentType: 'application/json',
    });
  for (const t of tors) {
    test.info().annotations.push({
      type: `tables ${t}`,
      description: `before ${JSON.stringify(before[t])} during ${JSON.stringify(during[t])} after ${JSON.stringify(after[t])}`,
    });
    // Host routes come and go with the VM: after the round trip the route table is back to its size.
    expect(after[t]?.routes, `${t} routes`).toBe(before[t]?.routes);
  }
});
