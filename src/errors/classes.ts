import { VmmiError, type VmmiErrorOptions } from './vmmi-error.js';

/** One problem found in a testbed file. */
export interface InventoryIssue {
  /** Dotted path into the document, e.g. `links[3].endpoints[1]`. */
  readonly path: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
}

/** A testbed failed validation; `issues` holds every problem found, not only the first. */
export class InventoryError extends VmmiError {
  readonly issues: readonly InventoryIssue[];
  constructor(issues: readonly InventoryIssue[], options: VmmiErrorOptions = {}) {
    super('INVENTORY_INVALID', `${issues.length} problem(s) in testbed:\n${issues.map(formatIssue).join('\n')}`, {
      hint: 'fix the listed entries and run `vmmi testbed validate` again',
      ...options,
    });
    this.issues = issues;
  }
}

/** `file:line:col  dotted.path: message` (position parts omitted when unknown). */
export function formatIssue(i: InventoryIssue): string {
  const pos = i.file === undefined ? '' : `${i.file}${i.line === undefined ? '' : `:${i.line}:${i.col ?? 1}`}  `;
  return `${pos}${i.path === '' ? '(document)' : i.path}: ${i.message}`;
}

export class ConnectionError extends VmmiError {
  constructor(message: string, options: VmmiErrorOptions = {}) {
    super('CONNECTION', message, options);
  }
}

export class AuthError extends VmmiError {
  constructor(message: string, options: VmmiErrorOptions = {}) {
    super('AUTH', message, options);
  }
}

/** The peer presented a host key that does not match the pinned key or known_hosts entry. */
export class HostKeyError extends VmmiError {
  constructor(message: string, options: VmmiErrorOptions = {}) {
    super('HOST_KEY', message, options);
  }
}

export class TimeoutError extends VmmiError {
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number, options: VmmiErrorOptions = {}) {
    super('TIMEOUT', `${message} (after ${timeoutMs} ms)`, options);
    this.timeoutMs = timeoutMs;
  }
}

export class AbortedError extends VmmiError {
  constructor(message = 'operation aborted', options: VmmiErrorOptions = {}) {
    super('ABORTED', message, options);
  }
}

