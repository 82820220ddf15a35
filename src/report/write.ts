import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ReportError } from '../errors/classes.js';
import type { ReportModel } from './model.js';
import {
  renderEpisodesCsv, renderRunsCsv, renderSamplesCsv, renderStatisticsCsv, renderTimelineCsv, renderVerdictsCsv,
  type SampleRow,
} from './render-csv.js';
import { renderHtml } from './render-html.js';

/**
 * Writes one report folder `<outDir>/<timestamp>/` with index.html, runs.csv, episodes.csv,
 * timeline.csv and manifest.json. Everything is rendered before the first byte is written, and each
 * file is written to a temporary name and renamed, so a folder never holds half a file.
 */

export interface ReportPaths {
  readonly dir: string;
  readonly html: string;
  readonly runsCsv: string;
  readonly episodesCsv: string;
  /** verdicts.csv: every threshold judged, per attempt and per scenario over repetitions. */
  readonly verdictsCsv: string;
  /** statistics.csv: every metric's median, p95, min, max and intervals per scenario. */
  readonly statisticsCsv: string;
  readonly timelineCsv: string;
  readonly manifest: string;
  /** samples.csv, when probe samples were given. */
  readonly samplesCsv?: string;
}

export interface WriteReportOptions {
  /** Parent folder, e.g. `reports`. Created when missing. */
  readonly outDir: string;
  /** Time that names the folder (passed in: the caller owns the clock). */
  readonly now: Date;
  /** Probe packets for samples.csv (written only when given). */
  readonly samples?: readonly SampleRow[];
}

/** Folder name for a time: `2026-11-25T06-00-00Z` (sortable, valid on every file system). */
export function reportFolderName(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
}

async function makeUniqueDir(parent: string, name: string): Promise<string> {
  await mkdir(parent, { recursive: true });
  for (let i = 1; i < 1000; i++) {
    const dir = join(parent, i === 1 ? name : `${name}-${i}`);
    try {
      await mkdir(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error(`no free folder name for ${name} in ${parent}`);
}

/** gzip (level 9) + base64: what the page's DecompressionStream('gzip') reads back. */
export function gzipBase64(text: string): string {
  return gzipSync(Buffer.from(text, 'utf8'), { level: 9 }).toString('base64');
}

export async function writeReport(model: ReportModel, o: WriteReportOptions): Promise<ReportPaths> {
  const manifest = model.manifest ?? { schema: 'vmmi.run-manifest/1', note: 'no manifest recorded' };
  const contents = {
    html: renderHtml(model, { compress: gzipBase64 }),
    runsCsv: renderRunsCsv(model.runs),
    episodesCsv: renderEpisodesCsv(model.runs),
    timelineCsv: renderTimelineCsv(model.runs),
    verdictsCsv: renderVerdictsCsv(model.runs, model.statistics),
    statisticsCsv: renderStatisticsCsv(model.runs),
    manifest: `${JSON.stringify(manifest, null, 2)}\n`,
    samplesCsv: o.samples === undefined ? undefined : renderSamplesCsv(o.samples),
  };
  let dir = o.outDir;
  try {
    dir = await makeUniqueDir(o.outDir, reportFolderName(o.now));
    const put = async (name: string, content: string): Promise<string> => {
      const path = join(dir, name);
      await writeFile(`${path}.tmp`, content, 'utf8');
      await rename(`${path}.tmp`, path);
      return path;
    };
    return {
      dir,
      html: await put('index.html', contents.html),
      runsCsv: await put('runs.csv', contents.runsCsv),
      episodesCsv: await put('episodes.csv', contents.episodesCsv),
      timelineCsv: await put('timeline.csv', contents.timelineCsv),
      verdictsCsv: await put('verdicts.csv', contents.verdictsCsv),
      statisticsCsv: await put('statistics.csv', contents.statisticsCsv),
      manifest: await put('manifest.json', contents.manifest),
      ...(contents.samplesCsv === undefined ? {} : { samplesCsv: await put('samples.csv', contents.samplesCsv) }),
    };
  } catch (e) {
    throw new ReportError(`cannot write report: ${e instanceof Error ? e.message : String(e)}`, {
      device: dir, operation: 'write report', cause: e, hint: 'check free space and permissions of the output folder',
    });
  }
}
