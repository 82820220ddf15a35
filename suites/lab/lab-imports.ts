/**
 * The lab specs' view of vmmi internals they check against, outside the public API (src/index.ts):
 * the lab plan, teardown and health checks, WAN settings, drivers and SSH connections opened
 * independently of a run, and process checks. Suites import only the package entry; this one file
 * reaches into src/, so every reach-in of the lab suite is listed here.
 */
/* eslint-disable no-restricted-imports */
export { loadTestbed } from '../../src/inventory/load.js';
export { planLab, type LabPlan } from '../../src/lab/topology.js';
export { findLeftovers, isClean } from '../../src/lab/down.js';
export { udpEcho } from '../../src/lab/health.js';
export { setWan, wanState } from '../../src/lab/wan.js';
export { hvUnixUri } from '../../src/lab/hypervisors.js';
export { openHypervisorDriver } from '../../src/drivers/hypervisor/registry.js';
export { LibvirtRpcDriver } from '../../src/drivers/hypervisor/libvirt-rpc.js';
export { openSwitchDriver } from '../../src/drivers/switch/registry.js';
export { hasHostRoutes } from '../../src/drivers/switch/types.js';
export { runLocal } from '../../src/exec/local.js';
export { sshConnect } from '../../src/transports/ssh.js';
export { NetconfClient } from '../../src/transports/netconf/client.js';
export { cliEndpoint, netconfEndpoint } from '../../src/model/switch-access.js';
export { el } from '../../src/transports/netconf/xml-build.js';
export { isAlive, pidsInNetns } from '../../src/lab/proc.js';
export type { Testbed } from '../../src/model/testbed.js';
/* eslint-enable no-restricted-imports */
