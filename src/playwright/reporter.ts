import type {
  FullConfig, FullResult, Reporter, Suite, TestCase, TestResult,
} from '@playwright/test/reporter';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatOutcome, OUTCOME_FILE, runOutcome, type FinishedTest, type RunOutcome } from './outcome.js';
import { redact } from '../util/redact.js';
import type { HistoryBackend } from '../report/history-backend.js';
import { HISTORY_URL_ENV, isPostgresUrl, openHistory, redactUrl } from '../report/history-open.js';
import { buildReportModel } from '../report/model.js';
import { mergeManifestFacts, type ManifestFacts, type RunManifest, type RunRecord } from '../report/record.js';
import { writeReport, type ReportPaths } from '../report/write.js';
import { decodeAttachment } from './attachments.js';
import { SAMPLES_ENV } from './samples-env.js';
import type { SampleRow } from '../report/render-csv.js';
import { collectControllerManifest } from './manifest.js';
import { defined } from '../model/defined.js';

/**
 * vmmi's Playwright reporter. `onTestEnd` decodes vmmi attachments into records keyed by test id + retry
 * and appends each to the history database at once (a crash later keeps them); `onEnd` builds the
 * ReportModel and writes CSV + HTML + manifest once. Playwright swallows reporter exceptions, so every
 * hook is wrapped: errors are printed and `onEnd` returns `{ status: 'failed' }`.
 *
 * Retries: when Playwright ran a test more than once, each retry's records get `attempt = retry + 1`
 * and `attemptOf = number of runs of that test` (unless the record already counts its own attempts),
 * so every attempt is shown and marked unstable.
 */

export interface VmmiReporterOptions {
  /** Parent folder of the report folders (default `reports`). */
  readonly outputDir?: string;
  /**
   * History store: a SQLite file or a `postgres://` URL (default: env VMMI_HISTORY_URL, else
   * `<outputDir>/history.sqlite`); `null` disables history.
   */
  readonly historyFile?: string | null;
  /** Testbed file whose path and sha256 go into the manifest (default env VMMI_TESTBED). */
  readonly testbedFile?: string;
  readonly title?: string;
  /** Days of history shown in trend charts (default 180). */
  readonly trendDays?: number;
  /** Write samples.csv (one row per probe packet of every migration; default: env VMMI_REPORT_SAMPLES=1). */
  readonly samples?: boolean;
}

/** Options come from a config file: checked once, a TypeError names the option and value. */
function validateOptions(o: VmmiReporterOptions): void {
  const str = (k: keyof VmmiReporterOptions, nullable: boolean): void => {
    const v = o[k];
    if (v === undefined || (nullable && v === null)) return;
    if (typeof v !== 'string' || v === '')
      throw new TypeError(`vmmi reporter option ${k}: expected a path, got ${JSON.stringify(v)}`);
  };
  str('outputDir', false);
  str('historyFile', true);
  str('testbedFile', false);
  str('title', false);
  if (o.samples !== undefined && typeof o.samples !== 'boolean') {
    throw new TypeError(`vmmi reporter option samples: expected true or false, got ${JSON.stringify(o.samples)}`);
  }
  const d = o.trendDays;
  if (d !== undefined && !(typeof d === 'number' && d > 0)) {
    throw new TypeError(`vmmi reporter option trendDays: expected a positive number of days, got ${JSON.stringify(d)}`);
  }
}

/** Playwright retry → attempt numbering, unless the record already counts its own attempts. */
function foldRetry(r: RunRecord, retry: number, runs: number): RunRecord {
  return runs > 1 && r.attemptOf === 1 ? { ...r, attempt: retry + 1, attemptOf: runs } : r;
}

interface Entry { readonly testId: string; readonly retry: number; record: RunRecord }

export default class VmmiReporter implements Reporter {
  private readonly outputDir: string;
  private readonly historyFile: string | null;
  private readonly entries = new Map<string, Entry[]>();
  private readonly facts: ManifestFacts[] = [];
  private readonly samples: SampleRow[] = [];
  private readonly samplesWanted: boolean;
  private readonly errors: string[] = [];
  private readonly runsPerTest = new Map<string, number>();
  private readonly suiteId = `${new Date().toISOString()}-${randomUUID().slice(0, 8)}`;
  private readonly pending: Promise<unknown>[] = [];
  private readonly finished = new Map<string, FinishedTest>();
  private outcome: RunOutcome | null = null;
  /** Opened in onBegin (a PostgreSQL connect is async); appends and onEnd wait for it. */
  private history: Promise<HistoryBackend | null> = Promise.resolve(null);
  private manifest: Promise<RunManifest> | null = null;

  constructor(private readonly options: VmmiReporterOptions = {}) {
    validateOptions(options);
    // the migrate fixture runs in the workers, which inherit this process's environment
    // (VMMI_REPORT_SAMPLES=1 asks for samples where the options cannot be given: `vmmi run`)
    this.samplesWanted = options.samples ?? process.env[SAMPLES_ENV] === '1';
    if (this.samplesWanted) process.env[SAMPLES_ENV] = '1';
    this.outputDir = resolve(options.outputDir ?? process.env.VMMI_REPORT_DIR ?? 'reports');
    const target = options.historyFile === null ? null
      : options.historyFile ?? process.env[HISTORY_URL_ENV] ?? resolve(this.outputDir, 'history.sqlite');
    this.historyFile = target === null || target === '' ? null : isPostgresUrl(target) ? target : resolve(target);
  }

  printsToStdio(): boolean {
    return false;
  }