/** A local or remote command failed; carries argv (never a shell string) and its output. */
export class CommandError extends VmmiError {
  readonly argv: readonly string[];
  readonly exitCode: number | undefined;
  readonly stderr: string;
  constructor(message: string, argv: readonly string[], exitCode: number | undefined, stderr: string,
    options: VmmiErrorOptions = {}) {
    super('COMMAND', message, options);
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Wire protocol violated: malformed frame, oversized message, unexpected program. */
export class ProtocolError extends VmmiError {
  constructor(message: string, options: VmmiErrorOptions & { code?: 'PROTOCOL' | 'FRAMING' | 'XDR' } = {}) {
    super(options.code ?? 'PROTOCOL', message, options);
  }
}

export class ConfigRejectedError extends VmmiError {
  constructor(message: string, options: VmmiErrorOptions = {}) {
    super('CONFIG_REJECTED', message, options);
  }
}

export class UnsupportedError extends VmmiError {
  constructor(message: string, options: VmmiErrorOptions = {}) {
    super('UNSUPPORTED', message, options);
  }
}

/** A registry lookup failed; the message lists the supported kinds. */
export class UnknownKindError extends VmmiError {
  readonly supported: readonly string[];
  constructor(what: string, kind: string, supported: readonly string[], options: VmmiErrorOptions = {}) {
    super('UNKNOWN_KIND', `unknown ${what} "${kind}"; supported: ${supported.join(', ')}`, options);
    this.supported = supported;
  }
}

export class MigrationError extends VmmiError {
  constructor(message: string, options: VmmiErrorOptions = {}) {
    super('MIGRATION', message, options);
  }
}

export class LabError extends VmmiError {
  constructor(message: string, options: VmmiErrorOptions & { code?: 'LAB' | 'LAB_BUSY' } = {}) {
    super(options.code ?? 'LAB', message, options);
  }
}

/** A precondition of a run does not hold (a device lacks what the run needs, a conflict, a refusal). */
export class PrecheckError extends VmmiError {
  constructor(message: string, options: VmmiErrorOptions = {}) {
    super('PRECHECK', message, { operation: 'precheck', ...options });
  }
}

export class UsageError extends VmmiError {
  constructor(message: string, options: VmmiErrorOptions = {}) {
    super('USAGE', message, options);
  }
}

/**
 * Reporting failed: a record or history row is malformed, or a report file could not be written.
 * `path` is the dotted path into the offending record (`metrics[3].value`) or the file concerned.
 */
export class ReportError extends VmmiError {
  readonly path?: string;
  constructor(message: string, options: VmmiErrorOptions & { path?: string } = {}) {
    super('REPORT', options.path === undefined ? message : `${options.path}: ${message}`, options);
    if (options.path !== undefined) this.path = options.path;
  }
}

/** Symbolic names of the libvirt error codes vmmi tells apart (libvirt `virErrorNumber`). */
export type LibvirtErrorName =
  | 'internal' | 'no-support' | 'invalid-arg' | 'operation-failed' | 'system' | 'rpc' | 'no-domain'
  | 'auth-failed' | 'operation-invalid' | 'operation-timeout' | 'aborted' | 'argument-unsupported'
  | 'operation-unsupported' | 'no-connect' | 'other';

const LIBVIRT_ERROR_NAMES: Readonly<Record<number, LibvirtErrorName>> = {
  1: 'internal', 3: 'no-support', 8: 'invalid-arg', 9: 'operation-failed', 38: 'system', 39: 'rpc',
  42: 'no-domain', 45: 'auth-failed', 55: 'operation-invalid', 68: 'operation-timeout', 74: 'argument-unsupported',
  78: 'aborted', 84: 'operation-unsupported', 2: 'no-connect',
};

/** Maps a libvirt numeric error code to vmmi's symbolic name ('other' when vmmi does not distinguish it). */
export function libvirtErrorName(code: number): LibvirtErrorName {
  return LIBVIRT_ERROR_NAMES[code] ?? 'other';
}

/**
 * libvirt reported an error (an RPC `remote_error`, or virsh stderr classified into the same shape).
 * `libvirtCode` is libvirt's `virErrorNumber` (-1 when only the text is known), `libvirtDomain` its
 * `virErrorDomain` (origin: 6 DOM, 7 RPC, 10 QEMU, 12 TEST, 13 REMOTE; -1 when unknown).
 */
export class LibvirtError extends VmmiError {
  readonly libvirtCode: number;
  readonly libvirtDomain: number;
  readonly libvirtName: LibvirtErrorName;
  /** libvirt's own message, untouched. */
  readonly libvirtMessage: string;
  constructor(libvirtMessage: string, libvirtCode: number, libvirtDomain: number,
    options: VmmiErrorOptions & { name?: LibvirtErrorName } = {}) {
    const name = options.name ?? libvirtErrorName(libvirtCode);
    super('LIBVIRT', `${libvirtMessage} [libvirt ${name}, code ${libvirtCode}, domain ${libvirtDomain}]`, options);
    this.libvirtCode = libvirtCode;
    this.libvirtDomain = libvirtDomain;
    this.libvirtName = name;
    this.libvirtMessage = libvirtMessage;
  }
}

/** One NETCONF `<rpc-error>` (RFC 6241 §4.3) as vmmi surfaces it. */
export interface RpcErrorInfo {
  /** transport | rpc | protocol | application */
  readonly type: string;
  /** e.g. invalid-value, lock-denied, data-exists */
  readonly tag: string;
  readonly severity: 'error' | 'warning';
  readonly appTag?: string;
  /** XPath of the failing node. */
  readonly path?: string;
  readonly message?: string;
  /** error-info children by local name (session-id, bad-element, …). */
  readonly info: Readonly<Record<string, string>>;
}

/** A NETCONF RPC answered with one or more rpc-error of severity `error`; fields kept structured. */
export class NetconfRpcError extends VmmiError {
  readonly errors: readonly RpcErrorInfo[];
  constructor(errors: readonly RpcErrorInfo[], options: VmmiErrorOptions = {}) {
    const first = errors[0];
    const what = first === undefined ? 'rpc-error'
      : `${first.tag} (${first.type})${first.message === undefined ? '' : `: ${first.message}`}` +
        `${first.path === undefined ? '' : ` at ${first.path}`}`;
    const more = errors.length > 1 ? ` (+${errors.length - 1} more)` : '';
    super('NETCONF_RPC', `${what}${more}`, options);
    this.errors = errors;
  }

  /** First error's tag, for quick matching (`lock-denied`, `data-exists`, …). */
  get tag(): string | undefined {
    return this.errors[0]?.tag;
  }
}
