/**
 * One timeline per run (pure): observer streams mapped onto the controller monotonic clock and merged
 * in time order. Controller-stamped events (libvirt events, controller actions, local `ip monitor`)
 * need no mapping; remote clocks (switch eventTime, remote probe agents) carry an offset ± uncertainty.
 */
import type { Stamp } from '../util/stamp.js';
import type { EventMatch } from './strategies/types.js';
import type { FlowResultLike, HostEvent, RouteChange, TimelineEvent, TimelineSource } from './types.js';
import { defined } from '../model/defined.js';

/** controllerWall = remoteWall + offsetMs (± uncertaintyMs); `anchor` ties controller wall to mono. */
export interface ClockMapping {
  readonly offsetMs: number;
  readonly uncertaintyMs: number;
  readonly anchor: Stamp;
}

export interface ObserverStream {
  readonly events: readonly TimelineEvent[];
  /** Absent for streams already on the controller clock. */
  readonly clock?: ClockMapping;
}

/** Maps a remote wall-clock time onto the controller clock. */
export function toControllerClock(remoteWallMs: number, c: ClockMapping): Stamp {
  const wallMs = remoteWallMs + c.offsetMs;
  const monoNs = c.anchor.monoNs + BigInt(Math.round((wallMs - c.anchor.wallMs) * 1e6));
  return { wallMs, monoNs };
}

/** A controller-monotonic ns value with its wall time, derived from an anchor stamp. */
export function atMono(monoNs: bigint, anchor: Stamp): Stamp {
  return { monoNs, wallMs: anchor.wallMs + Number(monoNs - anchor.monoNs) / 1e6 };
}

/** Merges streams into one list ordered by controller-monotonic time (stable for equal stamps). */
export function mergeTimeline(streams: readonly ObserverStream[]): TimelineEvent[] {
  const all: TimelineEvent[] = [];
  for (const s of streams) {
    for (const e of s.events) {
      if (s.clock === undefined) all.push(e);
      else all.push({ ...e, t: toControllerClock(e.t.wallMs, s.clock), uncertaintyMs: s.clock.uncertaintyMs });
    }
  }
  return all
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.t.monoNs < b.e.t.monoNs ? -1 : a.e.t.monoNs > b.e.t.monoNs ? 1 : a.i - b.i))
    .map(({ e }) => e);
}

export function hostEvent(e: HostEvent, role: 'source' | 'destination'): TimelineEvent {
  return { t: e.t, source: 'hypervisor', host: e.host, kind: e.kind,
    detail: { domain: e.domain, role, ...defined({ detail: e.detail }) } };
}

export function controllerEvent(t: Stamp, host: string, kind: string,
  detail?: Readonly<Record<string, string | number | boolean>>): TimelineEvent {
  return { t, source: 'controller', host, kind, ...defined({ detail }) };
}

/** Route changes; each carries its own offset (0 for controller-stamped local monitors). */
export function routeEvents(changes: readonly RouteChange[]): TimelineEvent[] {
  return changes.map((c) => {
    const offset = c.offsetMs ?? 0;
    const t =
      offset === 0 ? c.t : { wallMs: c.t.wallMs + offset, monoNs: c.t.monoNs + BigInt(Math.round(offset * 1e6)) };
    return { t, source: 'control-plane', host: c.router, kind: `route-${c.action}`,
      detail: { prefix: c.prefix, ...defined({ nextHop: c.nextHop }) },
      ...defined({ uncertaintyMs: c.uncertaintyMs }) };
  });
}

/** Data-plane landmarks of each flow: outage start/end per episode, first reply, stable rate. */
export function flowEvents(flows: readonly FlowResultLike[], anchor: Stamp): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  const ev = (ns: bigint, host: string, kind: string, detail: Record<string, number>): void => {
    out.push({ t: atMono(ns, anchor), source: 'data-plane' as TimelineSource, host, kind, detail });
  };
  for (const f of flows) {
    for (const ep of f.episodes) {
      ev(ep.startNs, f.flow, 'outage-start', { firstSeq: ep.firstSeq, lost: ep.lost });
      ev(ep.endNs, f.flow, 'outage-end', { firstSeq: ep.firstSeq, lost: ep.lost });
    }
    if (f.firstReplyAfterNs !== undefined) ev(f.firstReplyAfterNs, f.flow, 'first-reply', {});
    if (f.stableAfterNs !== undefined) ev(f.stableAfterNs, f.flow, 'stable-rate', {});
  }
  return out;
}

export function matches(e: TimelineEvent, m: EventMatch): boolean {
  return e.kind === m.kind && (m.host === undefined || e.host === m.host);
}

/** First event matching `m` (at or after `afterNs` when given). */
export function findEvent(tl: readonly TimelineEvent[], m: EventMatch, afterNs?: bigint): TimelineEvent | undefined {
  return tl.find((e) => matches(e, m) && (afterNs === undefined || e.t.monoNs >= afterNs));
}

export function msBetween(a: TimelineEvent | Stamp, b: TimelineEvent | Stamp): number {
  const ta = 't' in a ? a.t : a;
  const tb = 't' in b ? b.t : b;
  return Number(tb.monoNs - ta.monoNs) / 1e6;
}

/** One line per event, relative to the first: `+812.345 ms  hypervisor     hv3  resumed  domain=vm1`. */
export function formatTimeline(tl: readonly TimelineEvent[]): string {
  const t0 = tl[0]?.t.monoNs;
  if (t0 === undefined) return '(empty timeline)';
  return tl.map((e) => {
    const rel = (Number(e.t.monoNs - t0) / 1e6).toFixed(3).padStart(10);
    const unc = e.uncertaintyMs === undefined || e.uncertaintyMs === 0 ? '' : ` ±${e.uncertaintyMs} ms`;
    const detail = Object.entries(e.detail ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(' ');
    return `+${rel} ms${unc}  ${e.source.padEnd(13)} ${e.host.padEnd(8)} ${e.kind}${detail === '' ? '' : `  ${detail}`}`;
  }).join('\n');
}
