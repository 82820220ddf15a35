import {
  dirtierStatus, expect, labNs, migrateRecorded, netnsRunner, startDirtier, stopDirtier, test,
  type MigrateOutcome, type MigrationOverrides,
} from '../../src/index.js';

// Migration modes at one dirty rate, hv1 ↔ hv2 on site A's segment (l2): the guest's dirtier
// (lab-assets/dirtier.c, through the reflector's control port) writes LOAD.rateMiBs over LOAD.wssMiB
// while each move runs at BANDWIDTH with MAX_DOWNTIME. The rate is two thirds of the bandwidth, so plain
// precopy needs several passes (each sends what the one before dirtied), auto-converge's trigger (dirtied
// > 50 % of sent over two syncs) fires, and postcopy has a second pass to switch in. Each move must show
// its mode at work and carry the mode and the measured dirty rate in its record.
const LOAD = { rateMiBs: 32, wssMiB: 32 } as const;
const BANDWIDTH = 48;
const MAX_DOWNTIME = 50;

test.describe.configure({ mode: 'serial' });

test.describe('migration modes under a dirtying guest', () => {
  let target: Parameters<typeof startDirtier>[0] | undefined;

  test.beforeEach(async ({ testbed, lab, locate, migrate }) => {
    test.skip(testbed.lab === undefined, 'the dirtier is driven through the emulated lab guest\'s control port');
    void lab;
    const vm = testbed.vms[0];
    const client = testbed.trafficHosts[0];
    if (vm === undefined || client?.netns === undefined || vm.ipv4 === undefined)
      throw new Error('the lab testbed needs vm1 and a netns client');
    target = { runner: netnsRunner(labNs(testbed, client.netns)), address: vm.ipv4.split('/')[0] as string,
      port: vm.controlPort };
    // Same-segment moves between hv1 and hv2: a VM left at site B by an earlier spec comes home first.
    if (!['hv1', 'hv2'].includes((await locate()) ?? vm.home)) {
      const home = await migrate({ to: 'hv1', strategy: 'host-route-static' });
      expect(home.result.verdict, home.record.error).toBe('migrated');
    }
    const s = await startDirtier(target, LOAD, { timeoutMs: 15_000 });
    expect(s.state).toBe('running');
  });

  test.afterEach(async () => {
    if (target !== undefined) await stopDirtier(target, { timeoutMs: 10_000 }).catch(() => undefined);
  });

  /** Moves hv1 ↔ hv2 with `migration` and checks what every mode's record must carry. */
  async function moveWith(migrate: (r: { to: string; strategy: 'l2'; migration: MigrationOverrides }) =>
    Promise<MigrateOutcome>, here: string, migration: MigrationOverrides): Promise<MigrateOutcome> {
    const out = await migrate({ to: here === 'hv2' ? 'hv1' : 'hv2', strategy: 'l2',
      migration: { bandwidthMiBs: BANDWIDTH, maxDowntimeMs: MAX_DOWNTIME, ...migration } });
    expect(out.result.verdict, out.record.error).toBe('migrated');
    expectRecordCarriesMode(out, migration.mode ?? 'precopy');
    return out;
  }

  function expectRecordCarriesMode(out: MigrateOutcome, mode: string): void {
    expect(out.record.params.variant).toMatchObject({ mode, max_downtime_ms: MAX_DOWNTIME });
    expect(out.record.scenario).toContain(`/mode=${mode}`);
    const dirty = out.record.metrics.find((m) => m.name === 'dirty_rate_mibs');
    expect(dirty?.unit).toBe('mibs');
    expect(dirty, 'the record carries dirty_rate_mibs, measured or with why not').toBeDefined();
    if (dirty?.value === null) {
      // QEMU computes its rate only once a bitmap sync period exceeds 1 s; a move whose passes were all
      // shorter leaves 0 ("not computed yet"), recorded as not measured with that reason, never as 0 MiB/s.
      // Seen in a CI run for precopy and postcopy at this load; the dirtier's own rate is checked before.
      expect(`${dirty.method} ${JSON.stringify(dirty)}`).toContain('not computed yet');
      console.log(`dirty_rate_mibs not measured by QEMU in this ${mode} move: ${JSON.stringify(dirty)}`);
    } else {
      // QEMU's rate counts each page once per sync period; the dirtier (plus the memory checker's
      // ~4 MiB/s) is what it should see, within a factor of ~3.
      expect(dirty?.value ?? 0, dirty?.method).toBeGreaterThan(LOAD.rateMiBs / 3);
      expect(dirty?.value ?? Infinity, dirty?.method).toBeLessThan(LOAD.rateMiBs * 3);
    }
    const stats = out.result.attempts.at(-1)?.stats;
    expect(stats?.mode).toBe(mode);
  }

  test('precopy converges in several passes, without throttling or a postcopy switch', async ({ migrate, locate }) => {
    const here = (await locate()) ?? 'hv1';
    const s = await dirtierStatus(target!, { timeoutMs: 5_000 });
    expect(s.achievedMiBs, `the guest keeps the stated rate: ${s.line}`).toBeGreaterThan(LOAD.rateMiBs * 0.7);
    const out = await moveWith(migrate, here, { mode: 'precopy' });
    const stats = out.result.attempts.at(-1)?.stats;
    expect(stats?.memoryIterations ?? 0).toBeGreaterThanOrEqual(3);
    expect(stats?.postcopySwitchIteration).toBeUndefined();
    expect(stats?.maxThrottlePct ?? 0).toBe(0);
  });

  test('auto-converge throttles the vCPUs', async ({ migrate, locate }) => {
    const here = (await locate()) ?? 'hv1';
    const out = await moveWith(migrate, here, { mode: 'auto-converge', autoConvergeInitialPct: 20,
      autoConvergeIncrementPct: 10 });
    const stats = out.result.attempts.at(-1)?.stats;
    expect(out.record.params.variant).toMatchObject({ auto_converge_initial_pct: 20, auto_converge_increment_pct: 10 });
    expect(stats?.maxThrottlePct ?? 0, 'auto_converge_throttle seen in the running job').toBeGreaterThanOrEqual(20);
  });

  test('postcopy switches after the first pass and the guest resumes on the destination', async ({
    locate, testbed, opened,
  }, testInfo) => {
    const here = (await locate()) ?? 'hv1';
    const to = here === 'hv2' ? 'hv1' : 'hv2';
    const migration: MigrationOverrides = { mode: 'postcopy', postcopyAfterIterations: 1, bandwidthMiBs: BANDWIDTH,
      maxDowntimeMs: MAX_DOWNTIME };
    // No fresh-VM retry: a refused postcopy is the hypervisors' configuration, not a silent guest.
    const out = await migrateRecorded(testbed, opened, { to, strategy: 'l2', migration }, testInfo,
      { freshVmRetry: false, enforceVerdicts: false });
    const why = `${out.record.error ?? ''} ${out.result.attempts.at(-1)?.failure?.reason ?? ''}`;
    if (out.result.verdict !== 'migrated' && /userfaultfd/i.test(why)) {
      // QEMU runs unprivileged: postcopy needs vm.unprivileged_userfaultfd=1 or access to /dev/userfaultfd.
      expect(await locate(), 'a refused postcopy leaves the guest where it was').toBe(here);
      test.skip(true, `postcopy refused by the hypervisors: ${why.trim()}`);
    }
    expect(out.result.verdict, why).toBe('migrated');
    expectRecordCarriesMode(out, 'postcopy');
    const stats = out.result.attempts.at(-1)?.stats;
    expect(stats?.postcopySwitchIteration).toBe(2);
    // The source reports SUSPENDED/POSTCOPY once QEMU runs postcopy-active.
    expect(out.result.timeline.some((e) => e.host === here && e.kind === 'suspended'
      && String(e.detail?.['detail'] ?? '') === 'postcopy'), 'source suspended/postcopy').toBe(true);
    expect(await locate()).toBe(to);
  });

  test('multifd moves the guest over its channels and the records name them', async ({ migrate, locate, testbed }) => {
    const here = (await locate()) ?? 'hv1';
    const to = here === 'hv2' ? 'hv1' : 'hv2';
    // The destination QEMU's incoming migration connections (ports 49152-49215), sampled in its namespace.
    const ns = netnsRunner(labNs(testbed, to));
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; sampling && i < 1200; i++) {
        const r = await ns.run(['ss', '-Htn', 'state', 'established'], { timeoutMs: 5_000 });
        // Columns without the state: Recv-Q Send-Q Local:Port Peer:Port.
        const n = r.stdout.split('\n').filter((l) => {
          const port = Number(l.trim().split(/\s+/)[2]?.split(':').pop());
          return port >= 49152 && port <= 49215;
        }).length;
        most = Math.max(most, n);
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    let out: MigrateOutcome;
    try {
      out = await moveWith(migrate, here, { mode: 'multifd', multifdChannels: 4 });
    } finally {
      sampling = false;
      await sampler;
    }
    expect(out.record.params.variant).toMatchObject({ multifd_channels: 4 });
    expect(most, 'the main migration channel plus one connection per multifd channel').toBeGreaterThanOrEqual(4 + 1);
  });
});
