/**
 * RFC 5277 notification parsing with RFC 6470 base events, pure. `eventTime` is the device clock:
 * correlate it with controller time only through a measured clock offset.
 */
import { child, childrenNamed, parseXml, textAt, type XNode } from './xml.js';

export const NS_NC_NOTIFICATIONS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-notifications';

export interface ChangedBy {
  readonly username?: string;
  readonly sessionId?: number;
  readonly sourceHost?: string;
  /** True when the server itself made the change. */
  readonly server: boolean;
}

export type NetconfEvent =
  | {
      readonly kind: 'config-change';
      readonly changedBy: ChangedBy;
      readonly datastore: string;
      readonly edits: readonly { readonly target: string; readonly operation: string }[];
    }
  | {
      readonly kind: 'confirmed-commit';
      readonly confirmEvent: 'start' | 'cancel' | 'timeout' | 'extend' | 'complete' | string;
      readonly timeoutS?: number;
      readonly changedBy: ChangedBy;
    }
  | {
      readonly kind: 'session-start' | 'session-end';
      readonly changedBy: ChangedBy;
      readonly terminationReason?: string;
    }
  | { readonly kind: 'capability-change'; readonly added: readonly string[]; readonly deleted: readonly string[] }
  | { readonly kind: 'replay-complete' | 'notification-complete' }
  | { readonly kind: 'other' };

export interface NetconfNotification {
  /** Device clock, RFC 3339, as sent. */
  readonly eventTime: string;
  /** Local name and namespace of the event element. */
  readonly name: string;
  readonly ns: string | undefined;
  readonly event: NetconfEvent;
  /** The event element. */
  readonly body: XNode | undefined;
  readonly xml: string;
}

function changedBy(n: XNode | undefined): ChangedBy {
  const by = child(n, 'changed-by') ?? n;
  const sid = textAt(by, 'session-id');
  const server = child(by, 'server') !== undefined;
  return {
    server,
    ...(textAt(by, 'username') !== undefined ? { username: textAt(by, 'username') as string } : {}),
    ...(sid !== undefined && /^\d+$/.test(sid) ? { sessionId: Number(sid) } : {}),
    ...(textAt(by, 'source-host') !== undefined ? { sourceHost: textAt(by, 'source-host') as string } : {}),
  };
}

function classify(body: XNode | undefined): NetconfEvent {
  if (body === undefined) return { kind: 'other' };
  if (body.name === 'replayComplete') return { kind: 'replay-complete' };
  if (body.name === 'notificationComplete') return { kind: 'notification-complete' };
  if (body.ns !== NS_NC_NOTIFICATIONS) return { kind: 'other' };
  switch (body.name) {
    case 'netconf-config-change':
      return {
        kind: 'config-change',
        changedBy: changedBy(body),
        datastore: textAt(body, 'datastore') ?? 'running',
        edits: childrenNamed(body, 'edit').map((x) => ({
          target: textAt(x, 'target') ?? '',
          operation: textAt(x, 'operation') ?? '',
        })),
      };
    case 'netconf-confirmed-commit': {
      const t = textAt(body, 'timeout');
      return {
        kind: 'confirmed-commit',
        confirmEvent: textAt(body, 'confirm-event') ?? '',
        changedBy: changedBy(body),
        ...(t !== undefined && /^\d+$/.test(t) ? { timeoutS: Number(t) } : {}),
      };
    }
    case 'netconf-session-start':
    case 'netconf-session-end': {
      const reason = textAt(body, 'termination-reason');
      return {
        kind: body.name === 'netconf-session-start' ? 'session-start' : 'session-end',
        changedBy: changedBy(body),
        ...(reason !== undefined ? { terminationReason: reason } : {}),
      };
    }
    case 'netconf-capability-change':
      return {
        kind: 'capability-change',
        added: childrenNamed(body, 'added-capability').map((c) => c.text.trim()),
        deleted: childrenNamed(body, 'deleted-capability').map((c) => c.text.trim()),
      };
    default:
      return { kind: 'other' };
  }
}

/** Parses one `<notification>` message. */
export function parseNotification(xml: string): NetconfNotification {
  const root = parseXml(xml);
  const body = root.children.find((c) => c.name !== 'eventTime');
  return {
    eventTime: textAt(root, 'eventTime') ?? '',
    name: body?.name ?? '',
    ns: body?.ns,
    event: classify(body),
    body,
    xml,
  };
}

