/**
 * SSH transport: the sole importer of ssh2. Promise adapters for connect, exec, shell and
 * subsystem channels. Host keys are verified by default (known_hosts file or pinned SHA256
 * fingerprint); `insecure-accept-any-host-key` must be chosen explicitly and is recorded for the
 * run manifest (`insecureHostKeyConnections()`). Secrets are revealed only into ssh2's config.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Duplex, Readable } from 'node:stream';
// ssh2 is CommonJS: a default import works under every ESM loader (tsx, Playwright, node).
import ssh2, { type Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { AuthError, ConnectionError, HostKeyError, UnsupportedError } from '../errors/classes.js';
import { isVmmiError, VmmiError, type VmmiErrorOptions } from '../errors/vmmi-error.js';
import type { Secret } from '../model/secret.js';
import type { Credentials, HostKeyPolicy } from '../model/testbed.js';
import { withDeadline, type IoOptions } from '../util/abort.js';
import {
  algorithmsFor,
  checkPresentedKey,
  fingerprintOf,
  knownHostKeys,
  normaliseFingerprint,
  usableKeys,
  type KnownHostKey,
} from './ssh-known-hosts.js';

export { quoteArgv } from './ssh-quote.js';
import { quoteArgv } from './ssh-quote.js';

/** Where and as whom to connect. */
export interface SshTarget {
  /** Device name used in error messages (defaults to host). */
  readonly name?: string;
  readonly host: string;
  readonly port: number;
  readonly credentials: Credentials;
  readonly hostKey: HostKeyPolicy;
}

export interface SshConnectOptions extends IoOptions {
  /** Keepalive interval in ms (default 10 000; 0 disables). */
  readonly keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection counts as dead (default 3). */
  readonly keepaliveCountMax?: number;
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
}

/**
 * A process started on an exec channel, read and driven while it runs. Its stdin stays open until
 * `endInput()`; `exit` settles when the channel closes (after the process exited, or after `close()`).
 */
export interface SshProcess {
  readonly stdout: Readable;
  readonly stderr: Readable;
  write(data: string | Buffer): void;
  /** Sends EOF on the process's stdin. */
  endInput(): void;
  /**
   * Sends a signal request (`TERM`, `USR1`, without `SIG`). OpenSSH delivers it to the session's
   * process (sshd ≥ 7.9); other servers may ignore it, so protocols should not rely on it alone.
   */
  signal(name: string): void;
  /** Closes the channel; sshd then closes the process's pipes. Idempotent. */
  close(): void;
  /** Exit code, or the signal (`SIGTERM`) that ended the process; both null when the channel closed first. */
  readonly exit: Promise<{ readonly code: number | null; readonly signal: string | null }>;
}

export interface UploadOptions extends IoOptions {
  /** Permission bits set on the file after writing (default 0o600), umask-independent. */
  readonly mode?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const insecure = new Set<string>();

/** Connections (user@host:port) that skipped host key verification, for the run manifest. */
export function insecureHostKeyConnections(): readonly string[] {
  return [...insecure].sort();
}

function label(t: SshTarget): string {
  return `${t.credentials.username}@${t.host}:${t.port}`;
}

/** An open SSH connection. Channels opened from it close with it. */

/**
 * Exit status of each channel, recorded from the moment the channel exists. Why: ssh2 emits `exit`
 * while it parses the server's packets; when the channel's success, its exit status and its close
 * arrive in one read (a command that ends in a millisecond, read by a busy controller), `exit` fires
 * before a listener added after the channel's promise settles, and the status was lost
 * (suites/integration/ssh-exec-status.spec.ts).
 */
const EXIT = new WeakMap<ClientChannel, { code: number | null; signal: string | undefined }>();

function watchExit(ch: ClientChannel): void {
  ch.once('exit', (code: number | null, sig?: string) =>
    EXIT.set(ch, { code: code ?? null, signal: sig === undefined || sig === null ? undefined : sig }));
}

const exitOf = (ch: ClientChannel): { code: number | null; signal: string | undefined } | undefined => EXIT.get(ch);

export class SshConnection {
  readonly target: SshTarget;
  readonly hostKeyFingerprint: string;
  readonly #client: Client;
  #closed = false;
  readonly #onClose = new Set<(err?: Error) => void>();

  constructor(target: SshTarget, client: Client, fingerprint: string) {
    this.target = target;
    this.#client = client;
    this.hostKeyFingerprint = fingerprint;
    client.on('close', () => {
      this.#closed = true;
      for (const f of this.#onClose) f();
    });
    client.on('error', () => undefined); // surfaced through 'close' and channel errors
  }

  get closed(): boolean {
    return this.#closed;
  }

  get #ctx(): VmmiErrorOptions {
    return { device: this.target.name ?? this.target.host };
  }

