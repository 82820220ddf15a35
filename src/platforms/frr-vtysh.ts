import type { CliPlatform } from './cli-platform.js';

/** FRRouting vtysh, started from a Linux login shell. */
export const frrVtysh: CliPlatform = {
  name: 'frr-vtysh',
  prompt: /^[\w.-]+# ?$/m,
  launch: 'vtysh',
  onOpen: ['terminal length 0'],
  failures: [/% Unknown command/, /% Invalid input/, /% Command incomplete/, /% Ambiguous command/,
    /% Malformed/, /% Can't find/, /% Nexthop/, /% Inconsistent/, /% There is no/],
  modes: {
    config: { enter: ['configure terminal'], exit: ['end'], prompt: /^[\w.-]+\(config[\w-]*\)# ?$/m },
  },
};
