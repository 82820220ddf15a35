/**
 * Whether a testbed offers what a profile requires (pure): checked before anything moves, and every
 * missing piece is named at once, so a lab engineer fixes the testbed in one go.
 */
import type { Hypervisor, MigrationStrategy, Testbed } from '../model/testbed.js';
import { labKnobs } from '../model/lab-knobs.js';
import type { Placement, Profile } from './profile-types.js';

/** The move every scenario makes: the VM from its home to the first hypervisor at another site. */
export interface Move {
  readonly vm: string;
  readonly home: string;
  readonly away: string;
  readonly homeSite: string;
  readonly awaySite: string;
}

export function crossSiteMove(tb: Testbed): Move | undefined {
  const vm = tb.vms[0];
  const home = tb.hypervisors.find((h) => h.name === vm?.home);
  if (vm === undefined || home === undefined) return undefined;
  const away = tb.hypervisors.find((h: Hypervisor) => h.site !== home.site);
  return away === undefined ? undefined
    : { vm: vm.name, home: home.name, away: away.name, homeSite: home.site, awaySite: away.site };
}

/** The traffic host at `placement` of `move` (undefined: the testbed has none there). */
export function trafficHostAt(tb: Testbed, move: Move, placement: Placement): string | undefined {
  const site = placement === 'source-site' ? move.homeSite : move.awaySite;
  return tb.trafficHosts.find((h) => h.site === site)?.name;
}

/** What a strategy needs of the testbed, as a missing-piece sentence (undefined: nothing missing). */
function strategyGap(tb: Testbed, s: MigrationStrategy, move: Move): string | undefined {
  const tors = (site: string): boolean => tb.switches.some((x) => x.site === site && (x.role === 'tor' || x.role === 'gateway'));
  if (s === 'l2') return 'strategy l2 moves within one subnet; the profile moves across sites';
  if (s === 'host-route-static' || s === 'host-route-bgp' || s === 'evpn-l2') {
    if (!tors(move.homeSite) || !tors(move.awaySite))
      return `strategy ${s}: a TOR or gateway switch at both sites (${move.homeSite}, ${move.awaySite})`;
  }
  if (s === 'host-route-bgp' && !tb.switches.some((x) => x.asn !== undefined))
    return 'strategy host-route-bgp: switches with an asn';
  if (s === 'evpn-l2' && !tb.subnets.every((x) => x.vni !== undefined)) return 'strategy evpn-l2: a vni on every subnet';
  return undefined;
}

/**
 * Everything `profile` needs that `tb` lacks, one sentence each (empty: the testbed qualifies). A
 * hardware testbed has no WAN knob vmmi can turn and no way to plant an address holder: profiles that
 * need them run on the emulated lab (or on hardware once it offers them).
 */
export function missingRequirements(tb: Testbed, profile: Profile): string[] {
  const out: string[] = [];
  const move = crossSiteMove(tb);
  if (move === undefined) {
    out.push('a VM whose home hypervisor has a peer at another site (every scenario moves across sites)');
    return out;
  }
  const vm = tb.vms.find((v) => v.name === move.vm);
  for (const f of profile.requires.addressFamilies) {
    if ((f === 4 ? vm?.ipv4 : vm?.ipv6) === undefined) out.push(`IPv${f}: ${move.vm} has no IPv${f} address`);
    for (const site of [move.homeSite, move.awaySite]) {
      if (!tb.subnets.some((s) => s.site === site && (f === 4 ? s.ipv4 : s.ipv6) !== undefined))
        out.push(`IPv${f}: no IPv${f} subnet at ${site}`);
    }
  }
  for (const s of profile.requires.strategies) {
    const gap = strategyGap(tb, s, move);
    if (gap !== undefined) out.push(gap);
  }
  const knobs = labKnobs(tb);
  if (profile.requires.wanImpairment && !knobs.wanImpairment) {
    out.push('WAN impairment: vmmi sets the WAN delay through the emulated lab\'s relay (lab.wanLink); this testbed '
      + 'has none');
  }
  for (const p of profile.requires.trafficHosts) {
    if (trafficHostAt(tb, move, p) === undefined) {
      out.push(`a traffic host at the ${p} (${p === 'source-site' ? move.homeSite : move.awaySite})`);
    }
  }
  if (profile.scenarios.some((s) => s.expect === 'refused-address-conflict') && !knobs.addressHolder) {
    out.push('address conflict: vmmi plants the holder of the VM\'s address inside the emulated lab; this testbed '
      + 'has no lab section');
  }
  if (profile.probe.method === 'udp-echo' && (vm?.reflectorPort ?? 0) === 0) {
    out.push(`probe udp-echo: ${move.vm} has no reflectorPort`);
  }
  return out;
}
