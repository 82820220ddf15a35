import type { CliPlatform, CliPlatformName } from './cli-platform.js';
import { eos } from './eos.js';
import { frrVtysh } from './frr-vtysh.js';
import { junos } from './junos.js';
import { linux } from './linux.js';

/** CLI platform data by name. */
export const CLI_PLATFORMS: Readonly<Record<CliPlatformName, CliPlatform>> = {
  linux,
  'frr-vtysh': frrVtysh,
  junos,
  eos,
};
