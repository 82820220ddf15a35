import { access, constants } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { verifyBundle } from '../certify/bundle-verify.js';
import { statementOf, writeBundle, type Certificate } from '../certify/bundle-write.js';
import { loadProfile } from '../certify/profile-load.js';
import { atScale, profileRef, type Profile, type Scale } from '../certify/profile-types.js';
import { missingRequirements } from '../certify/requirements.js';
import { runProfile, type CertifyPorts } from '../certify/run.js';
import { decide, profileThresholds, verdictRows, type VerdictRow } from '../certify/verdicts.js';
import { PrecheckError, UsageError } from '../errors/classes.js';
import { labKnobs, plantLabAddressHolder, setLabWan } from '../harness/lab-control.js';
import { openTestbed, progressPrinter } from '../harness/open.js';
import { locateVm, migrateVm } from '../harness/migrate.js';
import { loadTestbed } from '../inventory/load.js';
import type { Testbed } from '../model/testbed.js';
import type { RunManifest, RunRecord } from '../report/record.js';
import { CONTROLLER_CLOCK } from '../util/stamp.js';
import { parseCommand, resolveTestbed } from './args.js';
import type { Command } from './command.js';
import { EXIT } from './exit-codes.js';
import { showHelp } from './help.js';
import type { TestbedOpener } from './migrate.js';
import { CERTIFY, CERTIFY_VERIFY } from './specs.js';
import { packageVersion } from './version.js';

/** The testbed as the profile probes it: its rate and baseline replace the testbed's defaults. */
const withProbe = (tb: Testbed, p: Profile): Testbed =>
  ({ ...tb, probe: { ...tb.probe, ratePps: p.probe.ratePps, baselineMs: p.probe.baselineMs } });

async function readable(file: string, what: string): Promise<string> {
  const path = resolve(file);
  await access(path, constants.R_OK).catch((e: unknown) => {
    throw new UsageError(`${what} ${file} cannot be read: ${(e as Error).message}`);
  });
  return path;
}

function manifestOf(tb: Testbed, p: Profile, run: { scale: Scale; sha256: string; startedWall: string;
  endedWall: string; records: readonly RunRecord[] }): RunManifest {
  return {
    schema: 'vmmi.run-manifest/1',
    vmmi: { version: packageVersion(), gitCommit: null, gitDirty: null },
    testbed: { file: tb.file ?? null, sha256: tb.sha256 ?? null },
    devices: [],
    migrationParameters: { bandwidthMiBs: tb.migration.bandwidthMiBs, maxDowntimeMs: tb.migration.maxDowntimeMs,
      timeoutMs: tb.migration.timeoutMs },
    probeParameters: { method: p.probe.method, ratePps: p.probe.ratePps, baselineMs: p.probe.baselineMs },
    clocks: [{ host: 'controller', source: CONTROLLER_CLOCK, offsetMs: 0, uncertaintyMs: null }],
    insecureHostKeys: [],
    controller: { node: process.version, platform: `${process.platform}-${process.arch}`, hostname: hostname() },
    runner: { command: 'vmmi certify', profile: profileRef(p), profileSha256: run.sha256, scale: run.scale,
      variant: run.scale === 'ci' ? 'CI variant: not a certificate' : 'full profile' },
    startedWall: run.startedWall,
    endedWall: run.endedWall,
    thresholds: profileThresholds(p, run.records),
  };
}

/** One line per row that did not pass; the inconclusive ones say so by name. */
function printRows(rows: readonly VerdictRow[]): void {
  for (const r of rows) {
    const tag = r.outcome === 'pass' ? 'pass' : r.outcome === 'fail' ? 'FAIL' : r.outcome.toUpperCase();
    console.log(`  ${tag.padEnd(13)} ${r.threshold} [${r.profileScenario}] ${r.message}`);
  }
}

async function verify(args: readonly string[]): Promise<number> {
  const { values, positionals, help } = parseCommand(args, CERTIFY_VERIFY);
  if (help) return showHelp(CERTIFY_VERIFY, true);
  const [bundle] = positionals;
  const signers = values['allowed-signers'];
  if (bundle === undefined || signers === undefined) return showHelp(CERTIFY_VERIFY, false);
  const v = await verifyBundle(resolve(bundle), await readable(signers, '--allowed-signers'),
    { ...(values.principal === undefined ? {} : { principal: values.principal }) });
  for (const l of v.lines) console.log(l);
  const n = v.files?.checked ?? 0;
  console.log(v.ok ? `${bundle}: intact, ${n} file(s) checked, signature good` : `${bundle}: NOT intact`);
  return v.ok ? EXIT.ok : EXIT.failed;
}

interface RunArgs { profile: string; signKey: string; testbed: string; out: string; scale: Scale }

