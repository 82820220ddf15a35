/**
 * The device-version spec's view of vmmi internals, outside the public API (src/index.ts): the
 * OpenConfig dialect and the version parsers. Every reach-in of that spec beyond netconf-imports.ts
 * is listed here.
 */
/* eslint-disable no-restricted-imports */
export { openconfigNetconf } from '../../src/drivers/switch/openconfig-netconf.js';
export { junosNetconf } from '../../src/drivers/switch/junos-netconf.js';
export { FRR_SHOW_VERSION } from '../../src/platforms/show-version.js';
export { parseShowVersion } from '../../src/drivers/switch/version-parse.js';
/* eslint-enable no-restricted-imports */
