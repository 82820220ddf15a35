/**
 * The NETCONF specs' view of vmmi internals, outside the public API (src/index.ts): the device layer
 * (NETCONF client, XML helpers, switch drivers and transactions, CLI sessions) and the lab's netconfd
 * starter. Suites import only the package entry; this one file reaches into src/, so every reach-in of
 * the NETCONF specs is listed here.
 */
/* eslint-disable no-restricted-imports */
export {
  generateLabKeys,
  startNetconfSwitch,
  writeKnownHosts,
  type NetconfSwitch,
  type NetconfUser,
  type LabKeys,
} from '../../src/lab/netconfd.js';
export { ensureNetconfUser } from '../../src/lab/netconf-user.js';
export { NACM_GROUP } from '../../src/lab/nacm.js';
export { NetconfClient } from '../../src/transports/netconf/client.js';
export { nodeOperation } from '../../src/transports/netconf/operations.js';
export { e, el, raw } from '../../src/transports/netconf/xml-build.js';
export { child, childrenNamed, textAt } from '../../src/transports/netconf/xml.js';
export type { NetconfNotification } from '../../src/transports/netconf/notifications.js';
export { createNetconfDriver } from '../../src/drivers/switch/netconf-driver.js';
export { netconfIetf, NS_IF, NS_IANAIFT } from '../../src/drivers/switch/netconf-ietf.js';
export { stageTransaction, transaction, snapshotRunning } from '../../src/drivers/switch/transaction.js';
export { canonicalConfig } from '../../src/drivers/switch/config-diff.js';
export { openSwitchDriver } from '../../src/drivers/switch/registry.js';
export { canStageHostRoutes, hasHostRoutes, hasSegments } from '../../src/drivers/switch/types.js';
export { Secret } from '../../src/model/secret.js';
export type { Switch } from '../../src/model/testbed.js';
export { isVmmiError } from '../../src/errors/vmmi-error.js';
export { isAlive } from '../../src/lab/proc.js';
export { runLocal } from '../../src/exec/local.js';
/* eslint-enable no-restricted-imports */
/* eslint-disable no-restricted-imports */
export { CliSession, cliExec } from '../../src/transports/cli-session.js';
export { CLI_PLATFORMS } from '../../src/platforms/cli-platforms.js';
export { SshPool, sshConnect } from '../../src/transports/ssh.js';
/* eslint-enable no-restricted-imports */
export { createFrrSshDriver } from '../../src/drivers/switch/frr-ssh.js'; // eslint-disable-line no-restricted-imports
