/**
 * Run-time control of the emulated lab for suites: WAN impairment (delay, loss, cut), ARP/ND suppression
 * on the TORs' stretched segments, and the lab's namespaces. Hardware testbeds have no such knobs; these
 * functions refuse them clearly.
 */
import { LabError } from '../errors/classes.js';
import { setArpNdSuppression, type LabArpNdSuppression } from '../lab/arp-nd-suppression.js';
import { setWan, wanState, type WanSettings, type WanState } from '../lab/wan.js';
import { plantAddressHolder, type PlantedHolder } from '../lab/address-holder.js';
import { labKnobs } from '../model/lab-knobs.js';
import { planLab } from '../lab/topology.js';
import type { Testbed } from '../model/testbed.js';
import type { IoOptions } from '../util/abort.js';
import { assetsDir } from '../util/layout.js';

export type { WanSettings, WanState } from '../lab/wan.js';
export type { PlantedHolder } from '../lab/address-holder.js';
export type { LabArpNdSuppression, LabSuppressionPort } from '../lab/arp-nd-suppression.js';
export { labKnobs, type LabKnobs } from '../model/lab-knobs.js';

/** Plants a host holding `vm`'s IPv4 address on `hypervisor`'s bridge (emulated lab only). */
export function plantLabAddressHolder(tb: Testbed, vm: string, hypervisor: string): Promise<PlantedHolder> {
  if (!labKnobs(tb).addressHolder)
    throw new LabError('an address holder is planted inside the emulated lab only', {
      operation: 'plant address holder',
      hint: 'on hardware, put a host holding the address in the destination subnet yourself',
    });
  return plantAddressHolder(tb, vm, hypervisor);
}


/** Sets the WAN impairment of the emulated lab (one way, both directions); `{ cut: true }` drops all. */
export function setLabWan(tb: Testbed, s: WanSettings, io: IoOptions = {}): Promise<WanState> {
  if (tb.lab === undefined)
    throw new LabError('WAN impairment is a knob of the emulated lab only', {
      operation: 'set WAN',
      hint: 'impair hardware WAN links with your own tools',
    });
  return setWan(planLab(tb, { assetsDir: assetsDir() }), s, io);
}

/**
 * The testbed with its WAN link's delay as the lab's WAN emulation has it now (a suite may have set it
 * with `setLabWan`): the topology's expected RTT steps then follow the delay in force. Hardware
 * testbeds, labs without a WAN link and a WAN state that cannot be read give the testbed unchanged.
 */
export async function withLabWanInForce(tb: Testbed, io: IoOptions = {}): Promise<Testbed> {
  const wanLink = tb.lab?.wanLink;
  if (wanLink === undefined || !labKnobs(tb).wanImpairment) return tb;
  const state = await wanState(planLab(tb, { assetsDir: assetsDir() }), io).catch(() => undefined);
  const delayMs = state === undefined ? undefined : wanDelayMsOf(state);
  if (delayMs === undefined) return tb;
  return { ...tb, links: tb.links.map((l) => (l.name !== wanLink ? l
    : { ...l, impairment: { ...(l.impairment ?? { jitterMs: 0, lossPct: 0, rateMbit: 0 }), delayMs } })) };
}

/** One-way delay of a WAN state: the relay's `delay_us`, or netem's `delay N(us|ms|s)`. */
export function wanDelayMsOf(s: WanState): number | undefined {
  if (!s.running) return undefined;
  const us = s.fields['delay_us'];
  if (us !== undefined && /^\d+$/.test(us)) return Number(us) / 1000;
  const m = /\bdelay ([\d.]+)(us|ms|s)\b/.exec(s.fields['qdisc'] ?? '');
  if (m === null) return undefined;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

/**
 * Turns ARP/ND suppression of the emulated lab's stretched segments on or off (lab/arp-nd-suppression.ts):
 * on every TOR, on the bridges of the subnets that have a VNI, the VXLAN ports get `neigh_suppress` on
 * (off when `on` is false) and every other port off, and each TOR's agent is told, so a VXLAN port it
 * creates later (an EVPN attach at the destination during a move) gets the same flag. `lab down` and
 * `lab up` put it back to off. Resolves with the flags read back.
 */
export function setLabArpNdSuppression(tb: Testbed, on: boolean, io: IoOptions = {}): Promise<LabArpNdSuppression> {
  if (tb.lab === undefined)
    throw new LabError('ARP/ND suppression is a knob of the emulated lab only', {
      operation: 'set ARP/ND suppression',
      hint: "turn ARP/ND suppression on hardware with the switches' own configuration",
    });
  return setArpNdSuppression(planLab(tb, { assetsDir: assetsDir() }), tb, on, io);
}
