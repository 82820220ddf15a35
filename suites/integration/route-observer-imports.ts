/**
 * The route-observer spec's view of vmmi internals, outside the public API (src/index.ts): the device
 * observers and their selection, the SSH transport and the sshd-in-a-namespace helper. Every reach-in of
 * that spec is listed here.
 */
/* eslint-disable no-restricted-imports */
export { startSshMonitor } from '../../src/probes/route-monitor/ssh-monitor.js';
export { startRoutePoller } from '../../src/probes/route-monitor/route-poller.js';
export { observedRouteChanges, observedTimelineEvents } from '../../src/probes/route-monitor/observed.js';
export { createDeviceRouteMonitor } from '../../src/probes/route-monitor/device-monitor.js';
export { sshConnect, type SshTarget } from '../../src/transports/ssh.js';
export { startNetnsSshd, type NetnsSshd } from '../../test/helpers/netns-sshd.js';
export { runLocal } from '../../src/exec/local.js';
export { stamp } from '../../src/util/stamp.js';
/* eslint-enable no-restricted-imports */
