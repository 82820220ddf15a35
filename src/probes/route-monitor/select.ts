/**
 * Which observer watches a device's routes, neighbours and MACs, chosen from testbed data (the
 * switch's driver kind and CLI platform) and, for NETCONF devices, the capabilities in its hello; and
 * the executor's RouteMonitor built from those observers for hardware reached only through its
 * management interfaces (SSH, NETCONF).
 *
 * Preference, best resolution first: SSH exec (`ip monitor` pushes each kernel change; uncertainty =
 * the path's one-way delay), YANG-push (on-change, else periodic), polling the driver's readRoutes.
 * The table is data: a new platform or kind is a row, not a branch.
 */
import { PrecheckError } from '../../errors/classes.js';
import type { CliAccess, Switch, SwitchDriverKind } from '../../model/testbed.js';
import type { PushMode } from './yang-push.js';
import { yangPushSupport } from './yang-push.js';

export type ObserverChoice =
  | { readonly kind: 'ssh-exec'; readonly port: number; readonly why: string }
  /** resolutionMs: the period of a periodic subscription; absent for on-change (the path delay, measured). */
  | { readonly kind: 'yang-push'; readonly mode: PushMode; readonly resolutionMs?: number; readonly why: string }
  /** resolutionMs: the poll interval (the measured round trip adds to it). */
  | { readonly kind: 'netconf-poll' | 'cli-poll'; readonly resolutionMs: number; readonly why: string }
  | { readonly kind: 'none'; readonly missing: string };

/** Whether a CLI platform's SSH exec channel runs a Linux shell with iproute2. */
const EXEC_SHELL: Readonly<Record<CliAccess['platform'], boolean>> = {
  linux: true,
  // A Linux NOS with FRR: logins land in vtysh, exec sessions run their command in a shell (the emulated
  // lab's CLI sshd, docs/emulated-lab.md). A device forcing exec into vtysh too fails at start with a
  // PROBE error naming what the shell lacked. The frr-ssh driver uses the same shell for iproute2.
  'frr-vtysh': true,
  junos: false,
  eos: false,
};

interface KindObservers {
  /** Exec shell when the switch has no `cli` section (frr-ssh logs into a Linux shell on `port`). */
  readonly shellWithoutCli: boolean;
  /** YANG-push of the RFC 8349 ribs can be parsed for this kind (ietf-routing data). */
  readonly ietfRoutingPush: boolean;
  /** What polling the driver's readRoutes is. */
  readonly poll: 'netconf-poll' | 'cli-poll' | undefined;
}

const KINDS: Readonly<Record<SwitchDriverKind, KindObservers>> = {
  'netconf-ietf': { shellWithoutCli: false, ietfRoutingPush: true, poll: 'netconf-poll' },
  // OpenConfig AFTs and Junos route tables are not ietf-routing: pushed updates would not parse; poll.
  'openconfig-netconf': { shellWithoutCli: false, ietfRoutingPush: false, poll: 'netconf-poll' },
  'junos-netconf': { shellWithoutCli: false, ietfRoutingPush: false, poll: 'netconf-poll' },
  eos: { shellWithoutCli: false, ietfRoutingPush: false, poll: 'netconf-poll' },
  'frr-ssh': { shellWithoutCli: true, ietfRoutingPush: false, poll: 'cli-poll' },
};

export interface SelectOptions {
  /** Poll interval and YANG-push period (ms, default 100). */
  readonly pollIntervalMs?: number;
  /** Coarsest acceptable resolution (ms): a poll or period above it does not count as an observer. */
  readonly maxResolutionMs?: number;
}

/** Whether a device kind can be offered YANG-push (decided only once its hello is read). */
export function pushCapableKind(kind: SwitchDriverKind): boolean {
  return KINDS[kind].ietfRoutingPush;
}

function missingFor(sw: Switch, interval: number, max: number): string {
  const wants = ['a Linux shell on SSH exec (cli.platform linux or frr-vtysh)'];
  if (KINDS[sw.kind].ietfRoutingPush) wants.push('ietf-yang-push (RFC 8641) in its NETCONF hello');
  const poll = KINDS[sw.kind].poll;
  const why = poll === undefined ? 'its driver cannot poll routes'
    : `polling every ${interval} ms is coarser than the ${max} ms asked for`;
  return `${wants.join(' or ')} (${why})`;
}

/**
 * The observer for `sw`. `advertised`: the capabilities of its NETCONF hello, when read; without them
 * YANG-push is not considered (polling is the floor every NETCONF driver offers).
 */
export function observerFor(sw: Switch, advertised?: readonly string[], o: SelectOptions = {}): ObserverChoice {
  const interval = o.pollIntervalMs ?? 100;
  const max = o.maxResolutionMs ?? Number.POSITIVE_INFINITY;
  if (sw.address === '') return { kind: 'none', missing: 'a management address' };
  const k = KINDS[sw.kind];
  const shell = sw.cli === undefined ? k.shellWithoutCli : EXEC_SHELL[sw.cli.platform];
  if (shell) {
    return { kind: 'ssh-exec', port: sw.cli?.port ?? sw.port,
      why: `SSH exec reaches a Linux shell (${sw.cli === undefined ? `kind ${sw.kind}` : `cli.platform ${sw.cli.platform}`})` };
  }
  const push = k.ietfRoutingPush && advertised !== undefined ? yangPushSupport(advertised) : undefined;
  if (push?.onChange === true) return { kind: 'yang-push', mode: 'on-change', why: 'hello lists ietf-yang-push on-change' };
  if (push?.push === true && interval <= max) {
    return { kind: 'yang-push', mode: 'periodic', resolutionMs: interval, why: 'hello lists ietf-yang-push (periodic)' };
  }
  if (k.poll !== undefined && interval <= max) {
    return { kind: k.poll, resolutionMs: interval, why: `kind ${sw.kind} reads routes (${k.poll})` };
  }
  return { kind: 'none', missing: missingFor(sw, interval, max) };
}

export interface ObserverGap {
  readonly device: string;
  readonly missing: string;
}

/** Devices with no observer, for a precheck (pure: NETCONF hellos are not read, so YANG-push is not assumed). */
export function observerGaps(switches: readonly Switch[], o: SelectOptions = {}): ObserverGap[] {
  return switches.flatMap((sw) => {
    const c = observerFor(sw, undefined, o);
    return c.kind === 'none' ? [{ device: sw.name, missing: c.missing }] : [];
  });
}

/** The PrecheckError for a device without an observer. */
export function noObserverError(device: string, missing: string): PrecheckError {
  return new PrecheckError(`no route observer: the device must offer ${missing}`, { device,
    operation: 'route observer', hint: 'give the switch a cli section with platform linux, or raise maxResolutionMs' });
}
