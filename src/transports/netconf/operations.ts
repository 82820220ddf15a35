/**
 * RPC bodies for the RFC 6241 / 5277 operations, pure. Every value goes through the escaping
 * builder; the config payloads are XML trees (`XChild`) built by drivers with the same builder.
 */
import { e, el, raw, render as renderChild, type XChild, type XElement } from './xml-build.js';
import { NS_BASE, NS_NOTIFICATION } from './xml.js';

export type Datastore = 'running' | 'candidate' | 'startup';
export type EditOperation = 'merge' | 'replace' | 'create' | 'delete' | 'remove';
export type DefaultOperation = 'merge' | 'replace' | 'none';
export type ErrorOption = 'stop-on-error' | 'continue-on-error' | 'rollback-on-error';
export type TestOption = 'test-then-set' | 'set' | 'test-only';

/** Subtree filter (XML tree) or XPath filter (`select` with its namespace prefixes). */
export type Filter =
  | { readonly type: 'subtree'; readonly content: XChild | readonly XChild[] }
  | { readonly type: 'xpath'; readonly select: string; readonly namespaces?: Readonly<Record<string, string>> };

export interface EditConfigOptions {
  readonly target?: Datastore;
  readonly defaultOperation?: DefaultOperation;
  readonly errorOption?: ErrorOption;
  readonly testOption?: TestOption;
}

export interface CommitOptions {
  /** Confirmed commit: reverted by the device unless confirmed within `timeoutS`. */
  readonly confirmed?: boolean;
  /** confirm-timeout in seconds (device default 600). */
  readonly timeoutS?: number;
  /** Token that makes the confirmed commit survive session loss (confirmed-commit:1.1). */
  readonly persist?: string;
  /** Confirms (or extends) a persistent confirmed commit from any session. */
  readonly persistId?: string;
}

export interface SubscriptionOptions {
  readonly stream?: string;
  readonly filter?: Filter;
  /** RFC 3339 date-time strings (replay). */
  readonly startTime?: string;
  readonly stopTime?: string;
}

/** Attributes marking a config node with a per-node operation (`nc:operation`). */
export function nodeOperation(op: EditOperation): Record<string, string> {
  return { 'xmlns:nc': NS_BASE, 'nc:operation': op };
}

/** The `<filter>` element for get / get-config / create-subscription. */
export function filterElement(f: Filter, ns?: string): XElement {
  if (f.type === 'subtree') {
    const content = Array.isArray(f.content) ? f.content : [f.content as XChild];
    return el('filter', { type: 'subtree', ...(ns ? { xmlns: ns } : {}) }, ...content);
  }
  const nsAttrs: Record<string, string> = {};
  for (const [p, uri] of Object.entries(f.namespaces ?? {})) nsAttrs[`xmlns:${p}`] = uri;
  return el('filter', { type: 'xpath', select: f.select, ...nsAttrs });
}

const ds = (name: string, store: Datastore): XElement => e(name, e(store));

export const rpcBody = {
  get: (filter?: Filter): XElement => e('get', filter && filterElement(filter)),
  getConfig: (source: Datastore, filter?: Filter): XElement =>
    e('get-config', ds('source', source), filter && filterElement(filter)),
  editConfig: (config: XChild | readonly XChild[], o: EditConfigOptions = {}): XElement =>
    e(
      'edit-config',
      ds('target', o.target ?? 'candidate'),
      o.defaultOperation && e('default-operation', o.defaultOperation),
      o.testOption && e('test-option', o.testOption),
      o.errorOption && e('error-option', o.errorOption),
      e('config', ...(Array.isArray(config) ? config : [config as XChild])),
    ),
  copyConfig: (
    target: Datastore | { url: string },
    source: Datastore | { url: string } | { config: XChild },
  ): XElement => e('copy-config', e('target', storeOrUrl(target)), e('source', storeOrUrl(source))),
  deleteConfig: (target: Datastore | { url: string }): XElement => e('delete-config', e('target', storeOrUrl(target))),
  lock: (target: Datastore): XElement => e('lock', ds('target', target)),
  unlock: (target: Datastore): XElement => e('unlock', ds('target', target)),
  validate: (source: Datastore | { config: XChild }): XElement => e('validate', e('source', storeOrUrl(source))),
  commit: (o: CommitOptions = {}): XElement =>
    e(
      'commit',
      o.confirmed === true && e('confirmed'),
      o.confirmed === true && o.timeoutS !== undefined && e('confirm-timeout', String(positiveInt(o.timeoutS))),
      o.persist !== undefined && e('persist', o.persist),
      o.persistId !== undefined && e('persist-id', o.persistId),
    ),
  cancelCommit: (persistId?: string): XElement =>
    e('cancel-commit', persistId !== undefined && e('persist-id', persistId)),
  discardChanges: (): XElement => e('discard-changes'),
  closeSession: (): XElement => e('close-session'),
  killSession: (sessionId: number): XElement => e('kill-session', e('session-id', String(positiveInt(sessionId)))),
  createSubscription: (o: SubscriptionOptions = {}): XElement =>
    el(
      'create-subscription',
      { xmlns: NS_NOTIFICATION },
      o.stream !== undefined && e('stream', o.stream),
      o.filter && filterElement(o.filter),
      o.startTime !== undefined && e('startTime', o.startTime),
      o.stopTime !== undefined && e('stopTime', o.stopTime),
    ),
};

function storeOrUrl(x: Datastore | { url: string } | { config: XChild }): XChild {
  if (typeof x === 'string') return e(x);
  if ('url' in x) return e('url', x.url);
  return e('config', x.config);
}

function positiveInt(n: number): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw new TypeError(`expected a positive integer, got ${n}`);
  return n;
}

/** Wraps an RPC body (or raw vendor XML) into the `<rpc>` envelope. */
export function rpcEnvelope(messageId: string, body: XChild | string): string {
  const inner = typeof body === 'string' ? raw(body) : body;
  return `<rpc message-id="${messageId}" xmlns="${NS_BASE}">${renderChild(inner)}</rpc>`;
}
