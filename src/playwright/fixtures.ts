/**
 * Playwright fixtures of vmmi: the testbed (option `testbedFile`), the emulated lab brought up when
 * the testbed is one, the opened drivers, and `migrate`, which runs one migration with every observer
 * and records its RunRecords as typed attachments for the reporter. Worker-scoped resources are shared
 * by the specs of one worker: labs and hardware run with one worker.
 */
import { PACKAGE_ROOT } from '../util/layout.js';
import { test as base, type TestInfo } from '@playwright/test';
import { execFileText } from '../exec/spawn.js';
import { openTestbed, progressPrinter, type OpenedTestbed } from '../harness/open.js';
import { readDeviceVersions } from '../harness/versions.js';
import { loadTestbed } from '../inventory/load.js';
import type { Testbed } from '../model/testbed.js';
import { insecureHostKeyConnections } from '../transports/ssh.js';
import { recordManifestFacts, recordRun, recordSamples } from './attachments.js';
import { SAMPLES_ENV } from './samples-env.js';
import { annotateInfrastructure, enforceVerdicts } from './verdicts.js';
import { isVmmiError } from '../errors/vmmi-error.js';
import { EXIT, exitCodeFor } from '../cli/exit-codes.js';
import { testbedThresholds } from '../verdict/threshold.js';
import { sampleRows } from '../harness/samples.js';
import { locateVm, migrateVm, type MigrateOutcome, type MigrateOverrides, type MigrateRequest,
} from '../harness/migrate.js';

export type { MigrateOutcome, MigrateOverrides, MigrateRequest } from '../harness/migrate.js';
export { judge } from '../harness/migrate.js';

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
  /**
   * One migration with every observer, recorded for the reporter; its verdicts fail the test
   * (playwright/verdicts.ts) unless `enforceVerdicts: false` (a spec that expects an ERRORED measurement).
   */
  migrate: (req: MigrateRequest, o?: { readonly enforceVerdicts?: boolean }) => Promise<MigrateOutcome>;
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

/**
 * One migration with every observer on opened drivers (harness/migrate.ts, the use case `vmmi migrate`
 * runs too), recorded for the reporter (every attempt's RunRecords of every family as attachments).
 * The `migrate` fixture is this on the worker's drivers; fault suites call it on fresh or wrapped drivers.
 */
export async function migrateRecorded(tb: Testbed, o: OpenedTestbed, req: MigrateRequest, testInfo: TestInfo,
  overrides: MigrateOverrides = {}): Promise<MigrateOutcome> {
  const out = await migrateVm(tb, o, req, {
    overrides,
    log: (l) => console.log(l),
    step: (title, body) => base.step(title, body),
  }).catch((e: unknown) => {
    annotateInfrastructure(e, testInfo, (x) => isVmmiError(x) && exitCodeFor(x.code) === EXIT.errored);
    throw e;
  });
  for (const r of out.allRecords) await recordRun(testInfo, r);
  if (overrides.enforceVerdicts !== false) {
    enforceVerdicts({ migrated: out.result.verdict === 'migrated', records: [...out.byFamily.values()] }, testInfo);
  }
  // set by the reporter's `samples: true` in the runner process; workers inherit it
  if (process.env[SAMPLES_ENV] === '1') await recordSamples(testInfo, sampleRows(out.runId, out.result));
  return out;
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
      // Interrupted runs are recovered by every migration (harness/migrate.ts) before it moves anything.
      await use(o);
    } finally {
      await o.close();
    }
  }, { scope: 'worker', timeout: 120_000 }],
  hypervisors: async ({ opened }, use) => use(opened.hypervisors),
  switches: async ({ opened }, use) => use(opened.switchDriver),
  probes: async ({ opened }, use) => use(opened.probes),
  locate: async ({ opened, testbed }, use) => {
    await use((vm) => locateVm(testbed, opened, vm ?? testbed.vms[0]?.name ?? ''));
  },
  migrate: async ({ testbed, opened }, use, testInfo) => {
    await recordManifestFacts(testInfo, {
      testbed: { file: testbed.file ?? null, sha256: testbed.sha256 ?? null },
      // Every device through its management interface, in parallel, each within 10 s; failures are data.
      devices: await readDeviceVersions(testbed, {
        hypervisors: opened.hypervisors,
        switchDriver: opened.switchDriver,
        runnerOf: (host, io) => opened.access.runnerOf(host, io),
        timeoutMs: 10_000,
      }),
      migrationParameters: {
        bandwidthMiBs: testbed.migration.bandwidthMiBs,
        maxDowntimeMs: testbed.migration.maxDowntimeMs,
        strategy: testbed.migration.strategy,
        live: true,
        p2p: true,
        timeoutMs: testbed.migration.timeoutMs,
        // A request may override the mode per move; its scenario variant then names it.
        mode: testbed.migration.mode ?? 'precopy',
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
        ...(!opened.access.clockSyncKnown
          ? []
          : testbed.hypervisors.map((h) => ({
              host: h.name,
              source: 'shared-host-clock',
              offsetMs: 0,
              uncertaintyMs: 0,
            }))),
      ],
      insecureHostKeys: insecureHostKeyConnections(),
      thresholds: testbedThresholds(testbed.thresholds),
    });
    await use((req, o) => migrateRecorded(testbed, opened, req, testInfo,
      o?.enforceVerdicts === false ? { enforceVerdicts: false } : {}));
  },
});

export { expect } from '@playwright/test';
