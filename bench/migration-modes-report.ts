/**
 * The pure part of bench/migration-modes.ts: one move's `vmmi migrate --json` object read into the
 * bench's row (a figure is a value or the reason it has none, never `undefined` text), a move that ran
 * into the bench's migrate deadline named as not converging, and the figures printed.
 */

/** A figure of one move: its value, or why there is none (a broken measurement is not a value). */
export type Figure = { readonly value: number } | { readonly value?: undefined; readonly why: string };

export interface MoveRow {
  readonly ok: boolean;
  /** Why the move did not migrate (or was not run). */
  readonly why?: string;
  /** The move ran into the bench's migrate deadline in a mode that can keep copying forever. */
  readonly notConverged?: boolean;
  readonly downtimeMs?: Figure;
  readonly totalMs?: Figure;
  readonly bytes?: Figure;
  readonly iterations?: Figure;
  readonly qemuDirtyMiBs?: Figure;
  readonly keptMiBs?: Figure;
  /** Guest control queries that failed in this move, and other remarks. */
  readonly notes: readonly string[];
}

export interface MetricLike {
  readonly value: number | null;
  readonly note?: string;
}

export interface MoveJsonLike {
  readonly verdict: string;
  readonly metrics: Readonly<Record<string, MetricLike | undefined>>;
  readonly attempts: ReadonlyArray<{ readonly failure?: { readonly reason?: string } }>;
}

export interface MoveContext {
  readonly mode: string;
  /** The dirty rate the guest was asked for, MiB/s. */
  readonly rateMiBs: number;
  readonly bandwidthMiBs: number;
}

/** A metric of the record as a figure: absent or null give the reason (the metric's note when it has one). */
export function figureOf(m: MetricLike | undefined): Figure {
  if (m === undefined) return { why: 'not in the record' };
  if (m.value === null || !Number.isFinite(m.value)) return { why: m.note ?? 'not measured' };
  return { value: m.value };
}

/**
 * "did not converge (precopy, dirty 64 > bandwidth 48 MiB/s)" for a move stopped at the bench's migrate
 * deadline; undefined for any other failure. Postcopy always ends once switched, so its timeout is a
 * failure, not a finding about convergence.
 */
export function notConvergedWhy(reason: string, c: MoveContext): string | undefined {
  const hit = /step migrate exceeded (\d+) ms/.exec(reason);
  if (hit === null || c.mode === 'postcopy') return undefined;
  const rel = c.rateMiBs > c.bandwidthMiBs ? '>' : '≤';
  const within = c.rateMiBs > c.bandwidthMiBs ? '' : ` within ${Number(hit[1]) / 1000} s`;
  return `did not converge${within} (${c.mode}, dirty ${c.rateMiBs} ${rel} bandwidth ${c.bandwidthMiBs} MiB/s)`;
}

/** One move's row from its `vmmi migrate --json` object. */
export function moveRow(j: MoveJsonLike, c: MoveContext, notes: readonly string[] = []): MoveRow {
  if (j.verdict !== 'migrated') {
    const reason = j.attempts.at(-1)?.failure?.reason ?? '';
    const nc = notConvergedWhy(reason, c);
    return nc === undefined
      ? { ok: false, why: `${j.verdict}: ${reason}`.slice(0, 200), notes }
      : { ok: false, why: nc, notConverged: true, notes };
  }
  const f = (k: string): Figure => figureOf(j.metrics[k]);
  return { ok: true, downtimeMs: f('hypervisor_downtime_ms'), totalMs: f('migration_total_ms'),
    bytes: f('memory_transferred_bytes'), iterations: f('iterations'), qemuDirtyMiBs: f('dirty_rate_mibs'), notes };
}

/** A figure as text: the value with `digits` decimals and `unit`, or "n/a (why)". */
export function showFigure(x: Figure | undefined, digits = 0, unit = ''): string {
  if (x === undefined) return 'n/a (not taken)';
  if (x.value === undefined) return `n/a (${x.why})`;
  return `${x.value.toFixed(digits)}${unit}`;
}

/** The move's log line, e.g. `downtime 7 ms, total n/a (…), …`, or why it did not migrate. */
export function moveLine(m: MoveRow): string {
  const notes = m.notes.length === 0 ? '' : ` [${m.notes.join('; ')}]`;
  if (!m.ok) return `not migrated: ${m.why ?? ''}${notes}`;
  return `downtime ${showFigure(m.downtimeMs, 0, ' ms')}, total ${showFigure(m.totalMs, 0, ' ms')}, `
    + `${showFigure(m.bytes, 0, ' bytes')}, ${showFigure(m.iterations, 0, ' passes')}, `
    + `QEMU ${showFigure(m.qemuDirtyMiBs, 1, ' MiB/s')}, kept ${showFigure(m.keptMiBs, 1, ' MiB/s')}${notes}`;
}

/** The values of a figure over moves that migrated (the median's input). */
export function valuesOf(ms: readonly MoveRow[], k: 'downtimeMs' | 'totalMs' | 'bytes' | 'iterations' | 'qemuDirtyMiBs'
  | 'keptMiBs'): number[] {
  const out: number[] = [];
  for (const m of ms) {
    const x = m[k];
    if (m.ok && x?.value !== undefined) out.push(x.value);
  }
  return out;
}
