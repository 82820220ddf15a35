/**
 * Exit codes of `vmmi` (README "Commands", `vmmi --help`): 0 ok; 1 failed (a migration not done, a
 * threshold missed, something left behind); 2 usage or invalid input; 3 errored: the measurement
 * errored or the infrastructure failed (a libvirt connect refused, a probe that did not run).
 */
import type { ErrorCode } from '../errors/codes.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, errored: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Every error code decides its exit code here; a new code does not compile until it is placed. */
const BY_CODE: Readonly<Record<ErrorCode, ExitCode>> = {
  USAGE: 2, INVENTORY_INVALID: 2, INVENTORY_READ: 2, SECRET_UNRESOLVED: 2, UNKNOWN_KIND: 2,
  MIGRATION: 1, IP_CONFLICT: 1, PRECHECK: 1, CONFIG_REJECTED: 1, UNSUPPORTED: 1, ABORTED: 1, REPORT: 1,
  CONNECTION: 3, AUTH: 3, HOST_KEY: 3, TIMEOUT: 3, COMMAND: 3, PROTOCOL: 3, FRAMING: 3, XDR: 3, LIBVIRT: 3,
  NETCONF_RPC: 3, LAB: 3, LAB_BUSY: 3, PROBE: 3, MEASUREMENT: 3, INTERNAL: 3,
};

export function exitCodeFor(code: ErrorCode): ExitCode {
  return BY_CODE[code];
}

export const EXIT_CODES_HELP = 'exit codes: 0 ok; 1 failed (including a threshold); 2 usage or invalid input; '
  + '3 measurement errored or infrastructure failure';
