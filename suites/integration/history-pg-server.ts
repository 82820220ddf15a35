/**
 * A throwaway PostgreSQL server for the history specs: `initdb` into a mkdtemp directory, `pg_ctl start`
 * listening only on a unix socket in that directory (listen_addresses=''), password authentication for
 * the superuser `vmmi`. initdb refuses root, so as root every server command runs as the `postgres` system
 * user (`runuser -u postgres --`) in a directory it owns. `stop()` stops the server (immediate mode, then
 * SIGKILL of the postmaster if that fails) and removes the directory; call it in a finally / afterAll.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgServer {
  readonly dir: string;
  /** `postgresql://vmmi:<password>@/<db>?host=<dir>` */
  url(db: string): string;
  readonly password: string;
  createDb(name: string): Promise<void>;
  /** Runs one SQL command in `db` with psql (as the superuser). */
  psql(db: string, sql: string): Promise<string>;
  /** The server's log so far (for a failed spec's message). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** Newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl (Debian's layout), or null. */
export function findPgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (['initdb', 'pg_ctl', 'postgres', 'createdb', 'psql'].every((b) => existsSync(join(bin, b)))) return bin;
  }
  return null;
}

/** Why the PostgreSQL specs cannot run here, or null when they can. */
export function pgSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (initdb runs as the postgres system user via runuser)';
  if (findPgBin() === null) return 'needs Debian\'s postgresql package (/usr/lib/postgresql/<version>/bin; scripts/setup)';
  return null;
}

function run(argv: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(argv[0] as string, argv.slice(1), { env, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => (err === null ? resolve(stdout) : reject(new Error(`${argv.join(' ')}: ${err.message}\n${stderr}`))));
  });
}

async function ids(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run(['id', '-u', user], process.env, 5000), run(['id', '-g', user], process.env, 5000)]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export async function startPgServer(): Promise<PgServer> {
  const bin = findPgBin();
  if (bin === null) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql/<version>/bin');
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-pg-'));
  const data = join(dir, 'data');
  const password = `vmmi-${Math.random().toString(36).slice(2)}-pw`;
  const asPg = (argv: string[]): string[] => ['runuser', '-u', 'postgres', '--', ...argv];
  const env = { ...process.env, LC_ALL: 'C', PGPASSWORD: password };
  let started = false;
  const stop = async (): Promise<void> => {
    if (started) {
      try {
        await run(asPg([join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', '-t', '20', 'stop']), env, 30_000);
      } catch {
        const pid = Number((await readFile(join(data, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const pg = await ids('postgres');
    await chown(dir, pg.uid, pg.gid);
    await writeFile(join(dir, 'pwfile'), `${password}\n`, { mode: 0o600 });
    await chown(join(dir, 'pwfile'), pg.uid, pg.gid);
    await run(asPg([join(bin, 'initdb'), '-D', data, '-U', 'vmmi', '--pwfile', join(dir, 'pwfile'),
      '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync']), env, 60_000);
    // no TCP at all; the socket lives in the temp directory; fsync off: a test server, nothing to keep
    const opts = `-c listen_addresses='' -k ${dir} -c fsync=off -c max_connections=40`;
    started = true;
    await run(asPg([join(bin, 'pg_ctl'), '-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '30',
      'start']), env, 40_000);
    const url = (db: string): string => `postgresql://vmmi:${encodeURIComponent(password)}@/${db}?host=${dir}`;
    const createDb = async (name: string): Promise<void> => {
      await run([join(bin, 'createdb'), '-h', dir, '-U', 'vmmi', name], env, 20_000);
    };
    const psql = (db: string, sql: string): Promise<string> =>
      run([join(bin, 'psql'), '-h', dir, '-U', 'vmmi', '-d', db, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], env, 20_000);
    const log = (): Promise<string> => readFile(join(dir, 'server.log'), 'utf8').catch(() => '');
    return { dir, url, password, createDb, psql, log, stop };
  } catch (e) {
    const log = await readFile(join(dir, 'server.log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`PostgreSQL did not start: ${e instanceof Error ? e.message : String(e)}\n${log}`);
  }
}
