import { isVmmiError } from '../errors/vmmi-error.js';
import { redact } from '../util/redact.js';
import { commands, printHelp } from './commands.js';

/**
 * `vmmi` entry: dispatches `vmmi <group> [<command>] ...` to the command registry.
 * Returns the exit code: 0 ok, 1 failure, 2 invalid input or usage.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [group, ...rest] = argv;
  if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
    printHelp();
    return group === undefined ? 2 : 0;
  }
  const cmd = commands[group];
  if (cmd === undefined) {
    console.error(`vmmi: unknown command "${group}"; commands: ${Object.keys(commands).join(', ')}`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (isVmmiError(e)) {
      console.error(redact(`vmmi ${group}: ${e.message}`));
      return e.code === 'USAGE' || e.code === 'INVENTORY_INVALID' || e.code === 'INVENTORY_READ' ? 2 : 1;
    }
    console.error(
      redact(`vmmi ${group}: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
    );
    return 1;
  }
}
