/**
 * Quotes an argv array for a remote POSIX shell (SSH exec always goes through the login shell).
 * Each argument is single-quoted unless it consists only of safe characters; an embedded `'` becomes
 * `'\''`. NUL bytes cannot be passed through a shell and are rejected.
 */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('quoteArgv: empty argv');
  return argv.map(quoteArg).join(' ');
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function quoteArg(a: string): string {
  if (a.includes('\0')) throw new TypeError('quoteArg: NUL byte in argument');
  if (SAFE.test(a)) return a;
  return `'${a.replace(/'/g, `'\\''`)}'`;
}
