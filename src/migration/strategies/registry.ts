/** Explicit, typed, exhaustive registry of migration strategies. */
import { UnknownKindError } from '../../errors/classes.js';
import { MIGRATION_STRATEGIES, type MigrationStrategy } from '../../model/testbed.js';
import { evpnL2 } from './evpn-l2.js';
import { hostRouteBgp } from './host-route-bgp.js';
import { hostRouteStatic } from './host-route-static.js';
import { l2 } from './l2.js';
import { tunnel } from './tunnel.js';
import type { Strategy } from './types.js';

export const strategies = {
  l2,
  'host-route-static': hostRouteStatic,
  'host-route-bgp': hostRouteBgp,
  tunnel,
  'evpn-l2': evpnL2,
} as const satisfies Record<MigrationStrategy, Strategy>;

function isStrategy(name: string): name is MigrationStrategy {
  return (MIGRATION_STRATEGIES as readonly string[]).includes(name);
}

/** Looks a strategy up by name; an unknown name lists the supported ones. */
export function getStrategy(name: string): Strategy {
  if (!isStrategy(name)) throw new UnknownKindError('migration strategy', name, MIGRATION_STRATEGIES);
  return strategies[name];
}
