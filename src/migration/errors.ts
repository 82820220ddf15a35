/** Errors of the migration layer (codes from errors/codes.ts). */
import { MigrationError } from '../errors/classes.js';
import { VmmiError, type VmmiErrorOptions } from '../errors/vmmi-error.js';

/** An event arrived that the migration state machine does not accept in its current state. */
export class IllegalTransitionError extends MigrationError {
  readonly state: string;
  readonly event: string;
  constructor(state: string, event: string, accepted: readonly string[]) {
    super(`event "${event}" is not accepted in state "${state}" (accepted: ${accepted.join(', ') || 'none'})`, {
      operation: 'transition',
      hint: 'this is a bug in the executor feeding the machine; report it with the timeline',
    });
    this.state = state;
    this.event = event;
  }
}

/** Someone already holds the VM's address in the destination subnet. */
export interface Conflict {
  readonly address: string;
  /** Name, MAC or both of the holder. */
  readonly holder: string;
  readonly via: 'testbed' | 'arp-probe' | 'dad';
}

export class IpConflictError extends VmmiError {
  readonly conflicts: readonly Conflict[];
  constructor(conflicts: readonly Conflict[], options: VmmiErrorOptions = {}) {
    super('IP_CONFLICT', conflicts.map((c) => `address ${c.address} is held by ${c.holder} (${c.via})`).join('; '), {
      operation: 'precheck',
      hint: 'free the address in the destination subnet or pick another destination',
      ...options,
    });
    this.conflicts = conflicts;
  }
}

// One class for every layer: probes/ and drivers/ raise it too, and they do not import migration/.
export { PrecheckError } from '../errors/classes.js';
