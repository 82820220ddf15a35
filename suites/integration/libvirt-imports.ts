/**
 * The libvirt specs' view of vmmi. Suites import only the package entry; src/index.ts does not
 * export the hypervisor drivers, the libvirt client or the lab's libvirtd starter yet, so this one
 * file reaches into src/ (the integrator replaces these lines with `from '../../src/index.js'`).
 */
/* eslint-disable no-restricted-imports */
export { LibvirtRpcDriver, createLibvirtRpcDriver } from '../../src/drivers/hypervisor/libvirt-rpc.js';
export { VirshDriver, createVirshDriver } from '../../src/drivers/hypervisor/virsh.js';
export { openHypervisorDriver } from '../../src/drivers/hypervisor/registry.js';
export type { HypervisorDriver, HypervisorEvent, MigrationResult } from '../../src/drivers/hypervisor/types.js';
export { type LibvirtdHandle, renderLibvirtdConf, renderQemuConf, startLibvirtd } from '../../src/lab/libvirtd.js';
export { connectLibvirt } from '../../src/transports/libvirt/client.js';
export { LibvirtError } from '../../src/errors/classes.js';
export { Secret } from '../../src/model/secret.js';
export { runLocal } from '../../src/exec/local.js';
/* eslint-enable no-restricted-imports */
