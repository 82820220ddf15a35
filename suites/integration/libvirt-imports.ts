/**
 * The libvirt specs' view of vmmi internals, outside the public API (src/index.ts): the hypervisor
 * drivers, the libvirt client and the lab's libvirtd starter. Suites import only the package entry;
 * this one file reaches into src/, so every reach-in of the libvirt specs is listed here.
 */
/* eslint-disable no-restricted-imports */
export { LibvirtRpcDriver, createLibvirtRpcDriver } from '../../src/drivers/hypervisor/libvirt-rpc.js';
export { VirshDriver, createVirshDriver } from '../../src/drivers/hypervisor/virsh.js';
export { openHypervisorDriver } from '../../src/drivers/hypervisor/registry.js';
export type { HypervisorDriver, HypervisorEvent, MigrationJobOutcome } from '../../src/drivers/hypervisor/types.js';
export { type LibvirtdHandle, renderLibvirtdConf, renderQemuConf, startLibvirtd } from '../../src/lab/libvirtd.js';
export { connectLibvirt } from '../../src/transports/libvirt/client.js';
export { LibvirtError } from '../../src/errors/classes.js';
export { Secret } from '../../src/model/secret.js';
export { runLocal } from '../../src/exec/local.js';
/* eslint-enable no-restricted-imports */
