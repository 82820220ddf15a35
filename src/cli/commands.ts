import { reportCommand } from './report.js';
import { testbedCommand } from './testbed.js';
import { labCommand } from './lab.js';
import { planCommand } from './plan.js';
import { createMigrateCommand } from './migrate.js';
import { recoverCommand } from './recover.js';
import { runCommand } from './run.js';
import { openTestbed, progressPrinter } from '../harness/open.js';
import type { Command } from './command.js';

/** Explicit registry of command groups; each later capability adds its line here. */
export const commands: Readonly<Record<string, Command>> = {
  testbed: testbedCommand,
  lab: labCommand,
  report: reportCommand,
  plan: planCommand,
  run: runCommand,
  migrate: createMigrateCommand((tb, signal) => openTestbed(tb, signal, { onProgress: progressPrinter() })),
  recover: recoverCommand,
};

export function printHelp(): void {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  console.log(`usage: vmmi <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nvmmi <command> --help for details`);
}
