/**
 * Shape of CLI platform data (prompts, modes, paging-off, failure strings). One file per platform
 * holds only data; the engine is transports/cli-session.ts.
 */
export type CliPlatformName = 'linux' | 'frr-vtysh' | 'junos' | 'eos';

export interface CliMode {
  /** Commands that enter the mode from the base mode. */
  readonly enter: readonly string[];
  /** Commands that leave it back to the base mode. */
  readonly exit: readonly string[];
  readonly prompt: RegExp;
}

export interface CliPlatform {
  readonly name: CliPlatformName;
  /** Base-mode prompt, matched against the end of the received text. */
  readonly prompt: RegExp;
  /** Command that starts the platform shell from the login shell (e.g. `vtysh`), if any. */
  readonly launch?: string;
  /** Sent once after the first prompt (paging off, terminal width). */
  readonly onOpen: readonly string[];
  /** Output lines that mark a command as failed even though the shell printed a prompt. */
  readonly failures: readonly RegExp[];
  readonly modes: Readonly<Record<string, CliMode>>;
}
