/**
 * Playwright fixtures of vmmi: the testbed (option `testbedFile`), the emulated lab brought up when
 * the testbed is one, the opened drivers, and `migrate`, which runs one migration with every observer
 * and records its RunRecords as typed attachments for the reporter. Worker-scoped resources are shared
 * by the specs of one worker: labs and hardware run with one worker.
 */
import { PACKAGE_ROOT } from '../util/layout.js';
import { test as base, type TestInfo } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { execFileText } from '../exec/spawn.js';
import { fileJournal } from '../harness/journal-file.js';
import { openTestbed, progressPrinter, type OpenedTestbed } from '../harness/open.js';
import { formatRecovery, recoverRuns } from '../harness/recover.js';
import { toRunRecords } from '../harness/run-record.js';
import { readDeviceVersions } from '../harness/versions.js';
import { loadTestbed } from '../inventory/load.js';
import { runMigration, type MigrationResult, type RunMigrationOptions } from '../migration/run.js';
import type { MigrationStrategy, Testbed } from '../model/testbed.js';
import { metricOf, type RunRecord, type ScenarioParams } from '../report/model.js';
import { insecureHostKeyConnections } from '../transports/ssh.js';
import { recordManifestFacts, recordRun } from './attachments.js';
import { defined } from '../model/defined.js';


export interface MigrateRequest {
  readonly to: string;
  /** Default: the testbed's first VM. */
  readonly vm?: string;
  /** Default: wherever the VM runs now. */
  readonly from?: string;
  /** Default: the testbed's migration strategy. */
  readonly strategy?: MigrationStrategy;
  /**
   * The family whose record is judged and returned as `record` (default 4). The move itself always
   * covers every family the VM has: a VM is never left half-moved, and each family gets its record.
   */
  readonly family?: 4 | 6;
  /** Traffic hosts that probe this move (default: the testbed's hosts with probeByDefault). */
  readonly trafficHosts?: readonly string[];
  /** Parameters that distinguish the scenario (`wan_delay_ms: 30`); they become part of its name. */
  readonly variant?: Readonly<Record<string, string | number | boolean>>;
}

export interface MigrateOutcome {
  readonly result: MigrationResult;
  readonly records: readonly RunRecord[];
  /** The last attempt's record of the requested family (what thresholds are judged on). */
  readonly record: RunRecord;
  /** The last attempt's record of every family the run measured (both when the VM has both). */
  readonly byFamily: ReadonlyMap<4 | 6, RunRecord>;
}

export interface LabState {
  /** True when the testbed is the emulated lab and `vmmi lab up` ran. */
  readonly emulated: boolean;
  /** Output of `vmmi lab up` (progress lines, health gate). */
  readonly log: string;
}

interface WorkerFixtures {
  testbedFile: string;
  testbed: Testbed;
  lab: LabState;
  opened: OpenedTestbed;
}

interface TestFixtures {
  /** Opened hypervisor drivers by name (libvirt-rpc or virsh, as the testbed says). */
  hypervisors: OpenedTestbed['hypervisors'];
  /** Opens (once per worker) the switch driver of a device by name. */
  switches: OpenedTestbed['switchDriver'];
  /** The UDP probe session the migrations use (flow measurements travel in each attempt's result). */
  probes: OpenedTestbed['probes'];
  migrate: (req: MigrateRequest) => Promise<MigrateOutcome>;
  /** Where `vm` runs now (undefined: on no hypervisor). */
  locate: (vm?: string) => Promise<string | undefined>;
}

/**
 * Runs `vmmi <args>` as a child process (the lab's composition root lives in the CLI). The child works
 * in this process's directory, so a relative testbed path means the same file to both (the suite's
 * project, which is not vmmi's own directory when vmmi is an installed package).
 */
export async function vmmiCli(args: readonly string[], timeoutMs: number): Promise<string> {
  const r = await execFileText([process.execPath, `${PACKAGE_ROOT}/bin/vmmi.js`, ...args],
    { cwd: process.cwd(), keepLocale: true, timeoutMs, maxBuffer: 16 << 20 });
  return r.stdout + r.stderr;
}

/** Pass when the VM migrated within the testbed's thresholds; errored health overrides it in reports. */
export function judge(tb: Testbed, r: MigrationResult, rec: RunRecord | undefined, strategy: string): 'pass' | 'fail' {
  if (r.verdict !== 'migrated' || rec === undefined) return 'fail';
  const v = (n: Parameters<typeof metricOf>[1]): number | null | undefined => metricOf(rec, n)?.value;
  const outage = v('loss_derived_ms');
  if (outage !== null && outage !== undefined && outage > tb.thresholds.maxOutageMs) return 'fail';
  const reconv = v('reconvergence_ms');
  if (reconv !== null && reconv !== undefined && reconv > tb.thresholds.maxReconvergenceMs) return 'fail';
  const step = v('rtt_step_ms');
  if (strategy !== 'tunnel' && step !== null && step !== undefined && step > tb.thresholds.maxRttStepMs) return 'fail';
  return 'pass';
}

