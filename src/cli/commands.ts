/**
 * The registry of `vmmi` commands: name → summary, usage, argument spec and a loader. A command's
 * module (and everything it imports) is loaded only when that command runs, so `vmmi --help` and
 * `vmmi --version` start fast; `--help` of a command with a spec is answered from the spec alone.
 * A new command adds one line: `name: { summary, usage, load: async () => (await import('./x.js')).xCommand }`
 * (then its module answers its own `--help`), or `name: entry(SPEC, loader)` with a spec from specs.ts.
 */
import type { Command } from './command.js';
import { CERTIFY, INIT, LAB_GROUP, MIGRATE, PLAN, RECOVER, REPORT, RUN, TESTBED_GROUP, type CommandSpec } from './specs.js';

export interface CommandEntry {
  readonly summary: string;
  readonly usage: string;
  /** Options and subcommands; without it the module itself answers `--help`. */
  readonly spec?: CommandSpec;
  load(): Promise<Command>;
}

const entry = (spec: CommandSpec, load: () => Promise<Command>): CommandEntry =>
  ({ summary: spec.summary, usage: spec.usage, spec, load });

/** Explicit registry of command groups; each later capability adds its line here. */
export const commands: Readonly<Record<string, CommandEntry>> = {
  testbed: entry(TESTBED_GROUP, async () => (await import('./testbed.js')).testbedCommand),
  lab: entry(LAB_GROUP, async () => (await import('./lab.js')).labCommand),
  report: entry(REPORT, async () => (await import('./report.js')).reportCommand),
  plan: entry(PLAN, async () => (await import('./plan.js')).planCommand),
  init: entry(INIT, async () => (await import('./init.js')).initCommand),
  run: entry(RUN, async () => (await import('./run.js')).runCommand),
  migrate: entry(MIGRATE, async () => {
    const [{ createMigrateCommand }, { openTestbed, progressPrinter }] =
      await Promise.all([import('./migrate.js'), import('../harness/open.js')]);
    return createMigrateCommand((tb, signal) => openTestbed(tb, signal, { onProgress: progressPrinter() }));
  }),
  recover: entry(RECOVER, async () => (await import('./recover.js')).recoverCommand),
  certify: entry(CERTIFY, async () => (await import('./certify.js')).certifyCommand),
};

export function commandNames(): string[] {
  return Object.keys(commands);
}