function runArgs(args: readonly string[]): RunArgs | number {
  const { values, help } = parseCommand(args, CERTIFY);
  if (help) return showHelp(CERTIFY, true);
  if (values.profile === undefined || values['sign-key'] === undefined) {
    throw new UsageError('--profile NAME@VERSION and --sign-key KEY are required', { hint: `usage: ${CERTIFY.usage}` });
  }
  const scale = values.scale ?? 'full';
  if (scale !== 'ci' && scale !== 'full') throw new UsageError(`--scale "${scale}": the only variant is ci`);
  return { profile: values.profile, signKey: values['sign-key'], testbed: resolveTestbed(values.testbed).path,
    out: resolve(values.out ?? CERTIFY.options.out.default), scale };
}

/**
 * `vmmi certify`: checks the testbed offers what the profile requires (refusing before anything
 * moves), runs every scenario through migrateVm, judges the profile's thresholds and writes the signed
 * bundle. Exit 0 only when every row passed conclusively; 1 otherwise (the terminal names each).
 */
export function createCertifyCommand(openTestbed: TestbedOpener): Command {
  return {
    summary: CERTIFY.summary,
    usage: CERTIFY.usage,
    async run(args) {
      if (args[0] === 'verify') return verify(args.slice(1));
      const a = runArgs(args);
      if (typeof a === 'number') return a;
      const loaded = await loadProfile(a.profile);
      const profile = atScale(loaded.profile, a.scale);
      const tb = withProbe(await loadTestbed(a.testbed), profile);
      const missing = missingRequirements(tb, profile);
      if (missing.length > 0) {
        throw new PrecheckError(`testbed "${tb.name}" does not offer what ${a.profile} requires (nothing was moved):\n`
          + missing.map((m) => `  - ${m}`).join('\n'), { hint: 'run the profile on a testbed that offers them' });
      }
      const signKey = await readable(a.signKey, '--sign-key');
      const ac = new AbortController();
      const onSigint = (): void => {
        console.error('vmmi certify: interrupt: aborting the current migration (it rolls back)');
        ac.abort(new Error('SIGINT'));
      };
      process.once('SIGINT', onSigint);
      const startedWall = new Date().toISOString();
      console.error(`vmmi certify: ${profileRef(profile)}${a.scale === 'ci' ? ' (CI variant)' : ''} on ${tb.name}`);
      const opened = await openTestbed(tb, ac.signal);
      let run;
      try {
        const ports: CertifyPorts = {
          migrate: (req) => migrateVm(tb, opened, req, { signal: ac.signal, log: (l) => console.error(l) }),
          locate: (vm) => locateVm(tb, opened, vm),
          setWanDelay: async (delayMs) => {
            if (labKnobs(tb).wanImpairment) await setLabWan(tb, { delayMs }, { signal: ac.signal, timeoutMs: 30_000 });
          },
          plantAddressHolder: (move) => plantLabAddressHolder(tb, move.vm, move.away),
          log: (l) => console.error(l),
        };
        run = await runProfile(tb, profile, ports);
      } finally {
        process.removeListener('SIGINT', onSigint);
        await opened.close();
      }
      const rows = verdictRows(profile, run);
      const decision = decide(rows);
      const { result, ...counts } = decision;
      const head = { profile: profileRef(profile), scale: a.scale, profilePublished: loaded.published, result, counts };
      const certificate: Certificate = {
        schema: 'vmmi.certificate/1', profile: head.profile, profileSha256: loaded.sha256,
        profilePublished: loaded.published, scale: a.scale,
        variant: a.scale === 'ci' ? 'ci: CI-sized variant, not a certificate' : 'full',
        testbed: { name: tb.name, file: tb.file ?? null, sha256: tb.sha256 ?? null },
        startedWall, endedWall: new Date().toISOString(), result, counts,
        granted: a.scale === 'full' && loaded.published && result === 'pass', statement: statementOf(head),
      };
      const manifest = manifestOf(tb, profile, { scale: a.scale, sha256: loaded.sha256, startedWall,
        endedWall: certificate.endedWall, records: run.records });
      const dir = await writeBundle({ outDir: a.out, loaded, scale: a.scale, records: run.records, manifest, rows,
        certificate, signKey, now: new Date(), signal: ac.signal });
      printRows(rows);
      console.log(certificate.statement);
      console.log(`bundle: ${dir}`);
      return result === 'pass' ? EXIT.ok : EXIT.failed;
    },
  };
}

/** The registry's `vmmi certify`: drivers opened by the harness, migration progress on stderr. */
export const certifyCommand = createCertifyCommand((tb, signal) =>
  openTestbed(tb, signal, { onProgress: progressPrinter() }));
