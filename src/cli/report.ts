import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors/classes.js';
import { HistoryStore } from '../report/history.js';
import { buildReportModel } from '../report/model.js';
import { writeReport } from '../report/write.js';
import type { Command } from './command.js';

const USAGE = 'vmmi report [--since ISO|7d|12h] [--history FILE] [--out DIR]';

export interface ReportArgs {
  readonly sinceMs: number | undefined;
  readonly history: string;
  readonly out: string;
}

/** `--since`: an ISO 8601 time or a relative age `<n>d` / `<n>h` before `nowMs`. */
export function parseSince(value: string, nowMs: number): number {
  const rel = /^(\d+(?:\.\d+)?)([dh])$/.exec(value);
  if (rel !== null) return nowMs - Number(rel[1]) * (rel[2] === 'd' ? 86_400_000 : 3_600_000);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`--since "${value}" is neither an ISO time nor an age like 7d or 12h`);
  return t;
}

export function parseReportArgs(args: readonly string[], nowMs: number): ReportArgs | 'help' {
  let sinceMs: number | undefined;
  let history = 'reports/history.sqlite';
  let out = 'reports';
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--help' || a === '-h') return 'help';
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag !== '--since' && flag !== '--history' && flag !== '--out') {
      throw new UsageError(`unknown option "${a}"; usage: ${USAGE}`);
    }
    const v = inline ?? args[++i];
    if (v === undefined || v === '') throw new UsageError(`${flag} needs a value; usage: ${USAGE}`);
    if (flag === '--since') sinceMs = parseSince(v, nowMs);
    else if (flag === '--history') history = v;
    else out = v;
  }
  return { sinceMs, history, out };
}

/** Regenerates CSV + HTML from the history database, e.g. for the last week of nightly runs. */
export const reportCommand: Command = {
  summary: 'regenerate CSV and HTML reports from the run history',
  usage: USAGE,
  run(args) {
    const now = new Date();
    const parsed = parseReportArgs(args, now.getTime());
    if (parsed === 'help') {
      console.log(
        `usage: ${USAGE}\n\n  --since    only attempts started at/after an ISO time or within an age (7d, 12h)\n  --history  SQLite history file (default reports/history.sqlite)\n  --out      parent folder of the report folder (default reports)`,
      );
      return Promise.resolve(0);
    }
    const historyFile = resolve(parsed.history);
    if (!existsSync(historyFile)) {
      throw new UsageError(`history file ${historyFile} does not exist; run a suite first or pass --history FILE`);
    }
    return regenerate(historyFile, parsed, now);
  },
};

async function regenerate(historyFile: string, a: ReportArgs, now: Date): Promise<number> {
  const store = HistoryStore.open(historyFile);
  try {
    const q = store.query(a.sinceMs === undefined ? {} : { sinceMs: a.sinceMs });
    for (const s of q.skipped) console.error(`vmmi report: history row ${s.id} skipped: ${s.error}`);
    const manifest = store.suites(a.sinceMs)[0]?.manifest ?? null;
    const since = a.sinceMs === undefined ? 'all history' : `since ${new Date(a.sinceMs).toISOString()}`;
    const model = buildReportModel(q.records, {
      generatedWall: now.toISOString(), manifest, history: [],
      title: `vmmi migration report · ${since}`,
    });
    const paths = await writeReport(model, { outDir: resolve(a.out), now });
    if (q.records.length === 0) console.error(`vmmi report: no migration attempts in ${historyFile} (${since})`);
    console.log(
      `vmmi report: ${q.records.length} attempt(s) from ${historyFile} (${since})\n  HTML ${paths.html}\n  CSV  ${paths.runsCsv}\n       ${paths.episodesCsv}\n       ${paths.timelineCsv}`,
    );
    return q.skipped.length > 0 ? 1 : 0;
  } finally {
    store.close();
  }
}
