import { runLocal } from './local.js';
import type { CommandRunner } from './types.js';

/** argv prefix that runs a command in network namespace `ns` (needs root). */
export function netnsArgv(ns: string): string[] {
  return ['ip', 'netns', 'exec', ns];
}

/** A runner that enters network namespace `ns` with `ip netns exec` (needs root). */
export function netnsRunner(ns: string): CommandRunner {
  return {
    where: `netns:${ns}`,
    run: (argv, options) => runLocal([...netnsArgv(ns), ...argv], options),
  };
}
