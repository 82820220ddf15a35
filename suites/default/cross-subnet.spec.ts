import { expect, test, type MigrationStrategy, type RunRecord } from '../../src/index.js';

// hv1 (site A) ↔ hv3 (site B): the VM keeps 198.18.10.100 across subnets; each strategy restores reachability
// its own way. Thresholds come from the testbed (defaults.thresholds), never from this file.
const STRATEGIES: readonly MigrationStrategy[] = ['host-route-static', 'host-route-bgp', 'tunnel'];

/** Median RTT after the move away, per strategy and family (for the tromboning comparison below). */
const rttAway = new Map<string, number>();
const value = (r: RunRecord | undefined, name: string): number | null | undefined => r?.metrics.find((m) => m.name === name)?.value;

test.describe('cross subnet', () => {
  for (const strategy of STRATEGIES) {
    test(`${strategy}: vm1 moves site A → site B and back, IPv4 and IPv6`, async ({ migrate, locate, lab }) => {
      void lab;
      const start = (await locate()) ?? 'hv1';
      const away = start === 'hv3' ? 'hv1' : 'hv3';
      for (const to of [away, start]) {
        const out = await migrate({ to, strategy });
        expect(out.result.verdict, out.record.error ?? out.result.attempts.at(-1)?.failure?.reason).toBe('migrated');
        expect(out.result.attempts.at(-1)?.residue ?? []).toEqual([]);
        // Every move covers both families; each has its own measured record.
        for (const fam of [4, 6] as const) {
          const r = out.byFamily.get(fam);
          expect(r?.addressFamily, `IPv${fam} record`).toBe(fam === 4 ? 'ipv4' : 'ipv6');
          expect(r?.health, `IPv${fam}: ${r?.healthReasons.join('; ')}`).not.toBe('errored');
          expect(value(r, 'packets_lost'), `IPv${fam} loss measured`).toEqual(expect.any(Number));
        }
        // The TCP session to the guest's echo port rides the move out (the VM keeps its address).
        expect(value(out.record, 'tcp_survived'), `TCP session across the move (${out.record.healthReasons.join('; ')})`).toBe(1);
        const a = out.result.attempts.at(-1);
        if (to === away) {
          const rtt = value(out.record, 'rtt_after_ms');
          if (typeof rtt === 'number') rttAway.set(strategy, rtt);
          console.log(`${strategy} ${start} → ${to}: timeline\n${out.record.timeline.map((e) => `  ${e.tMs.toFixed(1).padStart(8)} ms  ${e.source.padEnd(13)} ${e.host.padEnd(10)} ${e.kind} ${e.detail}`).join('\n')}`);
          console.log(`${strategy}: decomposition ${out.record.decomposition.map((d) => `${d.component} ${d.ms?.toFixed(1)} ms`).join(', ')}; ` +
            `conformance ${a?.conformance?.ok === true ? 'ok' : `VIOLATED: ${a?.conformance?.violations.map((v) => v.message ?? v.label).join('; ')}`}; ` +
            `RTT after ${rtt} ms, TCP longest stall ${value(out.record, 'tcp_longest_stall_ms')} ms`);
        }
      }
      expect(await locate()).toBe(start);
    });
  }

  test('tunnel: the traffic roundabout shows as a higher RTT after the move than host routes give', ({ testbed }) => {
    // From a client at the old site both paths cross the WAN once each way (tunnel: in through the old
    // site's agent; host route: straight across), so the medians differ only by the agents' few tens of
    // µs, within run-to-run noise (one run: tunnel 0.537 ms, host routes 0.545 / 0.564 ms). The
    // roundabout shows from a traffic host at the destination site, which the emulated lab lacks.
    test.fixme(testbed.trafficHosts.every((h) => h.site !== 'siteB'), 'needs a traffic host at the destination site (siteB)');
    const tunnel = rttAway.get('tunnel');
    const direct = ['host-route-static', 'host-route-bgp'].flatMap((s) => rttAway.get(s) ?? []);
    test.skip(tunnel === undefined || direct.length === 0, 'needs the tunnel and a host-route run of this worker');
    console.log(`RTT after the move away: tunnel ${tunnel} ms, host routes ${direct.join(' / ')} ms`);
    for (const d of direct) expect(tunnel as number).toBeGreaterThan(d);
  });

  test('evpn-l2: MAC mobility handled by EVPN', async ({ migrate, locate, testbed, lab }) => {
    void lab;
    test.fixme(testbed.lab !== undefined, 'the emulated TORs do not run EVPN yet: the lab has no VXLAN/EVPN configuration step (see README)');
    const start = (await locate()) ?? 'hv1';
    const out = await migrate({ to: start === 'hv3' ? 'hv1' : 'hv3', strategy: 'evpn-l2' });
    expect(out.result.verdict).toBe('migrated');
  });
});
