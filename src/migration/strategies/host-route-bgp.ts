/**
 * `host-route-bgp`: vmmi touches only the TORs. The destination TOR originates the host route (BGP
 * redistributes it); the source TOR withdraws the one it originated, strictly after the new one is
 * announced. A VM back at its home site needs no host route: the home TOR's connected prefix covers it.
 */
import { UnsupportedError } from '../../errors/classes.js';
import type { Switch } from '../../model/testbed.js';
import { resolveMove, torPortToward } from '../topology.js';
import { commonEdges, edge, gatewayOf } from './ops.js';
import type { DeviceOp, ExpectedEdge, MoveContext, Strategy, StrategyPlan } from './types.js';
import { defined } from '../../model/defined.js';

function needBgp(tor: Switch): void {
  if (tor.asn === undefined) {
    throw new UnsupportedError(`host-route-bgp needs BGP on TOR "${tor.name}", which has no asn`,
      { hint: 'set switches[].asn in the testbed or use host-route-static' });
  }
}

export const hostRouteBgp: Strategy = {
  name: 'host-route-bgp',
  summary: 'destination TOR announces the host route in BGP, source TOR withdraws it; only TORs touched',
  plan(ctx: MoveContext): StrategyPlan {
    const m = resolveMove(ctx);
    const tb = ctx.testbed;
    const gateway = gatewayOf(tb, m.home.site);
    const base = { strategy: 'host-route-bgp' as const, prepare: [], cleanup: [], ...defined({ gateway }) };
    if (m.sameSite) {
      return { ...base, switchover: [], watchRouters: [], notes: ['same site: one L2 segment, no route change'],
        expectedOrder: commonEdges(tb, m.src.name, m.dst.name, false) };
    }
    const announce = m.dst.site !== m.home.site;
    const withdraw = m.src.site !== m.home.site;
    if (announce) needBgp(m.dstTor);
    if (withdraw) needBgp(m.srcTor);
    const switchover: DeviceOp[] = [];
    const port = torPortToward(tb, m.dstTor.name, m.dst.name);
    const dev = { ...(m.dstSubnet === undefined ? {} : { subnet: m.dstSubnet.name }), ...defined({ port }) };
    if (announce)
      for (const p of m.prefixes)
        switchover.push({ op: 'bgp-announce', device: m.dstTor.name, prefix: p.prefix, family: p.family, dev });
    // A withdrawal names the route it withdraws (on-link toward the source), so that its inverse
    // (rollback, recovery) is a complete announce.
    const srcSubnet = tb.subnets.find((s) => s.site === m.src.site);
    const srcPort = torPortToward(tb, m.srcTor.name, m.src.name);
    const srcDev = { ...(srcSubnet === undefined ? {} : { subnet: srcSubnet.name }), ...defined({ port: srcPort }) };
    if (withdraw)
      for (const p of m.prefixes)
        switchover.push({ op: 'bgp-withdraw', device: m.srcTor.name, prefix: p.prefix, family: p.family, dev: srcDev });
    const expectedOrder: ExpectedEdge[] = [...commonEdges(tb, m.src.name, m.dst.name, true)];
    const gwEdge = gateway !== undefined;
    if (announce) {
      expectedOrder.push(edge(`route-add at ${m.dstTor.name} right after the switchover`,
        { kind: 'switchover-begin' }, { kind: 'route-add', host: m.dstTor.name }, 0, 500));
      if (gwEdge) {
        expectedOrder.push(edge(`BGP carries the route to ${gateway}`,
          { kind: 'route-add', host: m.dstTor.name }, { kind: 'route-add', host: gateway }, 0, 3000));
      }
      if (withdraw) {
        expectedOrder.push(edge('old route withdrawn only after the new one is announced',
          { kind: 'route-add', host: m.dstTor.name }, { kind: 'route-del', host: m.srcTor.name }, 0, 1000));
      }
    } else if (withdraw) {
      expectedOrder.push(edge(`route-del at ${m.srcTor.name} right after the switchover`,
        { kind: 'switchover-begin' }, { kind: 'route-del', host: m.srcTor.name }, 0, 500));
      if (gwEdge) {
        expectedOrder.push(edge(`BGP withdraws the route at ${gateway}`,
          { kind: 'route-del', host: m.srcTor.name }, { kind: 'route-del', host: gateway }, 0, 3000));
      }
    }
    const watchRouters = [...new Set([m.dstTor.name, m.srcTor.name, ...(gateway === undefined ? [] : [gateway])])];
    return {
      ...base, switchover, watchRouters, expectedOrder,
      notes: [`BGP on the TORs propagates the host route (≈75 ms at the origin, ≈50 ms per eBGP hop in the lab)`],
    };
  },
};
