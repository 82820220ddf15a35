/**
 * The fault suite's view of vmmi internals it checks against: fresh hypervisor and switch drivers
 * (independent of the drivers a run used), the config flattening of the residue check, and the
 * history database the reporter writes. Suites import only the package entry; this one file reaches in.
 */
/* eslint-disable no-restricted-imports */
export { openHypervisorDriver } from '../../src/drivers/hypervisor/registry.js';
export { openSwitchDriver } from '../../src/drivers/switch/registry.js';
export { flattenXml } from '../../src/drivers/switch/config-diff.js';
export { parseXml } from '../../src/transports/netconf/xml.js';
export { HistoryStore } from '../../src/report/history.js';
