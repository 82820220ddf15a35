/**
 * Static routes through the switch's rtnetlink helper (lab-assets/nlroute.c): one long-lived child in
 * the agent's namespace, one line per route, one answer per line. The agent used to spawn `ip` per
 * route; under load a spawn cost 30-60 ms, so a committed host route reached the kernel 70-140 ms after
 * its commit. Other commands (links, addresses, bridges) are rare and stay `ip` spawns.
 *
 * The pure half (`nlrouteLine`, `parseAnswer`) maps the reconcile plan's `ip route` argv to the
 * helper's line protocol and reads its answers; the shell half (`NetlinkRoutes`) owns the child.
 */
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { spawnPiped, type ChildProcessWithoutNullStreams } from '../../exec/spawn.js';
import { assetsDir } from '../../util/layout.js';

/** Where `scripts/build-lab-assets` puts the helper. */
export function nlrouteBinary(): string {
  return `${assetsDir()}/nlroute`;
}

/**
 * The helper's command for a reconcile argv (`ip [-6] route replace|del PREFIX [via A] [dev D] proto static`),
 * or undefined when the argv is anything else (it then runs as a spawn). Pure.
 */
export function nlrouteLine(id: string, argv: readonly string[]): string | undefined {
  const a = [...argv];
  if (a[0] !== 'ip') return undefined;
  let i = 1;
  if (a[i] === '-6' || a[i] === '-4') i += 1;
  if (a[i] !== 'route') return undefined;
  const verb = a[i + 1];
  const prefix = a[i + 2];
  if ((verb !== 'replace' && verb !== 'del') || prefix === undefined || !prefix.includes('/')) return undefined;
  const out = [id, verb, prefix];
  for (let k = i + 3; k < a.length; k += 2) {
    const key = a[k];
    const value = a[k + 1];
    if (value === undefined) return undefined;
    if (key === 'proto') {
      if (value !== 'static') return undefined; // the helper writes protocol static only
    } else if (key === 'via' || key === 'dev') {
      if (/\s/.test(value) || value === '') return undefined;
      out.push(key, value);
    } else return undefined;
  }
  return out.join(' ');
}

export interface NetlinkAnswer {
  readonly id: string;
  readonly ok: boolean;
  /** errno and text when not ok. */
  readonly errno?: number;
  readonly error?: string;
}

/** One answer line: `ID ok` or `ID err ERRNO TEXT`; undefined when the line is neither. Pure. */
export function parseAnswer(line: string): NetlinkAnswer | undefined {
  const m = /^(\S+) (ok|err (\d+) ?(.*))$/.exec(line.trimEnd());
  if (m === null) return undefined;
  if (m[2] === 'ok') return { id: m[1] as string, ok: true };
  return { id: m[1] as string, ok: false, errno: Number(m[3]), error: m[4] ?? '' };
}

/** Result of one argv: undefined when applied, else why not. */
export type RouteOutcome = string | undefined;

/**
 * The helper child. `apply` sends every route line at once (the helper answers in order) and resolves
 * when all are answered or `timeoutMs` passed; a dead or missing helper fails each pending command.
 */
export class NetlinkRoutes {
  private readonly pending = new Map<string, (a: NetlinkAnswer | string) => void>();
  private next = 0;
  private dead?: string;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const a = parseAnswer(line);
      if (a === undefined) return;
      const done = this.pending.get(a.id);
      this.pending.delete(a.id);
      done?.(a);
    });
    const fail = (why: string): void => {
      this.dead ??= why;
      for (const [, done] of this.pending) done(why);
      this.pending.clear();
    };
    child.on('exit', (code, sig) => fail(`nlroute exited (${sig ?? `code ${code}`})`));
    child.on('error', (e) => fail(`nlroute: ${e.message}`));
    child.stdin.on('error', (e) => fail(`nlroute stdin: ${e.message}`));
  }

  /**
   * Starts the helper, or undefined when it is not built (the agent then spawns `ip`). `enter` prefixes its
   * argv (e.g. `ip netns exec NS`); the agent runs inside its switch's namespace and needs none.
   */
  static start(binary = nlrouteBinary(), enter: readonly string[] = []): NetlinkRoutes | undefined {
    if (!existsSync(binary)) return undefined;
    const child = spawnPiped([...enter, binary]);
    // The helper's own complaints (a netlink socket it cannot open) go to the agent's log.
    child.stderr.on('data', (b: Buffer) => process.stderr.write(b));
    return new NetlinkRoutes(child);
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  /** Applies route lines in order; one outcome per line. */
  async apply(lines: readonly ((id: string) => string)[], timeoutMs: number): Promise<RouteOutcome[]> {
    const waits = lines.map((make) => {
      const id = `r${(this.next += 1)}`;
      return new Promise<RouteOutcome>((resolve) => {
        if (this.dead !== undefined) {
          resolve(this.dead);
          return;
        }
        this.pending.set(id, (a) =>
          resolve(typeof a === 'string' ? a : a.ok ? undefined : `${a.error} (errno ${a.errno})`));
        this.child.stdin.write(`${make(id)}\n`);
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const all = await Promise.race([Promise.all(waits), expired]);
      if (all !== 'timeout') return all;
      // A helper that stops answering is given up: the agent falls back to `ip` from now on.
      const why = `nlroute gave no answer within ${timeoutMs} ms`;
      this.dead ??= why;
      for (const [, done] of this.pending) done(why);
      this.pending.clear();
      this.child.kill();
      return await Promise.all(waits);
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    this.child.stdin.end();
  }
}
