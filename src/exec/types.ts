/** Result of one command; failure is data (`failed`), callers decide whether to throw. */
export interface CommandResult {
  readonly argv: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | undefined;
  readonly durationMs: number;
  readonly failed: boolean;
  readonly timedOut: boolean;
}

export interface RunOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly input?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** Runs argv arrays (never shell strings) somewhere: locally, in a namespace, over SSH. */
export interface CommandRunner {
  readonly where: string;
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
}
