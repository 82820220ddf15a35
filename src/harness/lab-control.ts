/**
 * Run-time control of the emulated lab for suites: WAN impairment (delay, loss, cut) and the lab's
 * namespaces. Hardware testbeds have no such knobs; these functions refuse them clearly.
 */
import { LabError } from '../errors/classes.js';
import { setWan, type WanSettings, type WanState } from '../lab/wan.js';
import { plantAddressHolder, type PlantedHolder } from '../lab/address-holder.js';
import { labKnobs } from '../model/lab-knobs.js';
import { planLab } from '../lab/topology.js';
import type { Testbed } from '../model/testbed.js';
import type { IoOptions } from '../util/abort.js';
import { assetsDir } from '../util/layout.js';

export type { WanSettings, WanState } from '../lab/wan.js';
export type { PlantedHolder } from '../lab/address-holder.js';
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
