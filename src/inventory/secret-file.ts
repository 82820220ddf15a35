/**
 * Reads the file of a `${file:…}` secret reference. Only a regular file is read: it is opened with
 * O_NONBLOCK (a FIFO cannot block the open) and fstat-checked before any byte is read, so a device
 * (`/dev/zero`), FIFO, socket or directory is refused at once; its size is bounded by
 * MAX_SECRET_FILE_BYTES (a password or a private key is a few KiB).
 *
 * A secret file must lie, once every symlink is resolved, inside an allowed directory: the testbed
 * file's own directory, the lab's state directory, and the directories the user names in the
 * environment (VMMI_SECRET_DIRS, colon-separated). `../` and symlinks that leave them are refused, so a
 * testbed from elsewhere cannot make vmmi (often run as root) read and send any file on the machine.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { sep } from 'node:path';
import { VmmiError } from '../errors/vmmi-error.js';

export const MAX_SECRET_FILE_BYTES = 64 * 1024;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const errno = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** Directories secret files may be read from: the given ones plus VMMI_SECRET_DIRS (colon-separated). */
export function secretDirs(given: readonly (string | undefined)[],
  env: Readonly<Record<string, string | undefined>>): string[] {
  const fromEnv = (env.VMMI_SECRET_DIRS ?? '').split(':').filter((d) => d !== '');
  return [...new Set([...given.filter((d): d is string => d !== undefined && d !== ''), ...fromEnv])];
}

const inside = (file: string, dir: string): boolean =>
  dir === sep || file === dir || file.startsWith(`${dir}${sep}`);

/** The real path of `path` when it lies inside one of `allowed` (symlinks resolved on both sides). */
function confine(path: string, allowed: readonly string[], fail: Fail, missingHint: string): string {
  let real: string;
  try {
    real = realpathSync.native(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') throw fail(`secret file ${path} does not exist`, missingHint, e);
    throw fail(`cannot open secret file ${path}: ${errno(e)}`, 'check the path and its mode', e);
  }
  const dirs = allowed.flatMap((d) => {
    try {
      return [realpathSync.native(d)];
    } catch {
      return [];
    }
  });
  if (dirs.some((d) => inside(real, d))) return real;
  const link = real === path ? '' : ` (it resolves to ${real})`;
  throw fail(`secret file ${path}${link} is outside the directories secrets are read from: ${allowed.join(', ')}`,
    'keep secret files beside the testbed file (no ../), or allow their directory explicitly: ' +
      'VMMI_SECRET_DIRS=/dir1:/dir2');
}

function openRegular(path: string, fail: Fail): number {
  try {
    // O_NOFOLLOW: the real path was checked; a symlink swapped in since is not followed.
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | constants.O_NOFOLLOW);
  } catch (e) {
    throw fail(`cannot open secret file ${path}: ${errno(e)}`, 'check the path and its mode', e);
  }
}

type Fail = (message: string, hint: string, cause?: unknown) => VmmiError;

export interface SecretFileOptions {
  /** Directories the file must lie in (see secretDirs). */
  readonly allowedDirs: readonly string[];
  /** The advice when the file does not exist (default: check the path). */
  readonly missingHint?: string;
}

/**
 * The bytes of a regular file of at most MAX_SECRET_FILE_BYTES inside an allowed directory, as UTF-8 text.
 * Throws SECRET_UNRESOLVED naming the file and the reference (`ref`) it was read for.
 */
export function readSecretFile(path: string, ref: string, opts: SecretFileOptions): string {
  const fail: Fail = (message, hint, cause) => new VmmiError('SECRET_UNRESOLVED', `${message} (referenced as ${ref})`,
    { hint, ...(cause === undefined ? {} : { cause }) });
  const real = confine(path, opts.allowedDirs, fail, opts.missingHint ?? 'check the path');
  const fd = openRegular(real, fail);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw fail(`secret file ${path} is ${kindOf(st)}, not a regular file`,
        'point the reference at a regular file that holds only the secret');
    }
    const tooBig = (n: number): VmmiError => fail(
      `secret file ${path} is ${n} bytes or more; the limit is ${MAX_SECRET_FILE_BYTES}`,
      'a secret file holds one password or private key: point the reference at that file');
    if (st.size > MAX_SECRET_FILE_BYTES) throw tooBig(st.size);
    // Read one byte more than the limit: a file that grew since fstat is refused, never truncated.
    const buf = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n === buf.length) throw tooBig(n);
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
