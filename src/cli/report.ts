import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors/classes.js';
import type { HistoryBackend } from '../report/history-backend.js';
import { mergeHistories, type HistoryPart, type MergedHistory } from '../report/history-merge.js';
import { HISTORY_URL_ENV, isPostgresUrl, openHistory, redactUrl } from '../report/history-open.js';
import { findNightShifts, formatNightShift } from '../report/history-shifts.js';
import { buildReportModel } from '../report/model.js';
import { writeReport } from '../report/write.js';
import { formatHelp, parseCommand } from './args.js';
import type { Command } from './command.js';
import { EXIT } from './exit-codes.js';
import { REPORT } from './specs.js';

export interface ReportArgs {
  readonly sinceMs: number | undefined;
  /** History stores to merge: files (resolved) and postgres:// URLs, in the order given. */
  readonly history: readonly string[];
  readonly out: string;
  readonly failOnChangePoint: boolean;
  /** Change points between nights (default) or between suite runs. */
  readonly per: 'night' | 'run';
  /** Points on each side of a change point (trend.ts window, default 5). */
  readonly window: number | undefined;
}

/** The default store when no --history is given. */
export const DEFAULT_HISTORY = 'reports/history.sqlite';

/** `--since`: an ISO 8601 time or a relative age `<n>d` / `<n>h` before `nowMs`. */
export function parseSince(value: string, nowMs: number): number {
  const rel = /^(\d+(?:\.\d+)?)([dh])$/.exec(value);
  if (rel !== null) return nowMs - Number(rel[1]) * (rel[2] === 'd' ? 86_400_000 : 3_600_000);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`--since "${value}" is neither an ISO time nor an age like 7d or 12h`);
  return t;
}

/** `env` supplies VMMI_HISTORY_URL, the store used when no --history is given. */
export function parseReportArgs(args: readonly string[], nowMs: number,
  env: Readonly<Record<string, string | undefined>> = {}): ReportArgs | 'help' {
  const { values, help } = parseCommand(args, REPORT);
  if (help) return 'help';
  const given = values.history ?? [];
  if (given.some((h) => h === '') || values.out === '') throw new UsageError(`--history and --out need a value`);
  const fallback = env[HISTORY_URL_ENV];
  const history = given.length > 0 ? given : [fallback !== undefined && fallback !== '' ? fallback : DEFAULT_HISTORY];
  return {
    sinceMs: values.since === undefined ? undefined : parseSince(values.since, nowMs),
    history: history.map((h) => (isPostgresUrl(h) ? h : resolve(h))),
    out: values.out ?? REPORT.options.out.default,
    failOnChangePoint: values['fail-on-change-point'] === true,
    per: parsePer(values.per),
    window: values.window === undefined ? undefined : parseWindow(values.window),
  };
}

function parsePer(v: string | undefined): 'night' | 'run' {
  if (v === undefined || v === 'night' || v === 'run') return v ?? 'night';
  throw new UsageError(`--per "${v}": takes night (one point per night) or run (one point per suite run)`);
}

function parseWindow(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 2 || Number(v) > 100) {
    throw new UsageError(`--window "${v}": takes the points on each side of a change point, 2 to 100 (default 5)`);
  }
  return Number(v);
}

/** Regenerates CSV + HTML from one history store or several merged (shards, labs), e.g. for the last week. */
export const reportCommand: Command = {
  summary: REPORT.summary,
  usage: REPORT.usage,
  run(args) {
    const now = new Date();
    const parsed = parseReportArgs(args, now.getTime(), process.env);
    if (parsed === 'help') {
      console.log(formatHelp(REPORT));
      return Promise.resolve(EXIT.ok);
    }
    for (const h of parsed.history) {
      if (!isPostgresUrl(h) && !existsSync(h)) {
        throw new UsageError(`history file ${h} does not exist; run a suite first or pass --history FILE`);
      }
    }
    return regenerate(parsed, now);
  },
};

/** Reads every store read-only, each closed even when a later one fails. */
export async function readHistories(targets: readonly string[], sinceMs: number | undefined,
  signal?: AbortSignal): Promise<MergedHistory> {
  const parts: HistoryPart[] = [];
  for (const target of targets) {
    const store: HistoryBackend = await openHistory(target, { readonly: true, ...(signal ? { signal } : {}) });
    try {
      parts.push({ source: store.target, rows: await store.query(sinceMs === undefined ? {} : { sinceMs }),
        suites: await store.suites(sinceMs) });
    } finally {
      await store.close();
    }
  }
  return mergeHistories(parts);
}

async function regenerate(a: ReportArgs, now: Date): Promise<number> {
  const merged = await readHistories(a.history, a.sinceMs);
  const sources = a.history.map(redactUrl).join(' + ');
  for (const s of merged.skipped) console.error(`vmmi report: ${s.source}: history row ${s.id} skipped: ${s.error}`);
  const since = a.sinceMs === undefined ? 'all history' : `since ${new Date(a.sinceMs).toISOString()}`;
  const model = buildReportModel(merged.records, {
    generatedWall: now.toISOString(), manifest: merged.suites[0]?.manifest ?? null, history: [],
    title: `vmmi migration report · ${since}`,
  });
  const paths = await writeReport(model, { outDir: resolve(a.out), now });
  if (merged.records.length === 0) console.error(`vmmi report: no migration attempts in ${sources} (${since})`);
  const dup = merged.duplicates === 0 ? '' : `, ${merged.duplicates} duplicate(s) counted once`;
  console.log(
    `vmmi report: ${merged.records.length} attempt(s) from ${sources} (${since}${dup})\n  HTML ${paths.html}\n  CSV  ${paths.runsCsv}\n       ${paths.episodesCsv}\n       ${paths.timelineCsv}`,
  );
  let code: number = merged.skipped.length > 0 ? EXIT.failed : EXIT.ok;
  if (a.failOnChangePoint) {
    const shifts = findNightShifts(merged.records, { per: a.per, suiteOf: merged.suiteOf,
      ...(a.window === undefined ? {} : { window: a.window }) });
    for (const s of shifts) console.log(`change point: ${formatNightShift(s)}`);
    if (shifts.length === 0) console.log(`vmmi report: no change point in ${sources} (${since})`);
    else code = EXIT.failed;
  }
  return code;
}