function scenarioParams(tb: Testbed, from: string, to: string, strategy: string, family: 4 | 6,
  variant: MigrateRequest['variant']): ScenarioParams {
  const site = (h: string): string | undefined => tb.hypervisors.find((x) => x.name === h)?.site;
  return {
    topology: site(from) === site(to) ? 'same-subnet' : 'cross-subnet', strategy,
    addressFamily: family === 4 ? 'ipv4' : 'ipv6', ...defined({ variant }),
  };
}

async function locateVm(o: OpenedTestbed, vm: string): Promise<string | undefined> {
  for (const [host, d] of o.hypervisors) {
    const s = await d.state(vm, { timeoutMs: 10_000 }).catch(() => undefined);
    if (s?.state === 'running' || s?.state === 'paused') return host;
  }
  return undefined;
}

/**
 * The infrastructure retry of the emulated lab: a guest that stopped answering (a TCG guest
 * occasionally soft-locks or panics after a move) is destroyed and undefined wherever it is, and
 * `vmmi lab up --place` boots a fresh one at the failed attempt's source: the attempt's rollback
 * restored the network that serves the VM there, which need not be its home.
 */
async function freshLabVm(
  tb: Testbed,
  o: OpenedTestbed,
  vm: string,
  source: string,
): Promise<{ vm: Testbed['vms'][number]; from: string } | undefined> {
  const spec = tb.vms.find((v) => v.name === vm);
  if (spec === undefined || tb.file === undefined) return undefined;
  for (const d of o.hypervisors.values()) {
    const s = await d.state(vm, { timeoutMs: 10_000 }).catch(() => undefined);
    if (s === undefined) continue;
    if (s.state !== 'shutoff') await d.destroy(vm, { timeoutMs: 30_000 }).catch(() => undefined);
    await d.undefine(vm, { timeoutMs: 30_000 }).catch(() => undefined);
  }
  const up = ['lab', 'up', '--testbed', tb.file, '--place', `${vm}=${source}`];
  try {
    await vmmiCli(up, 300_000);
  } catch {
    // The health gate can miss a daemon still settling after the failed attempt: converge once more.
    await new Promise((r) => setTimeout(r, 5000));
    await vmmiCli(up, 300_000);
  }
  return { vm: spec, from: source };
}

/** What a fault or soak suite changes about one migration: wrapped drivers, extra options, no infra retry. */
export interface MigrateOverrides {
  readonly drivers?: OpenedTestbed['drivers'];
  readonly options?: Partial<RunMigrationOptions>;
  /** Default true in the emulated lab: a silent guest is retried once on a fresh VM. */
  readonly freshVmRetry?: boolean;
}

/**
 * One migration with every observer on opened drivers, recorded for the reporter (RunRecords as
 * attachments). The `migrate` fixture is this on the worker's drivers; fault suites call it on fresh
 * or wrapped drivers.
 */
export async function migrateRecorded(tb: Testbed, o: OpenedTestbed, req: MigrateRequest, testInfo: TestInfo,
  overrides: MigrateOverrides = {}): Promise<MigrateOutcome> {
  return runOne(tb, o, req, testInfo, overrides);
}

