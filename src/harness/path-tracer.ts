/**
 * The executor's PathTracer on a testbed: the path probe (probes/path) from each traffic host, at the
 * placement its UDP probes use, hops mapped to the testbed's devices and sites. Traces run together;
 * each is bounded by the probe's own deadline. A probe that fails is a trace that is no evidence
 * (`failure`), never a path that avoids the old site.
 */
import type { PathTarget, PathTrace, PathTracer } from '../migration/types.js';
import type { Testbed, TrafficHost } from '../model/testbed.js';
import { runPathProbe, type PathProbePlacement } from '../probes/path/run.js';
import { pathAddressIndex, resolvePathHops } from '../probes/path/resolve.js';
import type { IoOptions } from '../util/abort.js';
import { defined } from '../model/defined.js';
import type { TestbedAccess } from './access.js';

/** Probes per TTL, TTLs, wait per probe: a lab path of five hops answers in tens of ms; a silent TTL costs 500 ms. */
const PROBES_PER_HOP = 3;
const MAX_HOPS = 12;
const PROBE_TIMEOUT_MS = 500;

export const PATH_TRACE_METHOD = `path probe (pathprobe): TTL-limited UDP, ${PROBES_PER_HOP} probes per TTL up to `
  + `${MAX_HOPS}, ${PROBE_TIMEOUT_MS} ms per probe; ICMP time-exceeded/unreachable sources mapped to testbed devices`;

export function createPathTracer(tb: Testbed,
  access: Pick<TestbedAccess, 'prepare' | 'placementOf' | 'pathProbeOf'>): PathTracer {
  const index = pathAddressIndex(tb);
  const host = (name: string): TrafficHost | undefined => tb.trafficHosts.find((h) => h.name === name);
  const one = async (t: PathTarget, io: IoOptions): Promise<PathTrace> => {
    const h = host(t.from);
    if (h === undefined) return { from: t.from, to: t.to, reached: false, hops: [], failure: `no traffic host ${t.from}` };
    const placement = access.placementOf(h);
    if (placement.kind === 'in-process') {
      return { from: t.from, to: t.to, reached: false, hops: [],
        failure: `traffic host ${t.from} probes in-process: the path probe needs a host it can run on` };
    }
    const remoteBinary = await access.pathProbeOf?.(h, io);
    const r = await runPathProbe(placement as PathProbePlacement, t.to, {
      probesPerHop: PROBES_PER_HOP, maxHops: MAX_HOPS, probeTimeoutMs: PROBE_TIMEOUT_MS,
      ...defined({ signal: io.signal, remoteBinary }),
    });
    const hops = resolvePathHops(r.hops, index).map((x) => ({
      ttl: x.ttl, rttMs: x.rttsMs, ...defined({ address: x.address, device: x.device, site: x.site }),
    }));
    return { from: t.from, to: t.to, reached: r.reached && r.failure === undefined, hops,
      ...defined({ failure: r.failure }) };
  };
  return {
    method: PATH_TRACE_METHOD,
    async trace(targets, io) {
      const hosts = [...new Set(targets.map((t) => t.from))].flatMap((n) => host(n) ?? []);
      await access.prepare(hosts, io);
      return Promise.all(targets.map((t) => one(t, io).catch((e: unknown) => ({
        from: t.from, to: t.to, reached: false, hops: [], failure: e instanceof Error ? e.message : String(e) }))));
    },
  };
}