  onClose(f: (err?: Error) => void): () => void {
    this.#onClose.add(f);
    return () => this.#onClose.delete(f);
  }

  #open(what: string, opts: IoOptions, start: (cb: (err: Error | undefined, ch: ClientChannel) => void) => void):
    Promise<ClientChannel> {
    if (this.#closed)
      return Promise.reject(new ConnectionError('SSH connection is closed', { ...this.#ctx, operation: what }));
    let opened: ClientChannel | undefined;
    const p = new Promise<ClientChannel>((resolve, reject) => {
      start((err, ch) => {
        if (err !== undefined && err !== null) {
          reject(new ConnectionError(`channel refused: ${err.message}`, { ...this.#ctx, operation: what, cause: err }));
          return;
        }
        opened = ch;
        watchExit(ch);
        resolve(ch);
      });
    });
    return withDeadline(p, what, { ...opts, ctx: { ...this.#ctx, operation: what }, onCancel: () => opened?.close() });
  }

  /** Opens a subsystem channel (e.g. `netconf`). */
  subsystem(name: string, opts: IoOptions = {}): Promise<Duplex> {
    return this.#open(`subsystem ${name}`, opts, (cb) => this.#client.subsys(name, cb));
  }

  /** Opens an interactive shell with a pty (paging and prompts as on a terminal). */
  shell(opts: IoOptions & { cols?: number; rows?: number } = {}): Promise<Duplex> {
    const win = { term: 'vt100', cols: opts.cols ?? 511, rows: opts.rows ?? 24, height: 0, width: 0 };
    return this.#open('shell', opts, (cb) => this.#client.shell(win, cb));
  }

  /** Runs argv (quoted for the remote POSIX shell) and returns a stream of its stdin/stdout. */
  execStream(argv: readonly string[], opts: IoOptions = {}): Promise<Duplex> {
    return this.#open('exec', opts, (cb) => this.#client.exec(quoteArgv(argv), cb));
  }

  /** Runs argv to completion; failure is data (`exitCode`). Times out with TimeoutError and closes the channel. */
  async exec(argv: readonly string[], opts: IoOptions & { input?: string } = {}): Promise<ExecResult> {
    const ch = (await this.execStream(argv, opts)) as ClientChannel;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const done = new Promise<ExecResult>((resolve) => {
      ch.on('data', (b: Buffer) => out.push(b));
      ch.stderr.on('data', (b: Buffer) => err.push(b));
      ch.on('close', () => {
        const x = exitOf(ch);
        resolve({
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          exitCode: x?.code ?? undefined,
          signal: x?.signal,
        });
      });
    });
    ch.end(opts.input);
    return withDeadline(done, `exec ${argv[0] ?? ''}`, { ...opts, ctx: this.#ctx, onCancel: () => ch.close() });
  }

  /** Starts argv (quoted for the remote POSIX shell) as a process with separate stdout, stderr and exit status. */
  async spawn(argv: readonly string[], opts: IoOptions = {}): Promise<SshProcess> {
    const ch = (await this.execStream(argv, opts)) as ClientChannel;
    ch.on('error', () => undefined); // a channel error closes it: reported through `exit`
    const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      ch.once('close', () => {
        const x = exitOf(ch);
        const sig = x?.signal;
        resolve({ code: x?.code ?? null, signal: sig === undefined ? null : sig.startsWith('SIG') ? sig : `SIG${sig}` });
      }));
    let open = true;
    void exit.then(() => (open = false));
    return {
      stdout: ch,
      stderr: ch.stderr,
      write: (d) => void (open && ch.write(d)),
      endInput: () => void (open && ch.end()),
      signal: (name) => void (open && ch.signal(name)),
      close: () => void (open && ch.close()),
      exit,
    };
  }

  /**
   * Writes `data` to `remotePath` over SFTP (created or truncated), then sets `mode`. Throws
   * UnsupportedError when the server offers no SFTP subsystem (callers may fall back to exec), a
   * COMMAND error when the server refuses the write (no such directory, permission), TimeoutError or
   * AbortedError per `opts` (the SFTP channel is then closed).
   */
  async upload(data: Buffer, remotePath: string, opts: UploadOptions = {}): Promise<void> {
    const what = `sftp upload ${remotePath}`;
    const ctx = { ...this.#ctx, operation: what };
    if (this.#closed) throw new ConnectionError('SSH connection is closed', ctx);
    let sftp: { end(): void } | undefined;
    const work = new Promise<void>((resolve, reject) => {
      this.#client.sftp((err, s) => {
        if (err !== undefined && err !== null) {
          reject(new UnsupportedError(`no SFTP subsystem: ${err.message}`, { ...ctx, cause: err,
            hint: 'enable `Subsystem sftp` in the sshd configuration' }));
          return;
        }
        sftp = s;
        const fail = (e: Error): void => reject(new VmmiError('COMMAND', e.message, { ...ctx, cause: e }));
        s.writeFile(remotePath, data, { mode: opts.mode ?? 0o600 }, (e) => {
          if (e !== undefined && e !== null) return fail(e);
          s.chmod(remotePath, opts.mode ?? 0o600, (e2) => (e2 !== undefined && e2 !== null ? fail(e2) : resolve()));
        });
      });
    });
    try {
      await withDeadline(work, what, { ...opts, ctx, onCancel: () => sftp?.end() });
    } finally {
      sftp?.end();
    }
  }

  close(): void {
    if (!this.#closed) this.#client.end();
  }
}

/** Exec-stream helper for other transports (e.g. libvirt over ssh: `nc -U socket`). */
export function openExecStream(conn: SshConnection, argv: readonly string[], opts: IoOptions = {}): Promise<Duplex> {
  return conn.execStream(argv, opts);
}

interface Verifier {
  readonly verify: (key: Buffer) => boolean;
  readonly failure: () => HostKeyError | undefined;
  readonly algorithms: string[] | undefined;
  readonly presented: () => string;
}

async function buildVerifier(t: SshTarget, ctx: VmmiErrorOptions): Promise<Verifier> {
  let presented = '';
  let failure: HostKeyError | undefined;
  const policy = t.hostKey;
  const base = { failure: () => failure, presented: () => presented };
  if (policy.kind === 'insecure-accept-any-host-key') {
    return {
      ...base,
      algorithms: undefined,
      verify: (k) => ((presented = fingerprintOf(k)), insecure.add(label(t)), true),
    };
  }
  if (policy.kind === 'fingerprint') {
    const want = normaliseFingerprint(policy.sha256);
    return {
      ...base,
      algorithms: undefined,
      verify: (k) => {
        presented = fingerprintOf(k);
        if (presented === want) return true;
        failure = new HostKeyError(`host key mismatch: expected pinned ${want}, server presented ${presented}`, {
          ...ctx, hint: 'if the device was legitimately re-keyed, update the pinned fingerprint in the testbed',
        });
        return false;
      },
    };
  }
  let text: string;
  try {
    text = await readFile(policy.file, 'utf8');
  } catch (e) {
    throw new HostKeyError(`cannot read known_hosts file ${policy.file}: ${(e as Error).message}`, {
      ...ctx,
      cause: e,
    });
  }
  const keys = knownHostKeys(text, t.host, t.port, policy.file);
  const usable = usableKeys(keys);
  if (usable.length === 0) {
    const who = t.port === 22 ? t.host : `[${t.host}]:${t.port}`;
    const why = keys.length === 0 ? `no key for ${who} in ${policy.file}` : `every key for ${who} in ${policy.file} is revoked`;
    throw new HostKeyError(why, {
      ...ctx,
      operation: 'connect',
      hint: `add it after checking out of band: ssh-keyscan -p ${t.port} ${t.host} >> ${policy.file}`,
    });
  }
  const algorithms = [...new Set(usable.flatMap((k) => algorithmsFor(k.keyType)))];
  return {
    ...base,
    algorithms,
    verify: (k) => checkKnown(k, keys, policy.file, ctx, (fp, f) => ((presented = fp), (failure = f))),
  };
}

function checkKnown(key: Buffer, keys: readonly KnownHostKey[], file: string, ctx: VmmiErrorOptions,
  note: (fp: string, f: HostKeyError | undefined) => void): boolean {
  const fp = fingerprintOf(key);
  const check = checkPresentedKey(key, keys);
  if (check.verdict === 'accepted') {
    note(fp, undefined);
    return true;
  }
  const expected = usableKeys(keys).map((k) => `${k.keyType} ${fingerprintOf(k.blob)} (${k.where})`);
  note(
    fp,
    new HostKeyError(
      check.verdict === 'revoked'
        ? `server presented revoked key ${fp} (@revoked at ${check.line.where}; other lines listing it do not count)`
        : `host key mismatch: server presented ${fp}, ${file} expects ${expected.join('; ')}`,
      {
        ...ctx,
        operation: 'connect',
        hint: 'possible man-in-the-middle; if the device was re-keyed, fix the known_hosts entry',
      },
    ),
  );
  return false;
}

/** Opens and authenticates an SSH connection, verifying the host key per `target.hostKey`. */
export async function sshConnect(target: SshTarget, opts: SshConnectOptions = {}): Promise<SshConnection> {
  const ctx: VmmiErrorOptions = { device: target.name ?? target.host, operation: 'ssh connect' };
  const verifier = await buildVerifier(target, ctx);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const client = new ssh2.Client();
  const c = target.credentials;
  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: c.username,
    readyTimeout: timeoutMs,
    keepaliveInterval: opts.keepaliveIntervalMs ?? 10_000,
    keepaliveCountMax: opts.keepaliveCountMax ?? 3,
    hostVerifier: (key: Buffer) => verifier.verify(key),
    ...(c.password === undefined ? {} : { password: c.password.reveal() }),
    ...(c.privateKey === undefined ? {} : { privateKey: c.privateKey.reveal() }),
    ...(c.passphrase === undefined ? {} : { passphrase: c.passphrase.reveal() }),
    ...(verifier.algorithms === undefined ? {} : { algorithms: { serverHostKey: verifier.algorithms as never } }),
  };
  const ready = new Promise<SshConnection>((resolve, reject) => {
    client.once('ready', () => {
      client.setNoDelay(true);
      resolve(new SshConnection(target, client, verifier.presented()));
    });
    client.once('error', (err: Error & { level?: string }) => reject(mapError(err, verifier.failure(), target, ctx)));
    client.once('close', () =>
      reject(verifier.failure() ?? new ConnectionError('connection closed during handshake', ctx)),
    );
  });
  try {
    client.connect(config);
  } catch (e) {
    throw new ConnectionError(`bad SSH configuration: ${(e as Error).message}`, { ...ctx, cause: e });
  }
  return withDeadline(ready, 'ssh connect', {
    timeoutMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ctx,
    onCancel: () => client.end(),
  });
}

function mapError(err: Error & { level?: string }, hostKey: HostKeyError | undefined, t: SshTarget,
  ctx: VmmiErrorOptions): Error {
  if (hostKey !== undefined) return hostKey;
  if (isVmmiError(err)) return err;
  if (err.level === 'client-authentication') {
    return new AuthError(`authentication as ${t.credentials.username} failed (${err.message})`, {
      ...ctx, cause: err, hint: 'check the credential reference (key or password) for this device',
    });
  }
  return new ConnectionError(`${t.host}:${t.port}: ${err.message}`, {
    ...ctx, cause: err, hint: 'check address, port and that the SSH/NETCONF service is enabled',
  });
}

/** Per-process key of the credential digests in pool keys: they identify a secret, never reveal it. */
const POOL_KEY_SALT = randomBytes(32);

function credentialId(s: Secret | undefined): string {
  if (s === undefined) return '-';
  return `${s.ref}#${createHmac('sha256', POOL_KEY_SALT).update(s.reveal()).digest('base64url')}`;
}

function policyId(p: HostKeyPolicy): string {
  if (p.kind === 'known-hosts') return `known-hosts:${p.file}`;
  if (p.kind === 'fingerprint') return `fingerprint:${normaliseFingerprint(p.sha256)}`;
  return p.kind;
}

/**
 * What makes two targets share a pooled connection: host, port, user, host-key policy and credentials
 * (each secret by its reference and a keyed digest of its value, never the value). A connection opened
 * without host-key verification is never handed to a device that pins its key, nor one authenticated
 * with another device's key or password.
 */
export function sshPoolKey(t: SshTarget): string {
  const c = t.credentials;
  return JSON.stringify([t.host, t.port, c.username, policyId(t.hostKey), credentialId(c.password),
    credentialId(c.privateKey), credentialId(c.passphrase)]);
}

/** Connection pool: one shared connection per sshPoolKey; a closed one is replaced on next use. */
export class SshPool {
  readonly #conns = new Map<string, Promise<SshConnection>>();

  async get(target: SshTarget, opts: SshConnectOptions = {}): Promise<SshConnection> {
    const key = sshPoolKey(target);
    const cur = this.#conns.get(key);
    if (cur !== undefined) {
      const c = await cur.catch(() => undefined);
      if (c !== undefined && !c.closed) return c;
    }
    const next = sshConnect(target, opts);
    this.#conns.set(key, next);
    next.then((c) => c.onClose(() => this.#conns.get(key) === next && this.#conns.delete(key)),
      () => this.#conns.get(key) === next && this.#conns.delete(key));
    return next;
  }

  get size(): number {
    return this.#conns.size;
  }

  async closeAll(): Promise<void> {
    const all = [...this.#conns.values()];
    this.#conns.clear();
    for (const p of all) (await p.catch(() => undefined))?.close();
  }
}
