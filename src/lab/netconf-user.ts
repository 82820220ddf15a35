/**
 * The system account an emulated switch's NETCONF user logs in as. sshd admits only users the system
 * knows, so a NETCONF user other than root needs an account: a system user with no home, no password
 * (`*`: not locked, which sshd without PAM would refuse, yet no password can match) and a group of its
 * own. Its shell is /bin/sh only because sshd runs the forced netconf-subsystem through it; the switch's
 * sshd lets it run nothing else (netconfd.ts), and the lab's other sshds do not admit it.
 */
import { LabError } from '../errors/classes.js';
import { runLocal } from '../exec/local.js';
import type { IoOptions } from '../util/abort.js';
import type { NetconfUser } from './netconfd.js';

/** A name useradd takes and sshd's AllowUsers/Match read as one word. */
const USER_NAME = /^[a-z_][a-z0-9_-]{0,30}$/;

async function lookup(name: string, io: IoOptions): Promise<NetconfUser | undefined> {
  const r = await runLocal(['getent', 'passwd', name], { timeoutMs: 5_000, ...io });
  if (r.failed) return undefined;
  const gid = Number(r.stdout.split(':')[3]);
  return Number.isSafeInteger(gid) ? { name, gid } : undefined;
}

/** The account `name`, created when missing. Concurrent callers may race: the loser finds it made. */
export async function ensureNetconfUser(name: string, io: IoOptions = {}): Promise<NetconfUser> {
  if (!USER_NAME.test(name) || name === 'root') {
    throw new LabError(`NETCONF user "${name}" cannot be a lab account: use a lower-case name (letters, digits, ` +
      '_ and -, starting with a letter or _) other than root', { operation: 'create NETCONF user' });
  }
  const known = await lookup(name, io);
  if (known !== undefined) return known;
  const made = await runLocal(['useradd', '--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent',
    '--shell', '/bin/sh', '--password', '*', '--comment', 'vmmi emulated switch NETCONF user', name],
  { timeoutMs: 15_000, ...io });
  const now = await lookup(name, io);
  if (now !== undefined) return now;
  throw new LabError(`cannot create the NETCONF user "${name}": ${made.stderr.trim() || `useradd exit ${made.exitCode}`}`,
    { operation: 'create NETCONF user', hint: 'the lab needs root; or create the system user yourself' });
}
