import type { CliPlatform } from './cli-platform.js';

/** Junos CLI (operational `user@host>`, configuration `user@host#`). */
export const junos: CliPlatform = {
  name: 'junos',
  prompt: /^(\{[\w:/-]+\}\n)?[\w.@-]+> ?$/m,
  onOpen: ['set cli screen-length 0', 'set cli screen-width 0', 'set cli complete-on-space off'],
  failures: [/^error: /m, /^syntax error/m, /unknown command\./, /^\s+\^$/m, /missing argument\./],
  modes: {
    config: {
      enter: ['configure private'],
      exit: ['exit configuration-mode'],
      prompt: /^(\[edit[^\]]*\]\n)?[\w.@-]+# ?$/m,
    },
  },
};
