/**
 * `evpn-l2`: the VM's segment is an L2VNI carried by BGP EVPN between the TORs, with an anycast
 * gateway (same MAC/IP) on each. Before the move the destination TOR gets the VNI, bridged into the
 * access segment of the destination hypervisor, and the anycast gateway; at switchover nothing is
 * pushed: EVPN MAC mobility (type-2 sequence N+1) moves the MAC once the guest announces itself
 * (QEMU's RARP after the switchover). Attaching what is already there is a no-op the device adapter
 * does not record, so rollback takes away only what this move added. Leaving a site that is not
 * the segment's home detaches the VNI there in cleanup (one VM per stretched segment and site: the
 * testbed does not say where the other VMs of the segment are).
 */
import { UnsupportedError } from '../../errors/classes.js';
import { endpointOf, resolveMove } from '../topology.js';
import { commonEdges, edge, gatewayOf } from './ops.js';
import type { DeviceOp, MoveContext, Strategy, StrategyPlan } from './types.js';
import { defined } from '../../model/defined.js';

export const evpnL2: Strategy = {
  name: 'evpn-l2',
  summary: 'L2VNI stretched by BGP EVPN with an anycast gateway; MAC mobility moves the VM',
  plan(ctx: MoveContext): StrategyPlan {
    const m = resolveMove(ctx);
    const vni = m.home.vni;
    if (vni === undefined) {
      throw new UnsupportedError(`evpn-l2 needs a VNI on subnet "${m.home.name}"`, {
        hint: 'set subnets[].vni in the testbed',
      });
    }
    // The subnet whose bridge/SVI the VNI joins at a site other than home (the hypervisors' segment there).
    const accessAt = (site: string): { access?: string } => {
      const s = site === m.home.site ? undefined : ctx.testbed.subnets.find((x) => x.site === site);
      return s === undefined ? {} : { access: s.name };
    };
    const prepare: DeviceOp[] = [];
    if (m.dstTor.name !== m.homeTor.name) {
      const device = m.dstTor.name;
      const access = accessAt(m.dst.site);
      prepare.push({ op: 'evpn-attach', device, vni, subnet: m.home.name, vtep: endpointOf(m.dstTor), ...access });
      for (const [family, plan] of [[4, m.home.ipv4], [6, m.home.ipv6]] as const) {
        if (plan !== undefined && m.prefixes.some((p) => p.family === family)) {
          prepare.push({
            op: 'anycast-gateway',
            device,
            subnet: m.home.name,
            gateway: plan.gateway,
            family,
            ...access,
          });
        }
      }
    }
    const cleanup: DeviceOp[] = [];
    if (m.srcTor.name !== m.homeTor.name && m.srcTor.name !== m.dstTor.name) {
      cleanup.push({
        op: 'evpn-detach',
        device: m.srcTor.name,
        vni,
        subnet: m.home.name,
        vtep: endpointOf(m.srcTor),
        ...accessAt(m.src.site),
      });
    }
    const gateway = gatewayOf(ctx.testbed, m.home.site);
    return {
      strategy: 'evpn-l2', prepare, switchover: [], cleanup,
      watchRouters: [...new Set([m.srcTor.name, m.dstTor.name])],
      ...defined({ gateway }),
      notes: [`VNI ${vni} on ${m.dstTor.name}; MAC mobility by EVPN, no push at switchover`,
        cleanup.length > 0 ? `cleanup detaches VNI ${vni} from ${m.srcTor.name}: the VM left that site`
          : 'cleanup leaves the VNI attached where it was before'],
      expectedOrder: [
        ...commonEdges(ctx.testbed, m.src.name, m.dst.name, false),
        // From the source's SUSPENDED, not the destination's RESUMED: the destination QEMU's RARP
        // reaches the TOR before libvirt's resume event reaches vmmi (seen 1–2 ms early).
        edge(`MAC learned at ${m.dstTor.name} after the source stopped`, { kind: 'suspended', host: m.src.name },
          { kind: 'mac-move', host: m.dstTor.name }, 0, 1500, true),
        ...(m.dstTor.name === m.srcTor.name ? [] : [
          edge(`EVPN moves the MAC at ${m.srcTor.name}`, { kind: 'mac-move', host: m.dstTor.name },
            { kind: 'evpn-update', host: m.srcTor.name }, 0, 3000, true)]),
      ],
    };
  },
};