async function runOne(
  tb: Testbed,
  o: OpenedTestbed,
  req: MigrateRequest,
  testInfo: TestInfo,
  ov: MigrateOverrides = {},
): Promise<MigrateOutcome> {
  const vm = req.vm ?? tb.vms[0]?.name;
  if (vm === undefined) throw new Error('the testbed has no VM');
  const from = req.from ?? (await locateVm(o, vm)) ?? tb.vms.find((v) => v.name === vm)?.home ?? '';
  const strategy = req.strategy ?? tb.migration.strategy;
  const family = req.family ?? 4;
  const spec = tb.vms.find((v) => v.name === vm);
  const other: 4 | 6 = family === 4 ? 6 : 4;
  const families: (4 | 6)[] = [family, ...((other === 4 ? spec?.ipv4 : spec?.ipv6) === undefined ? [] : [other])];
  const startedWall = new Date().toISOString();
  const result = await base.step(`migrate ${vm} ${from} → ${req.to} (${strategy}, IPv${families.join('+IPv')})`, () =>
    runMigration(tb, { vm, to: req.to, from, strategy, families }, ov.drivers ?? o.drivers, {
      ...o.options,
      journal: fileJournal(),
      runId: randomUUID(),
      ...defined({ trafficHosts: req.trafficHosts }),
      ...(tb.lab === undefined || ov.freshVmRetry === false
        ? {}
        : { freshVm: (failed) => freshLabVm(tb, o, vm, failed.source) }),
      ...ov.options,
    }),
  );
  const byFamily = new Map<4 | 6, RunRecord>();
  let mine: RunRecord[] = [];
  for (const fam of families) {
    const params = scenarioParams(tb, from, req.to, strategy, fam, req.variant);
    let records: RunRecord[] = toRunRecords(result, {
      runId: randomUUID(),
      params,
      vm,
      startedWall,
      verdict: () => 'pass',
    });
    const last = records[records.length - 1];
    const verdict = judge(tb, result, last, strategy);
    records = records.map((r, i) => (i === records.length - 1 && r.verdict === 'pass' ? { ...r, verdict } : r));
    for (const r of records) await recordRun(testInfo, r);
    byFamily.set(fam, records[records.length - 1] as RunRecord);
    if (fam === family) mine = records;
  }
  const record = mine[mine.length - 1] as RunRecord;
  return { result, records: mine, record, byFamily };
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  testbedFile: [process.env.VMMI_TESTBED ?? 'testbeds/local.yaml', { option: true, scope: 'worker' }],
  testbed: [async ({ testbedFile }, use) => use(await loadTestbed(testbedFile)), { scope: 'worker' }],
  lab: [async ({ testbed, testbedFile }, use) => {
    if (testbed.lab === undefined) return use({ emulated: false, log: '' });
    let log: string;
    try {
      log = await vmmiCli(['lab', 'up', '--testbed', testbedFile], 600_000);
    } catch (e) {
      // A lab left unhealthy by an earlier failure (a guest stranded without routes, a dead daemon) is
      // rebuilt from nothing rather than failing every later spec of the worker.
      log = `lab up failed (${(e as Error).message.split('\n')[1] ?? ''}); rebuilding\n`;
      log += await vmmiCli(['lab', 'doctor', '--testbed', testbedFile], 300_000).catch((x: Error) => x.message);
      log += await vmmiCli(['lab', 'up', '--testbed', testbedFile], 600_000);
    }
    await use({ emulated: true, log });
  }, { scope: 'worker', timeout: 660_000 }],
  opened: [async ({ testbed, lab }, use) => {
    void lab;
    // Live progress on the terminal of `vmmi run` (the list reporter prints test lines to stdout).
    const o = await openTestbed(
      testbed,
      undefined,
      process.env.VMMI_PROGRESS === '0' ? {} : { onProgress: progressPrinter() },
    );
    try {
      // A run interrupted by a killed controller is finished before this worker migrates anything.
      const recovered = await recoverRuns(testbed, o.drivers, { log: (l) => console.log(l) });
      if (recovered.length > 0) console.log(formatRecovery(recovered));
      await use(o);
    } finally {
      await o.close();
    }
  }, { scope: 'worker', timeout: 120_000 }],
  hypervisors: async ({ opened }, use) => use(opened.hypervisors),
  switches: async ({ opened }, use) => use(opened.switchDriver),
  probes: async ({ opened }, use) => use(opened.probes),
  locate: async ({ opened, testbed }, use) => {
    await use((vm) => locateVm(opened, vm ?? testbed.vms[0]?.name ?? ''));
  },
  migrate: async ({ testbed, opened }, use, testInfo) => {
    await recordManifestFacts(testInfo, {
      testbed: { file: testbed.file ?? null, sha256: testbed.sha256 ?? null },
      devices: await readDeviceVersions(testbed, opened.hypervisors),
      migrationParameters: {
        bandwidthMiBs: testbed.migration.bandwidthMiBs,
        maxDowntimeMs: testbed.migration.maxDowntimeMs,
        strategy: testbed.migration.strategy,
        live: true,
        p2p: true,
        timeoutMs: testbed.migration.timeoutMs,
      },
      probeParameters: {
        ratePps: testbed.probe.ratePps,
        baselineMs: testbed.probe.baselineMs,
        drainMs: testbed.probe.drainMs,
        payloadBytes: testbed.probe.payloadBytes,
        transport: 'udp',
        reflector: 'guest udprefl (echo)',
      },
      clocks: [
        { host: 'controller', source: 'controller-monotonic', offsetMs: 0, uncertaintyMs: 0 },
        ...(testbed.lab === undefined
          ? []
          : testbed.hypervisors.map((h) => ({
              host: h.name,
              source: 'shared-host-clock',
              offsetMs: 0,
              uncertaintyMs: 0,
            }))),
      ],
      insecureHostKeys: insecureHostKeyConnections(),
    });
    await use((req) => runOne(testbed, opened, req, testInfo));
  },
});

export { expect } from '@playwright/test';
