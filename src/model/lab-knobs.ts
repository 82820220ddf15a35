import type { Testbed } from './testbed.js';

/**
 * The run-time knobs a testbed offers (pure): only the emulated lab has them; hardware is changed by
 * its owner. harness/lab-control.ts turns them; certification asks for them before anything moves.
 */
export interface LabKnobs {
  /** WAN delay and loss through the lab's relay. */
  readonly wanImpairment: boolean;
  /** A planted holder of a VM's address (the conflict scenario). */
  readonly addressHolder: boolean;
}

export function labKnobs(tb: Testbed): LabKnobs {
  return { wanImpairment: tb.lab?.wanLink !== undefined, addressHolder: tb.lab !== undefined };
}
