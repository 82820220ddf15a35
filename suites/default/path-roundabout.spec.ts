import { expect, test, type MigrationStrategy, type RunRecord } from '../../src/index.js';

// The traffic roundabout, seen hop by hop: the path probe traces from every traffic host toward the VM
// before and after each move, and `path_via_old_site` says whether a trace from outside the old site still
// crosses it. vm1 moves hv1 (site A) → hv3 (site B) and back with each strategy.
//
// What each strategy must show from the destination site (clientB):
// - tunnel: true. Traffic still enters at the home TOR (the anchor) and is tunnelled to the new site.
// - host-route-static / host-route-bgp: false. The VM's /32 is announced from the new site's TOR.
// - evpn-l2: true in this lab. The stretched subnet is announced only by its home TOR (the VNI's L2 moves,
//   its L3 does not): inbound traffic follows the /24 to the old site's gateway and crosses the VXLAN tunnel
//   back (asymmetric IRB). Only symmetric IRB (MAC/IP routes into an IP-VRF with an L3VNI) or injected host
//   routes would avoid it; the lab kernel has no VRF.
// `after`: the IP hops from clientB to the VM (the VM itself last, added below); an L2 crossing (VXLAN) is no hop.
const EXPECTED: ReadonlyArray<{ strategy: MigrationStrategy; viaOldSite: boolean; after: readonly string[] }> = [
  { strategy: 'tunnel', viaOldSite: true, after: ['coreB', 'coreA', 'torA', 'torB'] },
  { strategy: 'host-route-static', viaOldSite: false, after: ['coreB', 'torB'] },
  { strategy: 'host-route-bgp', viaOldSite: false, after: ['coreB', 'torB'] },
  { strategy: 'evpn-l2', viaOldSite: true, after: ['coreB', 'coreA', 'torA'] },
];

const hopList = (r: RunRecord, when: 'before' | 'after', from: string, to: string): string[] =>
  (r.path?.traces.find((t) => t.when === when && t.from === from && t.to === to)?.hops ?? [])
    .map((h) => h.device ?? h.address ?? '*');

test.describe('path roundabout', () => {
  for (const { strategy, viaOldSite, after: expectedAfter } of EXPECTED) {
    test(`${strategy}: path_via_old_site is ${viaOldSite} after hv1 → hv3, and false once home`, async ({
      migrate, locate, testbed, lab,
    }) => {
      void lab;
      const vm = testbed.vms[0];
      const far = testbed.trafficHosts.find((h) => h.site === testbed.hypervisors.find((x) => x.name === 'hv3')?.site);
      test.skip(vm?.ipv4 === undefined || far === undefined, 'needs vm1 with IPv4 and a traffic host at site B');
      if (vm?.ipv4 === undefined || far === undefined) return;
      const target = vm.ipv4.split('/')[0] as string;
      if ((await locate()) !== 'hv1') expect((await migrate({ to: 'hv1', strategy: 'host-route-static' })).result.verdict).toBe('migrated');

      const out = await migrate({ to: 'hv3', strategy });
      expect(out.result.verdict, out.record.error).toBe('migrated');
      const path = out.record.path;
      expect(path, 'the move traced its paths').toBeDefined();
      const after = hopList(out.record, 'after', far.name, target);
      const before = hopList(out.record, 'before', far.name, target);
      console.log(`${strategy} hv1 → hv3, from ${far.name} toward ${target}:\n  before ${before.join(' > ')}\n  after  ${after.join(' > ')}`
        + `\n  path_via_old_site ${String(path?.viaOldSite)} (old site ${path?.oldSite})`);
      expect(path?.detail).toBeUndefined();
      expect(path?.viaOldSite, `after: ${after.join(' > ')}`).toBe(viaOldSite);
      // The trace from site B reached the VM, by exactly the hops the strategy routes it through.
      const trace = out.record.path?.traces.find((t) => t.when === 'after' && t.from === far.name && t.to === target);
      expect(trace?.reached).toBe(true);
      expect(after).toEqual([...expectedAfter, target]);
      // Before the move the VM sat at site A: every path from site B crossed the WAN to torA.
      expect(before.slice(-2)).toEqual(['torA', target]);

      const home = await migrate({ to: 'hv1', strategy });
      expect(home.result.verdict, home.record.error).toBe('migrated');
      // Home again, the old site is B: the paths from site A no longer cross it.
      expect(home.record.path?.viaOldSite, hopList(home.record, 'after', 'client', target).join(' > ')).toBe(false);
    });
  }
});
