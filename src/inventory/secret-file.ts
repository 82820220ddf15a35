/**
 * Reads the file of a `${file:…}` secret reference. Only a regular file is read: it is opened with
 * O_NONBLOCK (a FIFO cannot block the open) and fstat-checked before any byte is read, so a device
 * (`/dev/zero`), FIFO, socket or directory is refused at once; its size is bounded by
 * MAX_SECRET_FILE_BYTES (a password or a private key is a few KiB).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
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

function openRegular(path: string, fail: Fail, missingHint: string): number {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw fail(`secret file ${path} does not exist`, missingHint, e);
    throw fail(`cannot open secret file ${path}: ${code ?? (e as Error).message}`, 'check the path and its mode', e);
  }
}

type Fail = (message: string, hint: string, cause?: unknown) => VmmiError;

/**
 * The bytes of a regular file of at most MAX_SECRET_FILE_BYTES, as UTF-8 text. Throws SECRET_UNRESOLVED
 * naming the file and the reference (`ref`) it was read for; `missingHint` is the advice when it does not exist.
 */
export function readSecretFile(path: string, ref: string, missingHint = 'check the path'): string {
  const fail: Fail = (message, hint, cause) => new VmmiError('SECRET_UNRESOLVED', `${message} (referenced as ${ref})`,
    { hint, ...(cause === undefined ? {} : { cause }) });
  const fd = openRegular(path, fail, missingHint);
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
