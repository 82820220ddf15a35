import type { CliPlatform } from './cli-platform.js';

/** Arista EOS CLI (privileged `host#`, configuration `host(config…)#`). */
export const eos: CliPlatform = {
  name: 'eos',
  prompt: /^[\w.-]+(>|#) ?$/m,
  onOpen: ['enable', 'terminal length 0', 'terminal width 32767'],
  failures: [/% Invalid input/, /% Incomplete command/, /% Ambiguous command/, /% Unavailable command/, /% Error/],
  modes: {
    config: { enter: ['configure terminal'], exit: ['end'], prompt: /^[\w.-]+\(config[^)]*\)# ?$/m },
  },
};
