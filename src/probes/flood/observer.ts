/**
 * A flooding count over a window across several devices' segments, in the shape the migration executor
 * observes (start on devices, stop → per-segment totals, the segments' suppression, the method), built
 * on any {@link FloodCounterSource}. A segment that fails to start or whose counts are lost is left out
 * and named in `problems`; a source that cannot tell a class apart leaves the segment out too (its
 * totals would read as 0).
 */
import type { IoOptions } from '../../util/abort.js';
import type { FloodCounterSource, FloodCounting, FloodSegmentRef, FloodSegmentResult, SuppressionState } from './types.js';

export interface FloodWindowResult {
  /** Each flooded frame once per segment. */
  readonly segments: readonly {
    readonly device: string; readonly bridge: string; readonly arp: number; readonly nd: number;
    readonly unknownUnicast: number;
  }[];
  readonly suppression: SuppressionState | 'unknown';
  readonly method: string;
  /** Every segment's full result (per-port detail, window, health). */
  readonly results: readonly FloodSegmentResult[];
  readonly problems: readonly string[];
}

/** Combined suppression of several segments: equal states stay, different ones read `mixed`. */
export function combineSuppression(states: readonly SuppressionState[]): SuppressionState | 'unknown' {
  const first = states[0];
  if (first === undefined) return 'unknown';
  return states.every((s) => s === first) ? first : 'mixed';
}

export function createFloodObserver(source: FloodCounterSource,
  segmentsOf: (device: string) => readonly FloodSegmentRef[]) {
  let running: FloodCounting[] = [];
  let suppression: SuppressionState[] = [];
  let problems: string[] = [];
  return {
    async start(devices: readonly string[], io: IoOptions): Promise<void> {
      running = [];
      suppression = [];
      problems = [];
      const segs = devices.flatMap((d) => segmentsOf(d));
      await Promise.all(segs.map(async (s) => {
        try {
          suppression.push((await source.suppression(s, io)).arp_nd_suppression);
          running.push(await source.start(s, io));
        } catch (e) {
          problems.push(`${s.device}/${s.bridge}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }));
    },
    async stop(io: IoOptions): Promise<FloodWindowResult> {
      const results = await Promise.all(running.map((c) => c.stop(io)));
      running = [];
      const segments = [];
      for (const r of results) {
        const { flood_arp_packets: arp, flood_nd_packets: nd, flood_unknown_unicast_packets: uu } = r;
        if (r.health === 'errored' || arp === undefined || nd === undefined || uu === undefined) {
          problems.push(`${r.device}/${r.bridge}: no counts (${r.reasons.join('; ')})`);
          continue;
        }
        if (r.health === 'degraded') problems.push(`${r.device}/${r.bridge}: ${r.reasons.join('; ')}`);
        segments.push({ device: r.device, bridge: r.bridge, arp, nd, unknownUnicast: uu });
      }
      return { segments, suppression: combineSuppression(suppression), method: `${source.kind}: ${results[0]?.method ?? ''}`,
        results, problems: [...problems] };
    },
  };
}
