import type { Command } from './commands.js';

export const testbedCommand: Command = {
  summary: 'validate, show or export the schema of a testbed file',
  usage: 'vmmi testbed validate FILE | show FILE | schema',
  run: () => Promise.resolve(2),
};
