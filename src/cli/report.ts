import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors/classes.js';
import { HistoryStore } from '../report/history.js';
import { buildReportModel } from '../report/model.js';
import { writeReport } from '../report/write.js';
import { formatHelp, parseCommand } from './args.js';
import type { Command } from './command.js';
import { REPORT } from './specs.js';


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
  const { values, help } = parseCommand(args, REPORT);
  if (help) return 'help';
  if (values.history === '' || values.out === '') throw new UsageError(`--history and --out need a value`);
  return {
    sinceMs: values.since === undefined ? undefined : parseSince(values.since, nowMs),
    history: values.history ?? REPORT.options.history.default, out: values.out ?? REPORT.options.out.default,
  };
}

/** Regenerates CSV + HTML from the history database, e.g. for the last week of nightly runs. */
export const reportCommand: Command = {
  summary: REPORT.summary,
  usage: REPORT.usage,
  run(args) {
    const now = new Date();
    const parsed = parseReportArgs(args, now.getTime());
    if (parsed === 'help') {
      console.log(formatHelp(REPORT));
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
