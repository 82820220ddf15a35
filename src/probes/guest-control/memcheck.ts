/**
 * The guest memory checker's answer (pure). lab-assets/memcheck.c keeps a pattern in a region of guest
 * memory and verifies it continuously; the reflector's control port answers `memcheck` with one line
 * of `key=value` fields (lab-assets/udprefl.c). This module turns that line into a typed report and
 * the report into the record's memory-integrity verdict.
 */
import { ProtocolError } from '../../errors/classes.js';
import type { MemoryIntegrity } from '../../migration/types.js';

export type { MemoryIntegrity };

export type MemcheckState = 'ok' | 'corrupt' | 'absent';

export interface MemcheckReport {
  readonly state: MemcheckState;
  /** Guest CLOCK_BOOTTIME at the answer (ms): it going back means the guest was reset. */
  readonly uptimeMs: number;
  readonly pages: number;
  readonly pageBytes: number;
  /** Stated rates of the checker: page rewrites per second (its dirty rate) and verifications per second. */
  readonly updatePps: number;
  readonly verifyPps: number;
  readonly updates: number;
  readonly verified: number;
  /** Full verification passes over the region since the checker started. */
  readonly passes: number;
  readonly badPages: number;
  /** Guest ms since the checker's last tick: a checker that stopped ticking is not checking. */
  readonly sinceTickMs: number;
  /** Longest interval between two ticks the guest saw (ms). */
  readonly maxTickGapMs: number;
  readonly selftestDone: number;
  readonly selftestPage: number;
  /** The first mismatch, when the state is corrupt. */
  readonly first?: {
    readonly page: number;
    readonly word: number;
    readonly expected: string;
    readonly found: string;
    readonly atMs: number;
  };
  /** The line as received, for logs and notes. */
  readonly line: string;
}

const num = (f: ReadonlyMap<string, string>, k: string, line: string): number => {
  const v = f.get(k);
  const n = v === undefined ? NaN : Number(v);
  if (!Number.isFinite(n))
    throw new ProtocolError(`memcheck reply: field ${k} missing or not a number in "${line.slice(0, 200)}"`);
  return n;
};

/** Parses one `memcheck state=… key=value…` line; throws ParseError naming what is missing. */
export function parseMemcheckReply(raw: string): MemcheckReport {
  const line = raw.trim();
  const [head, ...rest] = line.split(/\s+/);
  if (head !== 'memcheck')
    throw new ProtocolError(`memcheck reply: expected a line starting "memcheck", got "${line.slice(0, 200)}"`);
  const f = new Map<string, string>();
  for (const kv of rest) {
    const i = kv.indexOf('=');
    if (i > 0) f.set(kv.slice(0, i), kv.slice(i + 1));
  }
  const state = f.get('state');
  if (state !== 'ok' && state !== 'corrupt' && state !== 'absent')
    throw new ProtocolError(`memcheck reply: unknown state "${state ?? ''}"`);
  const uptimeMs = num(f, 'uptime_ms', line);
  if (state === 'absent') {
    return {
      state,
      uptimeMs,
      pages: 0,
      pageBytes: 0,
      updatePps: 0,
      verifyPps: 0,
      updates: 0,
      verified: 0,
      passes: 0,
      badPages: 0,
      sinceTickMs: 0,
      maxTickGapMs: 0,
      selftestDone: 0,
      selftestPage: 0,
      line,
    };
  }
  const badPages = num(f, 'bad_pages', line);
  const report: MemcheckReport = {
    state: badPages > 0 ? 'corrupt' : state,
    uptimeMs,
    pages: num(f, 'pages', line),
    pageBytes: num(f, 'page_bytes', line),
    updatePps: num(f, 'update_pps', line),
    verifyPps: num(f, 'verify_pps', line),
    updates: num(f, 'updates', line),
    verified: num(f, 'verified', line),
    passes: num(f, 'passes', line),
    badPages,
    sinceTickMs: Math.max(0, uptimeMs - num(f, 'last_tick_ms', line)),
    maxTickGapMs: num(f, 'max_tick_gap_ms', line),
    selftestDone: num(f, 'selftest_done', line),
    selftestPage: num(f, 'selftest_page', line),
    line,
  };
  if (badPages === 0) return report;
  return { ...report, first: { page: num(f, 'first_page', line), word: num(f, 'first_word', line),
    expected: f.get('expected') ?? '', found: f.get('found') ?? '', atMs: num(f, 'first_at_ms', line) } };
}

/** Method text of a checker's report: what was checked at which rates. */
export function memcheckMethod(r: MemcheckReport): string {
  return `guest memcheck: ${(r.pages * r.pageBytes) / 1048576} MiB pattern, ${r.updatePps} page rewrites/s, ${r.verifyPps} page checks/s`;
}

/**
 * Verdict from the reports taken after a move: `before` is the first answer after the move, `after` an
 * answer at least one full pass later (undefined when none came in time).
 */
export function integrityVerdict(
  before: MemcheckReport | undefined,
  after: MemcheckReport | undefined,
): MemoryIntegrity {
  const last = after ?? before;
  if (last === undefined)
    return { status: 'unknown', detail: 'the guest control port did not answer', method: 'guest memcheck' };
  if (last.state === 'absent')
    return {
      status: 'unchecked',
      detail: 'the guest runs no memory checker (lab-assets/memcheck.c)',
      method: 'guest memcheck',
    };
  const method = memcheckMethod(last);
  if (last.state === 'corrupt' && last.first !== undefined) {
    const f = last.first;
    return {
      status: 'corrupt',
      firstBadPage: f.page,
      method,
      detail: `${last.badPages} bad page(s); first: page ${f.page} word ${f.word} expected ${f.expected} found ${f.found} at guest uptime ${f.atMs} ms`,
    };
  }
  if (after === undefined || before === undefined || after.passes < before.passes + 2) {
    return {
      status: 'unknown',
      method,
      detail: `no full verification pass completed after the move (passes ${before?.passes ?? '?'} → ${after?.passes ?? '?'})`,
    };
  }
  return {
    status: 'ok',
    method,
    detail: `${after.passes - before.passes} full pass(es) after the move, ${after.verified - before.verified} pages checked, 0 bad`,
  };
}
