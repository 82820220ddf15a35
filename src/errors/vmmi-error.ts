import type { ErrorCode } from './codes.js';

const BRAND = Symbol.for('vmmi.error');

/** Context every vmmi error may carry. `device` and `operation` prefix the message. */
export interface VmmiErrorOptions {
  readonly cause?: unknown;
  /** Name of the device, host or file the failure concerns. */
  readonly device?: string;
  /** What was being done ("connect", "edit-config", "migrate"). */
  readonly operation?: string;
  /** What the user can do next; appended to the message. */
  readonly hint?: string;
}

/**
 * Root of every error vmmi throws or returns. `code` is stable, the message says what failed and
 * what to do next: `<device>: <operation> failed: <what>. <hint>`.
 */
export class VmmiError extends Error {
  readonly code: ErrorCode;
  readonly device?: string;
  readonly operation?: string;
  readonly hint?: string;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options: VmmiErrorOptions = {}) {
    super(formatMessage(message, options), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.device !== undefined) this.device = options.device;
    if (options.operation !== undefined) this.operation = options.operation;
    if (options.hint !== undefined) this.hint = options.hint;
  }
}

function formatMessage(message: string, o: VmmiErrorOptions): string {
  let head = '';
  if (o.device !== undefined) head += `${o.device}: `;
  if (o.operation !== undefined) head += `${o.operation} failed: `;
  const tail = o.hint === undefined ? '' : `. ${o.hint}`;
  return `${head}${message}${tail}`;
}

/** True for any vmmi error, also across module copies (checks a global symbol brand). */
export function isVmmiError(e: unknown): e is VmmiError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** Wraps anything thrown into a VmmiError, keeping it as `cause`. */
export function toVmmiError(e: unknown, code: ErrorCode = 'INTERNAL', options: VmmiErrorOptions = {}): VmmiError {
  if (isVmmiError(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new VmmiError(code, msg, { ...options, cause: e });
}
