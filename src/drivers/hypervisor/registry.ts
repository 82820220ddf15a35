/**
 * Explicit registry of hypervisor driver kinds (model/testbed.ts HYPERVISOR_DRIVER_KINDS). Adding a
 * kind there without a factory here fails type-checking; an unknown kind at run time lists the known ones.
 */
import { UnknownKindError } from '../../errors/classes.js';
import { HYPERVISOR_DRIVER_KINDS, type Hypervisor, type HypervisorDriverKind } from '../../model/testbed.js';
import { createLibvirtRpcDriver, type LibvirtRpcDriverOptions } from './libvirt-rpc.js';
import type { HypervisorDriver } from './types.js';
import { createVirshDriver, type VirshDriverOptions } from './virsh.js';

export interface HypervisorDriverFactoryOptions {
  readonly rpc?: Omit<LibvirtRpcDriverOptions, 'host' | 'ssh'>;
  readonly virsh?: Omit<VirshDriverOptions, 'host'>;
}

export type HypervisorDriverFactory = (
  hv: Pick<Hypervisor, 'name' | 'uri' | 'credentials' | 'hostKey'>,
  o?: HypervisorDriverFactoryOptions,
) => Promise<HypervisorDriver>;

export const hypervisorDrivers = {
  'libvirt-rpc': (hv, o) =>
    createLibvirtRpcDriver(hv.uri, {
      ...o?.rpc,
      host: hv.name,
      device: hv.name,
      ...(hv.credentials !== undefined && hv.hostKey !== undefined
        ? { ssh: { credentials: hv.credentials, hostKey: hv.hostKey } }
        : {}),
    }),
  virsh: async (hv, o) => createVirshDriver(hv.uri, { ...o?.virsh, host: hv.name }),
} as const satisfies Record<HypervisorDriverKind, HypervisorDriverFactory>;

/** Opens a driver of `kind` for hypervisor `hv`. Throws UnknownKindError for a kind not registered. */
export function openHypervisorDriver(kind: string, hv: Parameters<HypervisorDriverFactory>[0],
  o?: HypervisorDriverFactoryOptions): Promise<HypervisorDriver> {
  if (!(HYPERVISOR_DRIVER_KINDS as readonly string[]).includes(kind)) {
    throw new UnknownKindError('hypervisor driver kind', kind, Object.keys(hypervisorDrivers));
  }
  return hypervisorDrivers[kind as HypervisorDriverKind](hv, o);
}
