/**
 * `tunnel`: the "communication agent". The VM's home site keeps attracting its traffic; an agent at
 * the home TOR captures it (host route into the tunnel), encapsulates it and sends it to the agent at
 * the destination TOR, which decapsulates and delivers it on its segment. The encapsulation is the
 * testbed's `defaults.tunnel.encapsulation`, carried on every tunnel-start/stop: `ipip` (default;
 * IP-in-IP, protocol 4 or 41) or `gre` (RFC 2784), as a router could terminate them, or `udp` (the
 * agents' own UDP format with a control header). The lab's agents are userspace endpoints over tun
 * (lab-assets/tunagent.c, raw sockets for ipip/gre); on hardware a driver may map the same intents to
 * the device's own GRE/IP-in-IP tunnels. Return traffic leaves the destination directly, so the forward
 * path makes a detour ("traffic roundabout"): `extraRttMs` gives the expected RTT delta per peer.
 */
import type { Testbed, TunnelEncapsulation } from '../../model/testbed.js';
import { endpointOf, pathDelayMs, resolveMove, torPortToward, type ResolvedMove } from '../topology.js';
import { commonEdges, edge, gatewayOf } from './ops.js';
import type { DeviceOp, MoveContext, Strategy, StrategyPlan } from './types.js';
import { defined } from '../../model/defined.js';

const tunnelName = (vm: string, site: string): string => `vmmi-${vm}-${site}`;

/** RTT via the anchor (forward) and direct return, minus the direct RTT, per peer device. */
export function tunnelExtraRttMs(
  tb: Testbed,
  anchor: string,
  dstTor: string,
  peers: readonly string[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const peer of peers) {
    const toAnchor = pathDelayMs(tb, peer, anchor);
    const across = pathDelayMs(tb, anchor, dstTor);
    const direct = pathDelayMs(tb, peer, dstTor);
    if (toAnchor === undefined || across === undefined || direct === undefined) continue;
    out[peer] = toAnchor + across + direct - 2 * direct;
  }
  return out;
}

/** The testbed's tunnel encapsulation (a testbed built in code without `tunnel`: ipip). */
export const encapsulationOf = (tb: Testbed): TunnelEncapsulation => tb.tunnel?.encapsulation ?? 'ipip';

function agents(m: ResolvedMove, site: 'src' | 'dst', op: 'tunnel-start' | 'tunnel-stop',
  encapsulation: TunnelEncapsulation): DeviceOp[] {
  const far = site === 'dst' ? m.dstTor : m.srcTor;
  const hv = site === 'dst' ? m.dst : m.src;
  const tunnel = tunnelName(m.vm.name, hv.site);
  const a = endpointOf(m.homeTor);
  const b = endpointOf(far);
  const decap: DeviceOp = { op, device: far.name, tunnel, role: 'decap', local: b, remote: a, encapsulation };
  const encap: DeviceOp = { op, device: m.homeTor.name, tunnel, role: 'encap', local: a, remote: b, encapsulation };
  // Start the receiving end first; stop the sending end first.
  return op === 'tunnel-start' ? [decap, encap] : [encap, decap];
}

export const tunnel: Strategy = {
  name: 'tunnel',
  summary: 'home site keeps attracting traffic; agents tunnel it to the destination (expect a higher RTT)',
  plan(ctx: MoveContext): StrategyPlan {
    const m = resolveMove(ctx);
    const tb = ctx.testbed;
    const gateway = gatewayOf(tb, m.home.site);
    const gw = gateway === undefined ? {} : { gateway };
    if (m.sameSite) {
      return {
        strategy: 'tunnel',
        prepare: [],
        switchover: [],
        cleanup: [],
        watchRouters: [],
        ...gw,
        notes: ['same site: one L2 segment, no tunnel'],
        expectedOrder: commonEdges(tb, m.src.name, m.dst.name, false),
      };
    }
    const toHome = m.dst.site === m.home.site;
    const fromHome = m.src.site === m.home.site;
    const anchor = m.homeTor.name;
    const encapsulation = encapsulationOf(tb);
    const prepare = toHome ? [] : agents(m, 'dst', 'tunnel-start', encapsulation);
    const cleanup = fromHome ? [] : agents(m, 'src', 'tunnel-stop', encapsulation);
    const port = torPortToward(tb, m.dstTor.name, m.dst.name);
    // The delivery route only serves what leaves the tunnel: announced, it would draw the destination
    // site's traffic straight to the VM and hide the roundabout the strategy is about.
    const dev = { ...(m.dstSubnet === undefined ? {} : { subnet: m.dstSubnet.name }), ...defined({ port }),
      fromTunnel: tunnelName(m.vm.name, m.dst.site) };
    // One transaction per device: delivery at the destination first, then the anchor's capture, then
    // the old delivery route (all families of a device together).
    const each = (f: (p: ResolvedMove['prefixes'][number]) => DeviceOp): DeviceOp[] => m.prefixes.map(f);
    const switchover: DeviceOp[] = toHome
      ? each((p) => ({ op: 'remove-host-route', device: anchor, prefix: p.prefix, family: p.family,
        dev: { tunnel: tunnelName(m.vm.name, m.src.site) } }))
      : [...each((p) => ({ op: 'add-host-route', device: m.dstTor.name, prefix: p.prefix, family: p.family, dev })),
        ...each((p) => ({ op: 'add-host-route', device: anchor, prefix: p.prefix, family: p.family,
          dev: { tunnel: tunnelName(m.vm.name, m.dst.site) } }))];
    if (!fromHome) {
      // The interface the old delivery used, though removing it needs none: a roll-back puts the
      // delivery back through this op's inverse, which must know where to deliver.
      const srcSubnet = tb.subnets.find((s) => s.site === m.src.site);
      const srcPort = torPortToward(tb, m.srcTor.name, m.src.name);
      const oldDev = { ...(srcSubnet === undefined ? {} : { subnet: srcSubnet.name }), ...defined({ port: srcPort }),
        fromTunnel: tunnelName(m.vm.name, m.src.site) };
      switchover.push(
        ...each((p) => ({ op: 'remove-host-route', device: m.srcTor.name, prefix: p.prefix, family: p.family,
          dev: oldDev })),
      );
    }
    const peers = [...tb.trafficHosts.map((h) => h.name), ...(gateway === undefined ? [] : [gateway])];
    const extraRttMs = toHome ? {} : tunnelExtraRttMs(tb, anchor, m.dstTor.name, peers);
    const extraRttBeforeMs = fromHome ? {} : tunnelExtraRttMs(tb, anchor, m.srcTor.name, peers);
    const first = toHome ? { kind: 'route-del', host: anchor } : { kind: 'route-add', host: m.dstTor.name };
    const expectedOrder = [
      ...commonEdges(tb, m.src.name, m.dst.name, true),
      edge(`${first.kind} at ${first.host} right after the switchover`, { kind: 'switchover-begin' }, first, 0, 500),
      ...(toHome ? [] : [edge('delivery at the destination before capture at the anchor',
        { kind: 'route-add', host: m.dstTor.name }, { kind: 'route-add', host: anchor }, 0, 1000)]),
    ];
    return {
      strategy: 'tunnel', prepare, switchover, cleanup, ...gw, extraRttMs, extraRttBeforeMs, expectedOrder,
      watchRouters: [...new Set([anchor, m.dstTor.name, m.srcTor.name])],
      notes: [toHome ? `back at ${m.home.site}: capture removed, agents stopped`
        : `anchor ${anchor} captures and tunnels (${encapsulation}) to ${m.dstTor.name}; return traffic goes direct`],
    };
  },
};
