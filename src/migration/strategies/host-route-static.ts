/**
 * `host-route-static`: the VM keeps its address; on the destination's RESUMED event vmmi pushes a
 * /32 (/128) toward the new site on every router, destination TOR first and then outward, so each
 * router's next hop already holds the route. Moving back home removes them in the same order (the
 * home TOR's connected prefix takes over first). A move between two foreign sites replaces them.
 */
import { byDistance, resolveMove, routesToward, torPortToward } from '../topology.js';
import { commonEdges, edge, gatewayOf } from './ops.js';
import type { DeviceOp, ExpectedEdge, MoveContext, Strategy, StrategyPlan } from './types.js';
import { defined } from '../../model/defined.js';

export const hostRouteStatic: Strategy = {
  name: 'host-route-static',
  summary: 'push a /32 (/128) toward the new site on every router on dst RESUMED; withdraw on return',
  plan(ctx: MoveContext): StrategyPlan {
    const m = resolveMove(ctx);
    const tb = ctx.testbed;
    const base = { strategy: 'host-route-static' as const, prepare: [], cleanup: [] };
    const gateway = gatewayOf(tb, m.home.site);
    const gw = gateway === undefined ? {} : { gateway };
    if (m.sameSite) {
      return { ...base, ...gw, switchover: [], watchRouters: [], notes: ['same site: one L2 segment, no route change'],
        expectedOrder: commonEdges(tb, m.src.name, m.dst.name, false) };
    }
    const toHome = m.dst.site === m.home.site;
    const routes = routesToward(tb, m.dstTor.name);
    const order = byDistance(tb, m.dstTor.name);
    // A removal names the route it removes (toward the source site), so that its inverse (rollback,
    // recovery) is a complete add.
    const srcRoutes = routesToward(tb, m.srcTor.name);
    const srcSubnet = tb.subnets.find((s) => s.site === m.src.site);
    const towardSource = (router: string): Pick<Extract<DeviceOp, { op: 'remove-host-route' }>, 'nextHop' | 'dev'> => {
      if (router === m.srcTor.name) {
        const port = torPortToward(tb, router, m.src.name);
        return { dev: { ...(srcSubnet === undefined ? {} : { subnet: srcSubnet.name }), ...defined({ port }) } };
      }
      const r = srcRoutes.get(router);
      return r?.next === undefined ? {} : { nextHop: { device: r.next, ...defined({ port: r.port }) } };
    };
    const switchover: DeviceOp[] = [];
    for (const router of order) {
      const r = routes.get(router);
      for (const p of m.prefixes) {
        const common = { device: router, prefix: p.prefix, family: p.family };
        if (toHome) {
          switchover.push({ op: 'remove-host-route', ...common, ...towardSource(router) });
        } else if (router === m.dstTor.name) {
          const port = torPortToward(tb, router, m.dst.name);
          switchover.push({ op: 'add-host-route', ...common,
            dev: { ...(m.dstSubnet === undefined ? {} : { subnet: m.dstSubnet.name }), ...defined({ port }) } });
        } else if (r?.next !== undefined) {
          switchover.push({
            op: 'add-host-route',
            ...common,
            nextHop: { device: r.next, ...defined({ port: r.port }) },
          });
        }
      }
    }
    const kind = toHome ? 'route-del' : 'route-add';
    const first = toHome ? m.homeTor.name : m.dstTor.name;
    const expectedOrder: ExpectedEdge[] = [
      ...commonEdges(tb, m.src.name, m.dst.name, true),
      edge(
        `${kind} at ${first} right after the switchover`,
        { kind: 'switchover-begin' },
        { kind, host: first },
        0,
        500,
      ),
      ...order
        .filter((r) => r !== first)
        .map((r) =>
          edge(
            `${kind} at ${r} after ${first} (path built from the destination outward)`,
            { kind, host: first },
            { kind, host: r },
            0,
            1000,
          ),
        ),
    ];
    return {
      ...base, ...gw, switchover, watchRouters: order, expectedOrder,
      notes: [toHome
        ? `return to home site ${m.home.site}: host routes removed, connected ${m.home.name} prefix takes over`
        : `host routes toward ${m.dstTor.name} on ${order.length} router(s); replace semantics override older ones`],
    };
  },
};
