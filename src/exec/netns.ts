import { runLocal } from './local.js';
import type { CommandRunner } from './types.js';

/** A runner that enters network namespace `ns` with `ip netns exec` (needs root). */
export function netnsRunner(ns: string): CommandRunner {
  return {
    where: `netns:${ns}`,
    run: (argv, options) => runLocal(['ip', 'netns', 'exec', ns, ...argv], options),
  };
}
