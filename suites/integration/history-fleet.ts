/**
 * The synthetic fleet of the PostgreSQL history spec: writer `w`'s attempt `k`, the same wherever it is
 * built (in a writer process and in the spec that checks what arrived). Start times are distinct, 40 min
 * apart over about three weeks, so the report's order and nightly series do not depend on insertion order.
 */
import { sampleRecord, type RunRecord } from './history-imports.js';

export const FLEET_WRITERS = 4;
export const FLEET_ATTEMPTS = 200;
const BASE = Date.parse('2026-11-01T00:00:00.000Z');
const TOPOLOGIES = ['cross-subnet', 'same-subnet', 'wan'] as const;

export function fleetRecord(w: number, k: number): RunRecord {
  const topology = TOPOLOGIES[k % TOPOLOGIES.length] as string;
  return sampleRecord({
    runId: `fleet-w${w}-${String(k).padStart(3, '0')}`,
    startedWall: new Date(BASE + (k * FLEET_WRITERS + w) * 40 * 60_000).toISOString(),
    params: { topology, strategy: topology === 'wan' ? 'host-route-bgp' : 'host-route-static',
      addressFamily: k % 4 === 3 ? 'ipv6' : 'ipv4' },
    downtimeMs: 170 + ((k * 13 + w * 7) % 30), networkMs: 5 + (k % 7),
    verdict: k % 17 === 5 ? 'fail' : 'pass', health: k % 29 === 11 ? 'degraded' : 'ok',
    ...(k % 29 === 11 ? { healthReasons: ['probe rate below target (synthetic)'] } : {}),
  });
}
