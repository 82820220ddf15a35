import type { TestInfo } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { ReportError } from '../errors/classes.js';
import { parseManifestFacts, parseRunRecord } from '../report/record-parse.js';
import type { ManifestFacts, RunRecord } from '../report/record.js';
import type { SampleRow } from '../report/render-csv.js';

/**
 * Measurements travel from specs to the reporter as typed Playwright attachments. This module owns the
 * content types and both directions: specs call `recordRun` (validates first, so a malformed record
 * fails the spec that built it, not the report at the end), the reporter calls `decodeAttachment`.
 */

/** One RunRecord (a migration attempt) as JSON. */
export const MEASUREMENT_CONTENT_TYPE = 'application/vnd.vmmi.measurement+json';
/** ManifestFacts (device versions, parameters, clocks) as JSON; merged into the run manifest. */
export const MANIFEST_CONTENT_TYPE = 'application/vnd.vmmi.manifest+json';

/** Probe packets of a run (samples.csv rows) as JSON; attached only when the reporter asks for samples. */
export const SAMPLES_CONTENT_TYPE = 'application/vnd.vmmi.samples+json';

/** Attaches a run's probe packets (one samples.csv row each). */
export async function recordSamples(testInfo: TestInfo, rows: readonly SampleRow[]): Promise<void> {
  await testInfo.attach('vmmi-samples', { body: Buffer.from(JSON.stringify(rows), 'utf8'), contentType: SAMPLES_CONTENT_TYPE });
}

function parseSampleRows(json: unknown): SampleRow[] {
  if (!Array.isArray(json)) throw new ReportError('samples: expected an array of rows');
  return json.map((r: unknown, i) => {
    const o = r as Partial<Record<keyof SampleRow, unknown>>;
    const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    if (typeof o !== 'object' || o === null || typeof o.runId !== 'string' || typeof o.flow !== 'string'
      || !num(o.attempt) || !num(o.seq) || !num(o.txMs) || !(o.rxMs === undefined || num(o.rxMs)) || !num(o.dupCount)) {
      throw new ReportError(`samples[${i}]: expected { runId, attempt, flow, seq, txMs, rxMs?, dupCount }`);
    }
    return { runId: o.runId, attempt: o.attempt, flow: o.flow, seq: o.seq, txMs: o.txMs, rxMs: o.rxMs,
      dupCount: o.dupCount };
  });
}

/** Attaches one migration attempt's record to the running test. Throws ReportError when malformed. */
export async function recordRun(testInfo: TestInfo, record: RunRecord): Promise<void> {
  const checked = parseRunRecord(record);
  await testInfo.attach(`vmmi-run ${checked.runId} attempt ${checked.attempt}`, {
    body: Buffer.from(JSON.stringify(checked), 'utf8'),
    contentType: MEASUREMENT_CONTENT_TYPE,
  });
}

/** Architecture-guide name for `recordRun`. */
export const recordMeasurement = recordRun;

/** Attaches facts for the run manifest (device versions read by a fixture, parameters, clock sources). */
export async function recordManifestFacts(testInfo: TestInfo, facts: ManifestFacts): Promise<void> {
  const checked = parseManifestFacts(facts);
  await testInfo.attach('vmmi-manifest-facts', {
    body: Buffer.from(JSON.stringify(checked), 'utf8'),
    contentType: MANIFEST_CONTENT_TYPE,
  });
}

/** The attachment fields the reporter sees (`TestResult.attachments[i]`). */
export interface AttachmentLike {
  readonly name: string;
  readonly contentType: string;
  readonly body?: Buffer;
  readonly path?: string;
}

export type Decoded =
  | { readonly kind: 'run'; readonly record: RunRecord }
  | { readonly kind: 'manifest'; readonly facts: ManifestFacts }
  | { readonly kind: 'samples'; readonly rows: readonly SampleRow[] }
  | { readonly kind: 'other' };

/** Decodes a vmmi attachment; other attachments come back as `{ kind: 'other' }`. Throws ReportError. */
export async function decodeAttachment(a: AttachmentLike): Promise<Decoded> {
  if (a.contentType !== MEASUREMENT_CONTENT_TYPE && a.contentType !== MANIFEST_CONTENT_TYPE
    && a.contentType !== SAMPLES_CONTENT_TYPE) return { kind: 'other' };
  let text: string;
  try {
    if (a.body !== undefined) text = a.body.toString('utf8');
    else if (a.path !== undefined) text = await readFile(a.path, 'utf8');
    else throw new Error('attachment has neither body nor path');
  } catch (e) {
    throw new ReportError(`cannot read attachment "${a.name}": ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ReportError(`attachment "${a.name}" is not JSON: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  if (a.contentType === SAMPLES_CONTENT_TYPE) return { kind: 'samples', rows: parseSampleRows(json) };
  return a.contentType === MEASUREMENT_CONTENT_TYPE
    ? { kind: 'run', record: parseRunRecord(json) }
    : { kind: 'manifest', facts: parseManifestFacts(json) };
}
