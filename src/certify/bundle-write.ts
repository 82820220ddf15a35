/**
 * Writes a certificate bundle: the report (report/: index.html, runs.csv, episodes.csv, timeline.csv,
 * manifest.json, through report/write.ts), verdicts.csv, the exact profile text that was run
 * (profile.yaml), certificate.json (what was certified, at which scale, with which result), then
 * SHA256SUMS over every file, signed with `ssh-keygen -Y sign` (SHA256SUMS.sig).
 */
import { mkdir, rename, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildReportModel } from '../report/model.js';
import type { RunManifest, RunRecord } from '../report/record.js';
import { reportFolderName, writeReport } from '../report/write.js';
import { writeSums } from './bundle.js';
import type { LoadedProfile } from './profile-load.js';
import { profileRef, type Scale } from './profile-types.js';
import { signFile } from './ssh-sign.js';
import { renderVerdictsCsv, type Decision, type VerdictRow } from './verdicts.js';

export interface Certificate {
  readonly schema: 'vmmi.certificate/1';
  readonly profile: string;
  readonly profileSha256: string;
  /** false: a draft profile, not in profiles/PUBLISHED.json. */
  readonly profilePublished: boolean;
  readonly scale: Scale;
  /** `ci`: the CI-sized variant; never a certificate, whatever its result. */
  readonly variant: string;
  readonly testbed: { readonly name: string; readonly file: string | null; readonly sha256: string | null };
  readonly startedWall: string;
  readonly endedWall: string;
  readonly result: Decision['result'];
  readonly counts: Omit<Decision, 'result'>;
  /** True only for the full profile, published, with every row passed conclusively. */
  readonly granted: boolean;
  readonly statement: string;
}

/** What a run certifies, in one sentence for the terminal and certificate.json. */
export function statementOf(c: Pick<Certificate, 'profile' | 'scale' | 'profilePublished' | 'result' | 'counts'>): string {
  const notes = [
    ...(c.counts.failed > 0 ? [`${c.counts.failed} failed`] : []),
    ...(c.counts.inconclusive > 0 ? [`${c.counts.inconclusive} inconclusive`] : []),
    ...(c.counts.notMeasured > 0 ? [`${c.counts.notMeasured} not measured`] : []),
  ].join(', ');
  if (c.scale === 'ci') return `CI variant of ${c.profile}: ${c.result}${notes === '' ? '' : ` (${notes})`}; not a certificate`;
  if (c.result !== 'pass') return `not certified: ${notes}`;
  if (!c.profilePublished) return `passed ${c.profile}, a draft (unpublished) profile: not a certificate`;
  return `certified: ${c.profile}, every threshold passed`;
}

export interface BundleInput {
  readonly outDir: string;
  readonly loaded: LoadedProfile;
  readonly scale: Scale;
  readonly records: readonly RunRecord[];
  readonly manifest: RunManifest;
  readonly rows: readonly VerdictRow[];
  readonly certificate: Certificate;
  readonly signKey: string;
  readonly now: Date;
  readonly signal?: AbortSignal;
}

/** Writes the bundle folder `<outDir>/<name>@<version>[-ci]-<time>/`; returns its path. */
export async function writeBundle(b: BundleInput): Promise<string> {
  const ref = profileRef(b.loaded.profile);
  const dir = join(b.outDir, `${ref}${b.scale === 'ci' ? '-ci' : ''}-${reportFolderName(b.now)}`);
  await mkdir(dir, { recursive: true });
  const title = `${ref}${b.scale === 'ci' ? ' (CI variant, not a certificate)' : ''}: ${b.certificate.statement}`;
  const model = buildReportModel(b.records, { generatedWall: b.now.toISOString(), manifest: b.manifest, title });
  const paths = await writeReport(model, { outDir: join(dir, '.report'), now: b.now });
  await rename(paths.dir, join(dir, 'report'));
  await rmdir(join(dir, '.report')).catch(() => undefined);
  await writeFile(join(dir, 'verdicts.csv'), renderVerdictsCsv(b.rows), 'utf8');
  await writeFile(join(dir, 'profile.yaml'), b.loaded.text, 'utf8');
  await writeFile(join(dir, 'certificate.json'), `${JSON.stringify(b.certificate, null, 2)}\n`, 'utf8');
  await writeSums(dir, b.signal);
  await signFile(join(dir, 'SHA256SUMS'), b.signKey, { ...(b.signal === undefined ? {} : { signal: b.signal }) });
  return dir;
}
