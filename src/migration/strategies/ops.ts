/** Pure helpers over device operations: inverse, text form, per-device batching, shared edges. */
import type { Testbed } from '../../model/testbed.js';
import type { DeviceOp, EventMatch, ExpectedEdge, NextHop, OnLink } from './types.js';

/** The operation that undoes `op` (used for rollback fallbacks and for printing). */
export function invertOp(op: DeviceOp): DeviceOp {
  switch (op.op) {
    case 'add-host-route': return { ...op, op: 'remove-host-route' };
    case 'remove-host-route': return { ...op, op: 'add-host-route' };
    case 'bgp-announce': return { ...op, op: 'bgp-withdraw' };
    case 'bgp-withdraw': return { ...op, op: 'bgp-announce' };
    case 'tunnel-start': return { ...op, op: 'tunnel-stop' };
    case 'tunnel-stop': return { ...op, op: 'tunnel-start' };
    case 'evpn-attach': return { ...op, op: 'evpn-detach' };
    case 'evpn-detach': return { ...op, op: 'evpn-attach' };
    case 'anycast-gateway': return { ...op, remove: op.remove !== true };
  }
}

/** Inverse of a whole sequence: inverted ops in reverse order. */
export function invertOps(ops: readonly DeviceOp[]): DeviceOp[] {
  return [...ops].reverse().map(invertOp);
}

function target(nh?: NextHop, dev?: OnLink): string {
  const parts: string[] = [];
  if (nh !== undefined) parts.push(`via ${nh.address ?? `<${nh.device}>`}`);
  if (dev?.tunnel !== undefined) parts.push(`dev tunnel:${dev.tunnel}`);
  else if (dev?.port !== undefined) parts.push(`dev ${dev.port}`);
  if (dev?.subnet !== undefined) parts.push(`(subnet ${dev.subnet})`);
  if (dev?.fromTunnel !== undefined) parts.push(`for traffic from tunnel:${dev.fromTunnel} (local)`);
  return parts.join(' ');
}

/** One line per operation, as `vmmi plan` prints it. */
export function describeOp(op: DeviceOp): string {
  switch (op.op) {
    case 'add-host-route':
    case 'remove-host-route':
      return `${op.device}: ${op.op === 'add-host-route' ? 'add' : 'remove'} host route ${op.prefix} ${target(op.nextHop, op.dev)}`.trimEnd();
    case 'bgp-announce':
    case 'bgp-withdraw':
      return `${op.device}: BGP ${op.op === 'bgp-announce' ? 'announce' : 'withdraw'} ${op.prefix} ${target(undefined, op.dev)}`.trimEnd();
    case 'tunnel-start':
    case 'tunnel-stop':
      return `${op.device}: ${op.op === 'tunnel-start' ? 'start' : 'stop'} tunnel agent ${op.tunnel} (${op.role}) ${op.local} ⇄ ${op.remote}`;
    case 'evpn-attach':
    case 'evpn-detach':
      return (
        `${op.device}: EVPN ${op.op === 'evpn-attach' ? 'attach' : 'detach'} VNI ${op.vni} (subnet ${op.subnet}, VTEP ${op.vtep}` +
        `${op.access === undefined || op.access === op.subnet ? '' : `, access ${op.access}`})`
      );
    case 'anycast-gateway':
      return `${op.device}: ${op.remove === true ? 'remove' : 'add'} anycast gateway ${op.gateway} (subnet ${op.subnet}`
        + `${op.access === undefined || op.access === op.subnet ? '' : `, on ${op.access}`})`;
  }
}

/**
 * Splits ordered ops into transactions: a maximal run of consecutive ops on one device is one
 * transaction. The cross-device order is kept (it encodes "new path before old withdrawn").
 */
export function batchByDevice(ops: readonly DeviceOp[]): Array<{ device: string; ops: DeviceOp[] }> {
  const out: Array<{ device: string; ops: DeviceOp[] }> = [];
  for (const op of ops) {
    const last = out[out.length - 1];
    if (last !== undefined && last.device === op.device) last.ops.push(op);
    else out.push({ device: op.device, ops: [op] });
  }
  return out;
}

/** Devices an op list touches, in first-touch order. */
export function devicesOf(ops: readonly DeviceOp[]): string[] {
  return [...new Set(ops.map((o) => o.device))];
}

export function edge(label: string, from: EventMatch, to: EventMatch, minMs: number, maxMs: number,
  required = true): ExpectedEdge {
  return { label, from, to, minMs, maxMs, required };
}

/**
 * Edges every strategy shares: the blackout, the switchover keyed to the destination's RESUMED event
 * (and never to the migrate call's return), and traffic recovery after the resume.
 */
export function commonEdges(tb: Testbed, src: string, dst: string, hasSwitchover: boolean): ExpectedEdge[] {
  const blackoutMax = Math.max(1000, 4 * tb.migration.maxDowntimeMs);
  const edges = [
    edge(
      'blackout: src SUSPENDED → dst RESUMED',
      { kind: 'suspended', host: src },
      { kind: 'resumed', host: dst },
      0,
      blackoutMax,
    ),
    edge('traffic recovers after the resume', { kind: 'resumed', host: dst }, { kind: 'first-reply' }, 0, 5000, false),
  ];
  if (hasSwitchover) {
    edges.push(
      edge('switchover keyed to dst RESUMED', { kind: 'resumed', host: dst }, { kind: 'switchover-begin' }, 0, 100),
      edge(
        "switchover not keyed to the migrate call's return",
        { kind: 'switchover-begin' },
        { kind: 'migrate-returned' },
        0,
        Number.POSITIVE_INFINITY,
        false,
      ),
    );
  }
  return edges;
}

/** The router where "route installed" ends control-plane reconvergence for the peers. */
export function gatewayOf(tb: Testbed, homeSite: string): string | undefined {
  const gw = tb.switches.find((s) => s.role === 'gateway');
  if (gw !== undefined) return gw.name;
  const peerHosts = new Set(tb.trafficHosts.map((h) => h.name));
  for (const l of tb.links) {
    const [a, b] = l.endpoints;
    if (peerHosts.has(a.device) && tb.switches.some((s) => s.name === b.device)) return b.device;
    if (peerHosts.has(b.device) && tb.switches.some((s) => s.name === a.device)) return a.device;
  }
  return tb.switches.find((s) => s.role === 'core' && s.site === homeSite)?.name
    ?? tb.switches.find((s) => s.role === 'tor' && s.site === homeSite)?.name;
}
