import type { CliPlatform } from './cli-platform.js';

/** POSIX shell (bash/sh/busybox). The prompt is forced to a fixed marker on open. */
export const linux: CliPlatform = {
  name: 'linux',
  prompt: /VMMI-PROMPT[#$] $/,
  onOpen: [
    "PS1='VMMI-PROMPT# '; PS2=''; export PAGER=cat SYSTEMD_PAGER= TERM=dumb; stty -echo 2>/dev/null; unset PROMPT_COMMAND",
  ],
  failures: [/command not found$/m, /No such file or directory$/m, /Permission denied$/m, /^Error: /m],
  modes: {},
};
