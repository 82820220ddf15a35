/**
 * CLI sessions over SSH: an interactive prompt/mode engine on a pty shell, and one-shot exec.
 * Platform specifics (prompts, modes, paging-off, failure strings) are data in src/platforms.
 * Every interaction has a hard timeout; after a timeout or abort the session is closed, because
 * its prompt state is unknown from then on.
 */
import type { Duplex } from 'node:stream';
import { ConnectionError } from '../errors/classes.js';
import type { CliPlatform } from '../platforms/cli-platform.js';
import { withDeadline, type IoOptions } from '../util/abort.js';
import type { ExecResult, SshConnection } from './ssh.js';

export interface CliResponse {
  readonly command: string;
  /** Output without echo, prompt, ANSI sequences and CRs. */
  readonly output: string;
  /** True when a platform failure pattern matched. */
  readonly failed: boolean;
  readonly failure?: string;
  readonly durationMs: number;
}

export interface CliOptions extends IoOptions {
  /** Default per-interaction timeout (ms, default 30 000). */
  readonly commandTimeoutMs?: number;
  readonly device?: string;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]/g;
const ANY_PROMPT = /[$#>%] ?$/;

/** Interactive CLI session with prompt detection and named modes. */
export class CliSession {
  readonly platform: CliPlatform;
  readonly #ch: Duplex;
  readonly #opts: CliOptions;
  #buf = '';
  #wake: (() => void) | undefined;
  #closed = false;
  #mode = '';

  private constructor(ch: Duplex, platform: CliPlatform, opts: CliOptions) {
    this.#ch = ch;
    this.platform = platform;
    this.#opts = opts;
    ch.on('data', (b: Buffer) => {
      this.#buf += b.toString('utf8');
      this.#wake?.();
    });
    ch.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  /** Opens a pty shell, waits for the login prompt, launches the platform shell and runs onOpen. */
  static async open(conn: SshConnection, platform: CliPlatform, opts: CliOptions = {}): Promise<CliSession> {
    const ch = await conn.shell(opts);
    const s = new CliSession(ch, platform, { ...opts, device: opts.device ?? conn.target.name ?? conn.target.host });
    try {
      const first = await s.#waitFor(ANY_PROMPT, 'login prompt', opts);
      // Launch the platform shell from a login shell, unless the session already is that shell
      // (e.g. sshd `ForceCommand vtysh` on a switch).
      if (platform.launch !== undefined && !platform.prompt.test(first.trimEnd())) {
        await s.#raw(`${platform.launch}`, platform.prompt, opts);
      }
      for (const c of platform.onOpen) await s.#raw(c, platform.prompt, opts);
      return s;
    } catch (e) {
      s.close();
      throw e;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  get mode(): string {
    return this.#mode;
  }

  #prompt(): RegExp {
    return this.#mode === '' ? this.platform.prompt : (this.platform.modes[this.#mode]?.prompt ?? this.platform.prompt);
  }

  #waitFor(re: RegExp, what: string, o: IoOptions): Promise<string> {
    const done = new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const clean = this.#buf.replace(ANSI, '').replace(/\r/g, '');
        if (re.test(clean.trimEnd()) || re.test(clean)) {
          this.#wake = undefined;
          this.#buf = '';
          resolve(clean);
        } else if (this.#closed) {
          this.#wake = undefined;
          reject(new ConnectionError(`CLI channel closed while waiting for ${what}`, { ...this.#ctx(what) }));
        }
      };
      this.#wake = check;
      check();
    });
    const timeoutMs = o.timeoutMs ?? this.#opts.commandTimeoutMs ?? 30_000;
    return withDeadline(done, what, {
      timeoutMs, ...(o.signal ? { signal: o.signal } : {}), ctx: this.#ctx(what),
      onCancel: () => {
        this.#wake = undefined;
        this.close();
      },
    });
  }

  #ctx(operation: string): { device?: string; operation: string } {
    return { ...(this.#opts.device !== undefined ? { device: this.#opts.device } : {}), operation };
  }

  async #raw(command: string, prompt: RegExp, o: IoOptions): Promise<string> {
    if (this.#closed) throw new ConnectionError('CLI session is closed', this.#ctx(command));
    this.#buf = '';
    this.#ch.write(`${command}\n`);
    return this.#waitFor(prompt, `command "${command}"`, o);
  }

  /** Sends one command and waits for the prompt of the current mode. Failure is data (`failed`). */
  async send(command: string, o: IoOptions = {}): Promise<CliResponse> {
    if (command.includes('\n')) throw new TypeError('CliSession.send: one command per call (no newlines)');
    const t0 = performance.now();
    const text = await this.#raw(command, this.#prompt(), o);
    const output = stripEchoAndPrompt(text, command, this.#prompt());
    const hit = this.platform.failures.find((re) => re.test(output));
    return {
      command, output, failed: hit !== undefined, durationMs: performance.now() - t0,
      ...(hit !== undefined ? { failure: (hit.exec(output)?.[0] ?? '').trim() } : {}),
    };
  }

  /** Sends commands in order; stops at the first failed one. */
  async sendAll(commands: readonly string[], o: IoOptions = {}): Promise<CliResponse[]> {
    const out: CliResponse[] = [];
    for (const c of commands) {
      const r = await this.send(c, o);
      out.push(r);
      if (r.failed) break;
    }
    return out;
  }

  /** Enters a named mode of the platform (e.g. `config`). */
  async enterMode(name: string, o: IoOptions = {}): Promise<void> {
    const m = this.platform.modes[name];
    if (m === undefined) throw new TypeError(`platform ${this.platform.name} has no mode "${name}"`);
    if (this.#mode === name) return;
    for (const c of m.enter) await this.#raw(c, m.prompt, o);
    this.#mode = name;
  }

  /** Leaves the current mode back to the base prompt. */
  async exitMode(o: IoOptions = {}): Promise<void> {
    const m = this.platform.modes[this.#mode];
    if (m === undefined) return;
    for (const c of m.exit) await this.#raw(c, this.platform.prompt, o);
    this.#mode = '';
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ch.end();
    this.#ch.destroy();
  }
}

/** Removes the echoed command line and the trailing prompt line. */
export function stripEchoAndPrompt(text: string, command: string, prompt: RegExp): string {
  const lines = text.split('\n');
  const first = lines[0]?.trim() ?? '';
  if (first === command.trim() || first.endsWith(command.trim())) lines.shift();
  while (lines.length > 0 && ((lines.at(-1) ?? '').trim() === '' || prompt.test(lines.at(-1) ?? ''))) lines.pop();
  return lines.join('\n');
}

/** Runs one argv non-interactively (SSH exec channel) with a hard timeout. */
export function cliExec(conn: SshConnection, argv: readonly string[], o: IoOptions = {}): Promise<ExecResult> {
  return conn.exec(argv, { timeoutMs: o.timeoutMs ?? 30_000, ...(o.signal ? { signal: o.signal } : {}) });
}
