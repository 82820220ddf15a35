/**
 * Decomposition of a network outage (pure), measurement.md §4: the outage seen by one probe flow is
 * split into blackout (src SUSPENDED → dst RESUMED), L2 announce (RESUMED → MAC moved at a TOR),
 * overlay control (MAC move → last EVPN update at remote VTEPs) and L3 route (route origination →
 * last route change on the watched routers). Intervals are clipped to the outage and overlaps are
 * counted once; the residual (outage − attributed) is always reported, never hidden.
 *
 * Control-plane event kinds read here: `mac-move` (or `fdb-add`/`fdb-replace` of the VM's MAC),
 * `evpn-update`, `route-add`, `route-del`;
 * controller: `switchover-begin`; data plane: `outage-start` / `outage-end` (detail.firstSeq).
 */
import { findEvent } from './timeline.js';
import type { TimelineEvent, TimelineSource } from './types.js';

export type ComponentName = 'blackout' | 'l2-announce' | 'overlay-control' | 'l3-route';

export interface Component {
  readonly name: ComponentName;
  readonly observer: TimelineSource;
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** Full length of the interval. */
  readonly ms: number;
  /** Part of it inside the outage. */
  readonly inOutageMs: number;
}

export interface Decomposition {
  readonly flow?: string;
  readonly outageMs?: number;
  readonly components: readonly Component[];
  /** Union of the components inside the outage (overlaps counted once). */
  readonly attributedMs: number;
  readonly overlapMs: number;
  /** outage − attributed; undefined when no outage was observed. */
  readonly residualMs?: number;
  readonly notes: readonly string[];
}

export interface DecomposeInput {
  readonly timeline: readonly TimelineEvent[];
  readonly source: string;
  readonly destination: string;
  /** Routers whose route changes make up the L3 update. */
  readonly routers: readonly string[];
  /** Flow whose outage is decomposed (default: the first whose outage contains the resume). */
  readonly flow?: string;
}

const ms = (a: bigint, b: bigint): number => Number(b - a) / 1e6;

/** Control-plane kinds meaning "the VM's MAC was (re)learned at a switch". */
const MAC_MOVE_KINDS = new Set(['mac-move', 'fdb-add', 'fdb-replace']);

function outageAround(tl: readonly TimelineEvent[], atNs: bigint | undefined, flow?: string):
  { flow: string; startNs: bigint; endNs: bigint } | undefined {
  for (const s of tl) {
    if (s.kind !== 'outage-start' || (flow !== undefined && s.host !== flow)) continue;
    const end = tl.find(
      (e) => e.kind === 'outage-end' && e.host === s.host && e.detail?.['firstSeq'] === s.detail?.['firstSeq'],
    );
    if (end === undefined) continue;
    if (atNs === undefined || (s.t.monoNs <= atNs && atNs <= end.t.monoNs))
      return { flow: s.host, startNs: s.t.monoNs, endNs: end.t.monoNs };
  }
  return undefined;
}

/** Length of the union of intervals. */
function unionMs(iv: ReadonlyArray<readonly [bigint, bigint]>): number {
  const sorted = [...iv].filter(([a, b]) => b > a).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  let total = 0;
  let cur: [bigint, bigint] | undefined;
  for (const [a, b] of sorted) {
    if (cur !== undefined && a <= cur[1]) cur[1] = b > cur[1] ? b : cur[1];
    else {
      if (cur !== undefined) total += ms(cur[0], cur[1]);
      cur = [a, b];
    }
  }
  return cur === undefined ? total : total + ms(cur[0], cur[1]);
}

