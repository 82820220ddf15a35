/**
 * `l2`: same segment (or a segment already stretched with VXLAN). vmmi changes nothing; the guest's
 * RARP/GARP self-announcements move the MAC in the bridge FDBs.
 */
import { UnsupportedError } from '../../errors/classes.js';
import { resolveMove } from '../topology.js';
import { commonEdges, gatewayOf } from './ops.js';
import type { MoveContext, Strategy, StrategyPlan } from './types.js';
import { defined } from '../../model/defined.js';

export const l2: Strategy = {
  name: 'l2',
  summary: 'same or stretched L2 segment: nothing configured, the guest announces itself (RARP/GARP)',
  plan(ctx: MoveContext): StrategyPlan {
    const m = resolveMove(ctx);
    if (!m.sameSite && m.home.vni === undefined) {
      throw new UnsupportedError(
        `l2 needs one L2 segment, but ${m.src.name} (site ${m.src.site}) and ${m.dst.name} (site ${m.dst.site}) `
        + `are on different sites and subnet "${m.home.name}" has no VNI`,
        { hint: 'use host-route-static, host-route-bgp, tunnel or evpn-l2 across subnets' });
    }
    const gateway = gatewayOf(ctx.testbed, m.home.site);
    return {
      strategy: 'l2',
      prepare: [],
      switchover: [],
      cleanup: [],
      watchRouters: [],
      ...defined({ gateway }),
      notes: [
        m.sameSite
          ? 'same site: the guest RARP moves the MAC'
          : `assumes subnet ${m.home.name} is stretched to site ${m.dst.site} with VNI ${m.home.vni ?? ''} (evpn-l2 attaches it)`,
      ],
      expectedOrder: commonEdges(ctx.testbed, m.src.name, m.dst.name, false),
    };
  },
};
