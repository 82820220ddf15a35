/**
 * YANG-push (RFC 8641 over RFC 8639/8640 subscribed notifications) for route tables, pure: whether a
 * hello advertises it, the establish/delete-subscription bodies, and what a push-update or
 * push-change-update says about routes (RFC 8349 ietf-routing `ribs/rib/routes/route`).
 *
 * Limits, stated: support is read from the hello's module capabilities (a NETCONF 1.1 server that lists
 * its modules only in ietf-yang-library is not seen as offering YANG-push); the RFC 8349 route list has
 * no key, so a yang-patch `delete`/`remove` is understood only when its target names the route's
 * destination-prefix (`[…destination-prefix='P']` or `/route=P`); other edits are counted as unparsed.
 */
import { e, el, type XElement } from '../../transports/netconf/xml-build.js';
import { child, childrenNamed, textAt, type XNode } from '../../transports/netconf/xml.js';
import type { RouteLike } from './route-diff.js';

export const NS_SN = 'urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications';
export const NS_YP = 'urn:ietf:params:xml:ns:yang:ietf-yang-push';
export const NS_DS = 'urn:ietf:params:xml:ns:yang:ietf-datastores';
export const NS_RT = 'urn:ietf:params:xml:ns:yang:ietf-routing';

export interface YangPushSupport {
  /** The hello lists ietf-yang-push. */
  readonly push: boolean;
  /** …with its `on-change` feature. */
  readonly onChange: boolean;
}

export function yangPushSupport(caps: readonly string[]): YangPushSupport {
  const cap = caps.find((c) => c === NS_YP || c.startsWith(`${NS_YP}?`));
  if (cap === undefined) return { push: false, onChange: false };
  const features = /[?&]features=([^&]*)/.exec(cap)?.[1]?.split(',') ?? [];
  return { push: true, onChange: features.includes('on-change') };
}

export type PushMode = 'on-change' | 'periodic';

/** XPath of the route tables subscribed to, with its prefixes (default: every RIB of ietf-routing). */
export interface PushSelection {
  readonly xpath: string;
  readonly namespaces: Readonly<Record<string, string>>;
}

export const RIBS: PushSelection = { xpath: '/rt:routing/rt:ribs', namespaces: { rt: NS_RT } };

/**
 * establish-subscription on the operational datastore. on-change with sync-on-start (the first
 * push-update is the baseline) and no dampening; periodic with the period in centiseconds (≥ 1).
 */
export function establishSubscription(mode: PushMode, periodMs: number, sel: PushSelection = RIBS): XElement {
  const nsAttrs = Object.fromEntries(Object.entries(sel.namespaces).map(([p, uri]) => [`xmlns:${p}`, uri]));
  const trigger = mode === 'on-change'
    ? e('yp:on-change', e('yp:dampening-period', '0'), e('yp:sync-on-start', 'true'))
    : e('yp:periodic', e('yp:period', String(Math.max(1, Math.round(periodMs / 10)))));
  return el('establish-subscription', { xmlns: NS_SN, 'xmlns:yp': NS_YP },
    el('yp:datastore', { 'xmlns:ds': NS_DS }, 'ds:operational'),
    el('yp:datastore-xpath-filter', nsAttrs, sel.xpath),
    trigger);
}

export function deleteSubscription(id: string): XElement {
  return el('delete-subscription', { xmlns: NS_SN }, e('id', id));
}

/** The subscription id of an establish-subscription reply (`<rpc-reply><id>`). */
export function subscriptionIdOf(replyRoot: XNode): string | undefined {
  return textAt(replyRoot, 'id');
}

/** Every RFC 8349 route under `n` (any depth): prefix and next-hop addresses (else interfaces). */
export function routesIn(n: XNode | undefined): RouteLike[] {
  const out: RouteLike[] = [];
  const stack = n === undefined ? [] : [n];
  while (stack.length > 0) {
    const x = stack.pop() as XNode;
    const prefix = x.name === 'route' ? textAt(x, 'destination-prefix') : undefined;
    if (prefix === undefined) {
      stack.push(...x.children);
      continue;
    }
    const addrs: string[] = [];
    const ifaces: string[] = [];
    const hops = [child(x, 'next-hop')].filter((h) => h !== undefined);
    while (hops.length > 0) {
      const h = hops.pop() as XNode;
      for (const c of h.children) {
        if (c.name === 'next-hop-address' || c.name === 'address') addrs.push(c.text.trim());
        else if (c.name === 'outgoing-interface') ifaces.push(c.text.trim());
        else if (c.children.length > 0) hops.push(c);
      }
    }
    out.push({ prefix, nextHops: addrs.length > 0 ? addrs : ifaces });
  }
  return out;
}

/** The destination-prefix a yang-patch target names, if it names one. */
export function prefixOfTarget(target: string): string | undefined {
  const xp = /destination-prefix\s*=\s*(['"])([^'"]+)\1/.exec(target);
  if (xp !== null) return xp[2];
  const rc = /\/(?:[\w-]+:)?route=([^/]+)$/.exec(target);
  if (rc === null) return undefined;
  try {
    return decodeURIComponent(rc[1] ?? '');
  } catch {
    return undefined;
  }
}

export type PushMessage =
  | { readonly kind: 'update'; readonly id: string; readonly routes: readonly RouteLike[] }
  | { readonly kind: 'change'; readonly id: string; readonly upserts: readonly RouteLike[];
    readonly removals: readonly string[]; readonly unparsed: number }
  | { readonly kind: 'ended'; readonly id: string; readonly reason: string }
  | { readonly kind: 'other' };

function changeOf(id: string, body: XNode): PushMessage {
  const upserts: RouteLike[] = [];
  const removals: string[] = [];
  let unparsed = 0;
  for (const edit of childrenNamed(child(child(body, 'datastore-changes'), 'yang-patch'), 'edit')) {
    const op = textAt(edit, 'operation') ?? '';
    if (op === 'delete' || op === 'remove') {
      const p = prefixOfTarget(textAt(edit, 'target') ?? '');
      if (p === undefined) unparsed++;
      else removals.push(p);
      continue;
    }
    const routes = routesIn(child(edit, 'value'));
    if (routes.length === 0) unparsed++;
    upserts.push(...routes);
  }
  return { kind: 'change', id, upserts, removals, unparsed };
}

/** Classifies one notification event element (the child of `<notification>` after eventTime). */
export function parsePushNotification(body: XNode | undefined): PushMessage {
  if (body === undefined) return { kind: 'other' };
  const id = textAt(body, 'id') ?? '';
  if (body.ns === NS_YP && body.name === 'push-update') {
    return { kind: 'update', id, routes: routesIn(child(body, 'datastore-contents')) };
  }
  if (body.ns === NS_YP && body.name === 'push-change-update') return changeOf(id, body);
  if (body.ns === NS_SN && (body.name === 'subscription-terminated' || body.name === 'subscription-suspended')) {
    return { kind: 'ended', id, reason: `${body.name}: ${textAt(body, 'reason') ?? 'no reason given'}` };
  }
  return { kind: 'other' };
}
