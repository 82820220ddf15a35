/**
 * rpc-error parsing (RFC 6241 §4.3), pure. Errors with severity `warning` are returned beside a
 * successful reply; only severity `error` makes an RPC fail (as NetconfRpcError).
 */
import { NetconfRpcError } from '../../errors/classes.js';
import type { RpcErrorInfo } from '../../errors/classes.js';
import { child, type XNode } from './xml.js';
import { defined } from '../../model/defined.js';

export type { RpcErrorInfo } from '../../errors/classes.js';

/** Reads every `<rpc-error>` below an `<rpc-reply>` root (any prefix). */
export function parseRpcErrors(reply: XNode): RpcErrorInfo[] {
  return reply.children.filter((c) => c.name === 'rpc-error').map(parseOne);
}

function parseOne(n: XNode): RpcErrorInfo {
  const text = (name: string): string | undefined => {
    const t = child(n, name)?.text.trim();
    return t === undefined || t === '' ? undefined : t;
  };
  const info: Record<string, string> = {};
  for (const c of child(n, 'error-info')?.children ?? []) {
    const value = c.text.trim() !== '' ? c.text.trim() : c.children.map((g) => g.name).join(',');
    info[c.name] = info[c.name] === undefined ? value : `${info[c.name]},${value}`;
  }
  const severity = text('error-severity') === 'warning' ? 'warning' : 'error';
  return {
    type: text('error-type') ?? 'unknown',
    tag: text('error-tag') ?? 'unknown',
    severity,
    ...optional('appTag', text('error-app-tag')),
    ...optional('path', text('error-path')),
    ...optional('message', text('error-message')),
    info,
  };
}

function optional<K extends string>(k: K, v: string | undefined): Partial<Record<K, string>> {
  return v === undefined ? {} : ({ [k]: v } as Record<K, string>);
}

/** Splits into errors and warnings. */
export function splitSeverity(all: readonly RpcErrorInfo[]): { errors: RpcErrorInfo[]; warnings: RpcErrorInfo[] } {
  return { errors: all.filter((x) => x.severity === 'error'), warnings: all.filter((x) => x.severity === 'warning') };
}

/** Builds the error thrown for a failed RPC; `operation` is the RPC name. */
export function toRpcError(errors: readonly RpcErrorInfo[], operation: string, device?: string): NetconfRpcError {
  return new NetconfRpcError(errors, { operation, ...defined({ device }) });
}
