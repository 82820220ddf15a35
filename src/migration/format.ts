/** Text form of a migration result (pure): attempts, timeline, decomposition, conformance, metrics. */
import { formatConformance } from './conformance.js';
import { formatDecomposition } from './decompose.js';
import { formatMetrics, formatOutage } from './metrics.js';
import type { AttemptResult, MigrationResult } from './run.js';
import { formatTimeline } from './timeline.js';
import type { PathView } from './network-view.js';

function formatAttempt(a: AttemptResult): string {
  const lines = [
    `attempt ${a.attempt}${a.purpose === 'reposition' ? ' (reposition for a re-measure)' : ''}: ${a.vm} ${a.source} → ${a.destination} (${a.strategy}): ${a.outcome.toUpperCase()}`
    + `, VM on ${a.vmOn ?? 'unknown'}, health ${a.health.health}`,
  ];
  if (a.failure !== undefined) lines.push(`  failed in ${a.failure.step} (${a.failure.kind}): ${a.failure.reason}`);
  if (a.trigger === 'job-completed')
    lines.push('  switchover was triggered by the job end: the RESUMED event was not seen');
  if (a.abortRequested) lines.push('  abort was requested');
  for (const r of a.residue) lines.push(`  RESIDUE: ${r}`);
  for (const r of a.health.reasons) lines.push(`  health: ${r}`);
  for (const n of a.notes) lines.push(`  note: ${n}`);
  if (a.memoryIntegrity !== undefined)
    lines.push(
      `  memory integrity: ${a.memoryIntegrity.status}: ${a.memoryIntegrity.detail} (${a.memoryIntegrity.method})`,
    );
  if (a.path !== undefined) lines.push(...formatPath(a.path));
  if (a.flooding !== undefined) {
    lines.push(`flooding in the move window (ARP/ND suppression ${a.flooding.suppression}; ${a.flooding.method}):`,
      ...a.flooding.segments.map((s) => `  ${s.device}/${s.bridge}: broadcast ARP ${s.arp}, ND multicast ${s.nd}, `
        + `unknown unicast ${s.unknownUnicast}`));
  }
  lines.push('timeline:', formatTimeline(a.timeline));
  if (a.decomposition !== undefined) lines.push('decomposition:', formatDecomposition(a.decomposition));
  if (a.conformance !== undefined) lines.push(formatConformance(a.conformance));
  const outage = formatOutage(a.metrics);
  if (outage.length > 0) lines.push('outage:', ...outage);
  if (a.metrics.length > 0) lines.push('metrics:', formatMetrics(a.metrics));
  return lines.join('\n');
}

function formatPath(p: PathView): string[] {
  const verdict = p.viaOldSite === undefined ? `unknown (${p.detail ?? 'no trace after the move'})`
    : p.viaOldSite ? `yes: traffic still goes round by ${p.oldSite}` : `no: no hop at ${p.oldSite}`;
  return [`path via the old site: ${verdict}`, ...p.traces.map((t) => `  ${t.when} ${t.from} → ${t.to}: `
    + `${t.hops.map((h) => (h.device === undefined ? h.address ?? '*' : `${h.device}(${h.address ?? ''})`)).join(' > ')}`
    + (t.reached ? '' : ' (not reached)'))];
}

export function formatResult(r: MigrationResult): string {
  const head = `verdict: ${r.verdict.toUpperCase()}, health: ${r.health.health}${r.unstable ? ' (unstable: retried)' : ''}`;
  return [head, ...r.attempts.map(formatAttempt)].join('\n\n');
}