  onBegin(config: FullConfig, _suite: Suite): void {
    this.guard('onBegin', () => {
      const testbedFile = this.options.testbedFile ?? process.env.VMMI_TESTBED;
      this.manifest = collectControllerManifest({
        startedWall: new Date().toISOString(),
        testbedFile: testbedFile === undefined ? null : resolve(testbedFile),
        runner: {
          playwright: config.version, workers: config.workers, shard: config.shard === null ? null
            : `${config.shard.current}/${config.shard.total}`,
          projects: config.projects.map((p) => p.name).join(','), suite_id: this.suiteId,
        },
      });
      if (this.historyFile !== null) {
        this.history = openHistory(this.historyFile).catch((e: unknown) => {
          this.fail(`onBegin: ${e instanceof Error ? e.message : String(e)}`);
          return null;
        });
      }
    });
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    this.runsPerTest.set(test.id, Math.max(this.runsPerTest.get(test.id) ?? 0, result.retry + 1));
    // the last run of a test decides its outcome (a retry that passed makes it pass)
    this.finished.set(test.id, {
      title: test.titlePath().filter((t) => t !== '').join(' › '), status: result.status,
      annotations: [...(result.annotations ?? []), ...(test.annotations ?? [])],
      ...(result.error?.message === undefined ? {} : { error: stripAnsi(result.error.message) }),
    });
    const decoding = Promise.all(result.attachments.map((a) => decodeAttachment(a).catch((e: unknown) => {
      this.fail(
        `${test
          .titlePath()
          .filter((t) => t !== '')
          .join(' › ')}: ${e instanceof Error ? e.message : String(e)}`,
      );
      return { kind: 'other' as const };
    })));
    this.pending.push(decoding.then((decoded) => this.guardAsync('onTestEnd', async () => {
      const key = `${test.id}#${result.retry}`;
      const appends: Promise<void>[] = [];
      const history = await this.history;
      for (const d of decoded) {
        if (d.kind === 'manifest') this.facts.push(d.facts);
        if (d.kind === 'samples') this.samples.push(...d.rows);
        if (d.kind !== 'run') continue;
        const list = this.entries.get(key) ?? [];
        list.push({ testId: test.id, retry: result.retry, record: d.record });
        this.entries.set(key, list);
        const record = foldRetry(d.record, result.retry, result.retry + 1);
        if (history !== null) appends.push(history.append(record, this.suiteId));
      }
      await Promise.all(appends);
    })));
  }

  onError(error: { message?: string }): void {
    // Global errors are Playwright's to report; the report still gets written.
    void error;
  }

  async onEnd(result: FullResult): Promise<{ status?: FullResult['status'] } | undefined> {
    try {
      await Promise.all(this.pending);
      const records = this.finalRecords();
      let manifest = await (this.manifest ?? collectControllerManifest({ startedWall: new Date().toISOString() }));
      for (const f of this.facts) manifest = mergeManifestFacts(manifest, f);
      manifest = { ...manifest, endedWall: new Date().toISOString(),
        runner: { ...manifest.runner, status: result.status } };
      const sinceMs = Date.now() - (this.options.trendDays ?? 180) * 86_400_000;
      const store = await this.history;
      const history = (await store?.query({ sinceMs })) ?? { records: [], skipped: [] };
      // An unreadable old row must not fail every later nightly run: warn, keep going.
      for (const s of history.skipped) console.error(`vmmi reporter: history row ${s.id} skipped: ${s.error}`);
      await store?.putSuite(this.suiteId, manifest);
      // Retries are only known now: store the final attempt numbering.
      for (const r of records) await store?.append(r, this.suiteId);
      const model = buildReportModel(records, {
        generatedWall: new Date().toISOString(), manifest, history: history.records,
        ...defined({ title: this.options.title }),
      });
      const paths = await writeReport(model, { outDir: this.outputDir, now: new Date(),
        ...(this.samplesWanted ? { samples: this.samples } : {}) });
      this.announce(paths, records.length);
      this.outcome = runOutcome([...this.finished.values()], model.statistics);
      await writeFile(join(this.outputDir, OUTCOME_FILE), `${JSON.stringify(this.outcome, null, 2)}\n`);
      for (const line of formatOutcome(this.outcome)) console.log(redact(`vmmi: ${line}`));
    } catch (e) {
      this.fail(`onEnd: ${e instanceof Error ? e.message : String(e)}`);
    }
    // A statistic threshold fails the run although every test passed: it is judged only now.
    return this.errors.length > 0 || (this.outcome?.statistics.fail ?? 0) > 0 ? { status: 'failed' } : undefined;
  }

  async onExit(): Promise<void> {
    const history = this.history;
    this.history = Promise.resolve(null);
    await this.guardAsync('onExit', async () => (await history)?.close());
  }

  /** Records in display order with Playwright retries folded into attempt numbers. */
  private finalRecords(): RunRecord[] {
    const out: RunRecord[] = [];
    for (const list of this.entries.values()) {
      for (const e of list) {
        out.push(foldRetry(e.record, e.retry, this.runsPerTest.get(e.testId) ?? 1));
      }
    }
    return out;
  }

  private announce(p: ReportPaths, n: number): void {
    console.log(
      `\nvmmi report (${n} migration attempt${n === 1 ? '' : 's'}):\n  HTML     ${p.html}\n  CSV      ${p.runsCsv}\n           ${p.episodesCsv}\n           ${p.timelineCsv}\n  manifest ${p.manifest}${this.historyFile === null ? '' : `\n  history  ${redactUrl(this.historyFile)}`}`,
    );
  }

  private async guardAsync(hook: string, f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
    } catch (e) {
      this.fail(`${hook}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private guard(hook: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.fail(`${hook}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private fail(message: string): void {
    this.errors.push(message);
    console.error(redact(`vmmi reporter: ${message}`));
  }
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}