export function decompose(input: DecomposeInput): Decomposition {
  const tl = input.timeline;
  const notes: string[] = [];
  const suspended = findEvent(tl, { kind: 'suspended', host: input.source });
  const resumed = findEvent(tl, { kind: 'resumed', host: input.destination });
  const raw: Array<{ name: ComponentName; observer: TimelineSource; startNs: bigint; endNs: bigint }> = [];
  if (suspended !== undefined && resumed !== undefined) {
    raw.push({ name: 'blackout', observer: 'hypervisor', startNs: suspended.t.monoNs, endNs: resumed.t.monoNs });
  } else notes.push('blackout not attributed: src SUSPENDED or dst RESUMED event missing');
  const after = resumed?.t.monoNs;
  // The destination's RARP can reach a switch a few ms before libvirt's RESUMED event reaches vmmi
  // (both are stamped on receipt), so the MAC's move is looked for from the source's SUSPENDED on.
  const macFrom = suspended?.t.monoNs ?? after;
  const macMove = macFrom === undefined ? undefined
    : tl.find((e) => MAC_MOVE_KINDS.has(e.kind) && e.source === 'control-plane' && e.t.monoNs >= macFrom);
  if (resumed !== undefined && macMove !== undefined) {
    const end = macMove.t.monoNs > resumed.t.monoNs ? macMove.t.monoNs : resumed.t.monoNs;
    raw.push({ name: 'l2-announce', observer: 'control-plane', startNs: resumed.t.monoNs, endNs: end });
    const lastEvpn = tl.filter((e) => e.kind === 'evpn-update' && e.t.monoNs >= macMove.t.monoNs).at(-1);
    if (lastEvpn !== undefined) {
      raw.push({
        name: 'overlay-control',
        observer: 'control-plane',
        startNs: macMove.t.monoNs,
        endNs: lastEvpn.t.monoNs,
      });
    }
  }
  if (after !== undefined) {
    const routers = new Set(input.routers);
    const changes = tl.filter(
      (e) => (e.kind === 'route-add' || e.kind === 'route-del') && routers.has(e.host) && e.t.monoNs >= after,
    );
    const origin = findEvent(tl, { kind: 'switchover-begin' }, after) ?? changes[0];
    const last = changes.at(-1);
    if (origin !== undefined && last !== undefined && last.t.monoNs >= origin.t.monoNs) {
      raw.push({ name: 'l3-route', observer: 'control-plane', startNs: origin.t.monoNs, endNs: last.t.monoNs });
    }
  }
  // The outage holding the resume; when the first reply came before the RESUMED event was received
  // (a same-site return), the one holding the suspend.
  const outage = outageAround(tl, after, input.flow)
    ?? (suspended === undefined ? undefined : outageAround(tl, suspended.t.monoNs, input.flow));
  if (outage === undefined) {
    notes.push('no data-plane outage around the suspend or the resume: nothing to decompose against');
    const components = raw.map((c) => ({ ...c, ms: ms(c.startNs, c.endNs), inOutageMs: 0 }));
    return { components, attributedMs: 0, overlapMs: 0, notes };
  }
  const clip = (a: bigint, b: bigint): [bigint, bigint] =>
    [a < outage.startNs ? outage.startNs : a, b > outage.endNs ? outage.endNs : b];
  const components = raw.map((c) => {
    const [a, b] = clip(c.startNs, c.endNs);
    return { ...c, ms: ms(c.startNs, c.endNs), inOutageMs: b > a ? ms(a, b) : 0 };
  });
  const attributedMs = unionMs(components.map((c) => clip(c.startNs, c.endNs)));
  const overlapMs = components.reduce((s, c) => s + c.inOutageMs, 0) - attributedMs;
  const outageMs = ms(outage.startNs, outage.endNs);
  return {
    flow: outage.flow,
    outageMs,
    components,
    attributedMs,
    overlapMs,
    residualMs: outageMs - attributedMs,
    notes,
  };
}

export function formatDecomposition(d: Decomposition): string {
  const f = (x: number | undefined): string => (x === undefined ? 'n/a' : `${x.toFixed(1)} ms`);
  const lines = [`outage ${f(d.outageMs)}${d.flow === undefined ? '' : ` (flow ${d.flow})`}`];
  for (const c of d.components)
    lines.push(`  ${c.name.padEnd(16)} ${f(c.inOutageMs).padStart(10)} in outage (${f(c.ms)} total, ${c.observer})`);
  lines.push(`  ${'overlap'.padEnd(16)} ${f(d.overlapMs).padStart(10)}`);
  lines.push(`  ${'residual'.padEnd(16)} ${f(d.residualMs).padStart(10)}`);
  for (const n of d.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}
