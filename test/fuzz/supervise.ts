/**
 * Runs a corpus in child processes and turns hangs and process crashes into reported violations
 * instead of a stuck or dead test worker. The child announces each input index before running it; when
 * no announcement arrives for `hangMs` the child is killed (by its own pid) and the input at the last
 * announced index is reported as a hang; when the child dies without its summary line, that input is
 * reported as a crash. Either way a fresh child resumes at the next index, so one bad input never hides
 * the rest of the corpus. A piped child (not execa) because it needs the live output stream of a
 * long-running process and a kill decided from that stream.
 */
import { fileURLToPath } from 'node:url';
import { spawnPiped } from '../../src/exec/spawn.js';
import { corpora, type CorpusName } from './corpora.js';
import type { RangeSummary, Slowest, Violation } from './harness.js';

export interface CorpusReport {
  readonly corpus: string;
  readonly seed: number;
  readonly count: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly codes: Readonly<Record<string, number>>;
  readonly slowest: Slowest | undefined;
  /** Wall time including child start-up, ms. */
  readonly totalMs: number;
  /** Time spent inside the loop (sum over children), ms. */
  readonly loopMs: number;
  readonly violations: readonly Violation[];
  readonly children: number;
}

export interface SuperviseOptions {
  /** No progress for this long = hang (default 5000 ms; above the per-input bound and GC pauses). */
  readonly hangMs?: number;
  /** Per-input bound in ms (default 200). */
  readonly perInputMs?: number;
  /** Give up after this many restarts (default 25): a corpus crashing more often is reported as such. */
  readonly maxChildren?: number;
}

interface ChildOutcome {
  readonly summary: RangeSummary | undefined;
  readonly last: number;
  readonly violations: Violation[];
  readonly ended: 'done' | 'hang' | 'crash';
  readonly detail: string;
}

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

function runChild(name: string, from: number, to: number, o: Required<SuperviseOptions>): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const argv = [process.execPath, '--import', 'tsx', CHILD, name, String(from), String(to), String(o.perInputMs)];
    const child = spawnPiped(argv, { stdin: 'ignore', keepLocale: true });
    const violations: Violation[] = [];
    let summary: RangeSummary | undefined;
    let last = from - 1;
    let pending = '';
    let stderr = '';
    let hung = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        hung = true;
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      }, o.hangMs);
    };
    // Start-up (tsx compile) is not an input: allow it a generous, separate bound.
    timer = setTimeout(() => {
      hung = true;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, Math.max(o.hangMs, 30_000));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const l = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (l.startsWith('i ')) {
          last = Number(l.slice(2));
          arm();
        } else if (l.startsWith('v ')) violations.push(JSON.parse(l.slice(2)) as Violation);
        else if (l.startsWith('d ')) summary = JSON.parse(l.slice(2)) as RangeSummary;
        else if (l.startsWith('e ')) stderr += `${l.slice(2)}\n`;
        nl = pending.indexOf('\n');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr = (stderr + s).slice(-4000);
    });
    child.on('close', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      const ended = summary !== undefined ? 'done' : hung ? 'hang' : 'crash';
      resolve({
        summary,
        last,
        violations,
        ended,
        detail: `exit ${code ?? signal}; stderr tail:\n${stderr.slice(-1500)}`,
      });
    });
  });
}

/** Runs inputs [0, count) of the named corpus and gathers every violation, hang and crash. */
export async function superviseCorpus(
  name: CorpusName,
  count: number,
  options: SuperviseOptions = {},
): Promise<CorpusReport> {
  const o: Required<SuperviseOptions> = { hangMs: 5000, perInputMs: 200, maxChildren: 25, ...options };
  const corpus = await corpora[name]();
  const t0 = performance.now();
  const violations: Violation[] = [];
  const codes: Record<string, number> = {};
  let accepted = 0;
  let rejected = 0;
  let loopMs = 0;
  let slowest: Slowest | undefined;
  let from = 0;
  let children = 0;
  while (from < count) {
    if (children >= o.maxChildren) {
      violations.push({
        corpus: name,
        seed: corpus.seed,
        index: from,
        kind: 'crash',
        label: '(runner)',
        preview: '',
        detail: `gave up after ${children} child processes; inputs ${from}..${count - 1} not run`,
      });
      break;
    }
    children++;
    const r = await runChild(name, from, count, o);
    violations.push(...r.violations);
    if (r.summary !== undefined) {
      accepted += r.summary.accepted;
      rejected += r.summary.rejected;
      loopMs += r.summary.elapsedMs;
      for (const [k, n] of Object.entries(r.summary.codes)) codes[k] = (codes[k] ?? 0) + n;
      if (r.summary.slowest !== undefined && (slowest === undefined || r.summary.slowest.ms > slowest.ms))
        slowest = r.summary.slowest;
      break;
    }
    // Hang or crash: blame the input announced last (or the start-up, when none was announced).
    const index = Math.max(r.last, from);
    const input = corpus.make(index);
    violations.push({
      corpus: name,
      seed: corpus.seed,
      index,
      kind: r.ended === 'hang' ? 'hang' : 'crash',
      label: input.label,
      preview: input.preview(),
      detail: r.ended === 'hang' ? `no progress for ${o.hangMs} ms` : r.detail,
    });
    from = index + 1;
  }
  return {
    corpus: name,
    seed: corpus.seed,
    count,
    accepted,
    rejected,
    codes,
    slowest,
    totalMs: performance.now() - t0,
    loopMs,
    violations,
    children,
  };
}

/** One-paragraph summary for test output. */
export function formatReport(r: CorpusReport): string {
  const slowText =
    r.slowest === undefined ? 'n/a' : `${r.slowest.ms.toFixed(2)} ms (#${r.slowest.index} ${r.slowest.label})`;
  const codes = Object.entries(r.codes).map(([k, n]) => `${k}=${n}`).join(' ');
  const head = `corpus ${r.corpus} (seed 0x${r.seed.toString(16)}): ${r.count} inputs, ${r.accepted} accepted, ` +
    `${r.rejected} rejected [${codes}], slowest ${slowText}, loop ${(r.loopMs / 1000).toFixed(1)} s, total ` +
    `${(r.totalMs / 1000).toFixed(1)} s, ${r.children} process(es), ${r.violations.length} violation(s)`;
  // Every non-timing violation is listed; timing ones (noisy on a loaded machine) up to 10.
  const hard = r.violations.filter((v) => v.kind !== 'slow');
  const slow = r.violations.filter((v) => v.kind === 'slow');
  const shown = [...hard, ...slow.slice(0, 10)];
  const vs = shown.map((v) =>
    `  #${v.index} ${v.kind} [${v.label}] ${v.detail.split('\n').slice(0, 6).join('\n    ')}\n    input: ${v.preview}`);
  const more = r.violations.length - shown.length;
  return [head, ...vs, ...(more > 0 ? [`  … ${more} more slow input(s)`] : [])].join('\n');
}
