/**
 * Conformance (pure): the run's timeline against the strategy's expected event order with per-edge
 * time bounds. Each edge compares the first `from` event with the first `to` event; a `to` before its
 * `from` (e.g. the old route withdrawn before the new one is announced, or the network update after
 * the migrate call returned) is an order violation.
 */
import type { ExpectedEdge } from './strategies/types.js';
import { findEvent, msBetween } from './timeline.js';
import type { TimelineEvent } from './types.js';

export type ViolationKind = 'missing' | 'order' | 'too-early' | 'too-late';

export interface EdgeResult {
  readonly label: string;
  readonly deltaMs?: number;
  readonly ok: boolean;
  /** Not checkable: its `from` event (or an optional `to`) was not observed. */
  readonly skipped: boolean;
  readonly violation?: ViolationKind;
  readonly message?: string;
}

export interface Conformance {
  readonly ok: boolean;
  readonly edges: readonly EdgeResult[];
  readonly violations: readonly EdgeResult[];
}

function bound(ms: number): string {
  return Number.isFinite(ms) ? `${ms} ms` : '∞';
}

export function checkEdge(tl: readonly TimelineEvent[], e: ExpectedEdge): EdgeResult {
  const from = findEvent(tl, e.from);
  const to = findEvent(tl, e.to);
  const name = (m: ExpectedEdge['from']): string => `${m.kind}${m.host === undefined ? '' : `@${m.host}`}`;
  if (from === undefined || to === undefined) {
    const missing = from === undefined ? name(e.from) : name(e.to);
    if (!e.required) {
      return { label: e.label, ok: true, skipped: true, message: `${missing} not observed` };
    }
    return { label: e.label, ok: false, skipped: false, violation: 'missing', message: `${missing} not observed` };
  }
  const deltaMs = msBetween(from, to);
  if (deltaMs < 0 && e.minMs >= 0) {
    return { label: e.label, deltaMs, ok: false, skipped: false, violation: 'order',
      message: `${name(e.to)} came ${(-deltaMs).toFixed(1)} ms before ${name(e.from)}` };
  }
  if (deltaMs < e.minMs) {
    return { label: e.label, deltaMs, ok: false, skipped: false, violation: 'too-early',
      message: `${name(e.to)} ${deltaMs.toFixed(1)} ms after ${name(e.from)}, bound ≥ ${bound(e.minMs)}` };
  }
  if (deltaMs > e.maxMs) {
    return { label: e.label, deltaMs, ok: false, skipped: false, violation: 'too-late',
      message: `${name(e.to)} ${deltaMs.toFixed(1)} ms after ${name(e.from)}, bound ≤ ${bound(e.maxMs)}` };
  }
  return { label: e.label, deltaMs, ok: true, skipped: false };
}

export function checkConformance(tl: readonly TimelineEvent[], edges: readonly ExpectedEdge[]): Conformance {
  const results = edges.map((e) => checkEdge(tl, e));
  const violations = results.filter((r) => !r.ok);
  return { ok: violations.length === 0, edges: results, violations };
}

export function formatConformance(c: Conformance): string {
  const lines = [`conformance: ${c.ok ? 'PASS' : `FAIL (${c.violations.length} violation(s))`}`];
  for (const r of c.edges) {
    const mark = r.skipped ? 'skip' : r.ok ? ' ok ' : 'FAIL';
    const d = r.deltaMs === undefined ? '' : ` Δ ${r.deltaMs.toFixed(1)} ms`;
    lines.push(`  [${mark}] ${r.label}${d}${r.message === undefined ? '' : ` — ${r.message}`}`);
  }
  return lines.join('\n');
}
