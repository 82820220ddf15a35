/** One `vmmi` command group. `run` returns the exit code. commands.ts registers them by name. */
export interface Command {
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[]): Promise<number>;
}
