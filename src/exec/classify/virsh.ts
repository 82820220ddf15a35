/**
 * virsh exits 1 with free text on stderr (run it with LC_ALL=C). This is the one place that turns
 * that text into typed errors: LibvirtError with the libvirt code the message stands for
 * (libvirtDomain -1: virsh does not print it), ConnectionError for transport failures, CommandError
 * for anything unrecognised.
 */
import { CommandError, ConnectionError, LibvirtError, type LibvirtErrorName } from '../../errors/classes.js';
import type { VmmiError, VmmiErrorOptions } from '../../errors/vmmi-error.js';
import type { CommandResult } from '../types.js';

/** Named patterns, checked in order; the first match wins. */
const LIBVIRT_PATTERNS: ReadonlyArray<readonly [RegExp, number, LibvirtErrorName]> = [
  [/operation aborted/i, 78, 'aborted'],
  [/Domain not found|failed to get domain|no domain with matching/i, 42, 'no-domain'],
  [/authentication (failed|unavailable)|not authorized|access denied/i, 45, 'auth-failed'],
  [
    /Requested operation is not valid|Domain is already active|domain is not running|is not running|already running/i,
    55,
    'operation-invalid',
  ],
  [
    /not supported by the connection driver|this function is not supported|not supported by the daemon/i,
    3,
    'no-support',
  ],
  [/argument unsupported/i, 74, 'argument-unsupported'],
  [/Operation not supported/i, 84, 'operation-unsupported'],
  [/Timed out during operation|operation timed out/i, 68, 'operation-timeout'],
  [/invalid argument/i, 8, 'invalid-arg'],
  [/internal error/i, 1, 'internal'],
  [/operation failed/i, 9, 'operation-failed'],
];

const CONNECTION_PATTERNS = [
  /failed to connect to the hypervisor/i, /unable to connect to server/i, /Failed to connect socket/i,
  /Cannot recv data/i, /End of file while reading data/i, /Connection reset by peer/i, /Connection refused/i,
];

/** stderr `error: …` lines without the prefix, joined with "; ". */
export function virshMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.map((l) => l.replace(/^error:\s*/, '')).join('; ');
}

/** Maps a failed virsh run to a typed error. */
export function classifyVirshError(r: CommandResult, ctx: VmmiErrorOptions = {}): VmmiError {
  const msg = virshMessage(r.stderr);
  if (r.timedOut) return new CommandError(`virsh timed out: ${r.argv.join(' ')}`, r.argv, r.exitCode, r.stderr, ctx);
  // A connection failure message can accompany a libvirt one ("failed to connect … : Connection refused").
  if (CONNECTION_PATTERNS.some((p) => p.test(msg))) {
    return new ConnectionError(`virsh: ${msg}`, { ...ctx, hint: 'is libvirtd running and reachable at that URI?' });
  }
  for (const [re, code, name] of LIBVIRT_PATTERNS) {
    if (re.test(msg)) return new LibvirtError(msg, code, -1, { ...ctx, name });
  }
  return new CommandError(`virsh failed (exit ${r.exitCode ?? 'signal'}): ${msg || r.stdout.trim().slice(0, 300)}`,
    r.argv, r.exitCode, r.stderr, ctx);
}
