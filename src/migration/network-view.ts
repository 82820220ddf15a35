/**
 * What the move did to the network around the VM, from the path probe and the flooding count (pure):
 * which traces to take, whether traffic still goes round by the site the VM left, and the flooding
 * metrics. The executor records the raw traces and counts; this module judges them.
 */
import { createMetric, type Metric } from '../measure/metric-catalogue.js';
import { CONTROLLER_CLOCK } from '../util/stamp.js';
import type { MigrationPlan } from './plan.js';
import type { FloodWindow, PathTarget, PathTrace } from './types.js';

/** Every traffic host of the testbed toward each address of the VM the move carries. */
export function pathTargets(plan: Pick<MigrationPlan, 'testbed' | 'vm' | 'families'>): PathTarget[] {
  const addrs = plan.families.flatMap((f) => {
    const a = f === 4 ? plan.vm.ipv4 : plan.vm.ipv6;
    return a === undefined ? [] : [a.split('/')[0] ?? a];
  });
  return plan.testbed.trafficHosts.flatMap((h) => addrs.map((to) => ({ from: h.name, to })));
}

export interface PathView {
  readonly oldSite: string;
  readonly traces: readonly (PathTrace & { readonly when: 'before' | 'after' })[];
  readonly viaOldSite?: boolean;
  readonly method: string;
  readonly detail?: string;
}

/**
 * Whether traffic still goes round by the site the VM left. Judged on the traces after the move that
 * reached the VM from traffic hosts outside that site: any hop at a device of the old site is the
 * roundabout. When every traffic host is at the old site, its own devices are on every path, so only
 * a hop at one of its TORs (the old gateway) counts. Undefined when no trace after the move reached.
 */
export function judgeRoundabout(plan: Pick<MigrationPlan, 'testbed' | 'source'>,
  after: readonly PathTrace[]): boolean | undefined {
  const tb = plan.testbed;
  const oldSite = tb.hypervisors.find((h) => h.name === plan.source)?.site;
  if (oldSite === undefined) return undefined;
  const siteOf = (host: string): string | undefined => tb.trafficHosts.find((h) => h.name === host)?.site;
  const reached = after.filter((t) => t.reached && t.failure === undefined);
  const outside = reached.filter((t) => { const s = siteOf(t.from); return s !== undefined && s !== oldSite; });
  if (outside.length > 0) return outside.some((t) => t.hops.some((h) => h.site === oldSite));
  if (reached.length === 0) return undefined;
  const oldTors = new Set(tb.switches.filter((s) => s.role === 'tor' && s.site === oldSite).map((s) => s.name));
  return reached.some((t) => t.hops.some((h) => h.device !== undefined && oldTors.has(h.device)));
}

export function pathView(plan: Pick<MigrationPlan, 'testbed' | 'source'>, method: string,
  before: readonly PathTrace[] | undefined, after: readonly PathTrace[] | undefined,
  notes: readonly string[]): PathView | undefined {
  if (before === undefined && after === undefined && notes.length === 0) return undefined;
  const oldSite = plan.testbed.hypervisors.find((h) => h.name === plan.source)?.site ?? '';
  const viaOldSite = judgeRoundabout(plan, after ?? []);
  const traces = [...(before ?? []).map((t) => ({ ...t, when: 'before' as const })),
    ...(after ?? []).map((t) => ({ ...t, when: 'after' as const }))];
  const failures = (after ?? []).flatMap((t) => (t.failure === undefined ? [] : [`${t.from}→${t.to}: ${t.failure}`]));
  const detail = viaOldSite !== undefined ? undefined
    : [...notes, ...failures, ...(after === undefined ? [] : ['no trace after the move reached the VM'])].join('; ');
  return { oldSite, traces, method, ...(viaOldSite === undefined ? {} : { viaOldSite }),
    ...(detail === undefined || detail === '' ? {} : { detail }) };
}

/**
 * The three flooding metrics of the move window: each class summed over the counted segments. With no
 * segment counted the values are null (not measured, never 0); a partial count says which are missing.
 */
export function floodMetrics(w: FloodWindow): Metric[] {
  const none = w.segments.length === 0;
  const sum = (k: 'arp' | 'nd' | 'unknownUnicast'): number | null =>
    (none ? null : w.segments.reduce((n, s) => n + s[k], 0));
  const where = w.segments.map((s) => `${s.device}/${s.bridge}`).join(', ');
  const missing = (w.problems ?? []).length === 0 ? '' : `; problems: ${(w.problems ?? []).join('; ')}`;
  const method = `${w.method}; segments ${none ? 'none' : where}; ARP/ND suppression ${w.suppression}${missing}`;
  return [
    createMetric('flood_arp_packets', sum('arp'), method, 0, CONTROLLER_CLOCK),
    createMetric('flood_nd_packets', sum('nd'), method, 0, CONTROLLER_CLOCK),
    createMetric('flood_unknown_unicast_packets', sum('unknownUnicast'), method, 0, CONTROLLER_CLOCK),
  ];
}
