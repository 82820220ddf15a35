import { expect, test } from '@playwright/test';
import { IpConflictError } from './errors.js';
import { deviceConfigs, fakeWorld, worldWith, type FakeWorld } from '../../test/fakes/migration-world.js';
import { labTestbed } from './fixtures/lab-testbed.js';
import { runMigration, type RunMigrationOptions } from './run.js';
import { formatTimeline } from './timeline.js';
import type { TimelineEvent } from './types.js';
import { stamp } from '../util/stamp.js';
import type { IoOptions } from '../util/abort.js';

const tb = labTestbed();
const fast: RunMigrationOptions = { verify: { timeoutMs: 300, intervalMs: 20 }, holdMs: 0 };

function world(scenario?: Parameters<typeof fakeWorld>[1]): FakeWorld {
  return worldWith(tb, 'vm1', 'hv1', scenario);
}

const configs = deviceConfigs;

test('success: host-route-static hv1 → hv3, switchover keyed to dst RESUMED, full observations', async () => {
  const w = world();
  const r = await runMigration(
    tb,
    { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] },
    w.drivers,
    fast,
  );
  expect(r.verdict, formatTimeline(r.timeline)).toBe('migrated');
  expect(w.cluster.where('vm1')).toEqual(['hv3']);
  expect(r.health.health).toBe('ok');
  expect(r.attempts).toHaveLength(1);
  const kinds = r.timeline.map((e) => `${e.kind}@${e.host}`);
  const at = (k: string): number => kinds.indexOf(k);
  expect(at('resumed@hv3')).toBeGreaterThan(at('suspended@hv1'));
  expect(at('switchover-begin@controller')).toBeGreaterThan(at('resumed@hv3'));
  expect(at('migrate-returned@hv1')).toBeGreaterThan(at('switchover-begin@controller'));
  expect(at('route-add@torB')).toBeLessThan(at('route-add@torA'));
  expect(r.attempts[0]?.trigger).toBe('dst-resumed');
  expect(r.conformance?.ok, r.conformance?.violations.map((v) => v.message).join('\n')).toBe(true);
  const metric = (n: string): number | null | undefined => r.metrics.find((m) => m.name === n)?.value;
  expect(metric('hypervisor_downtime_ms')).toBe(21);
  expect(metric('event_gap_ms')).toBeGreaterThan(5);
  expect(metric('reconvergence_ms')).toBeGreaterThanOrEqual(0);
  expect(metric('memory_transferred_bytes')).toBe(90e6);
  expect(r.metrics.every((m) => m.method.length > 0 && m.clock.length > 0)).toBe(true);
  expect(r.decomposition?.components.map((c) => c.name)).toEqual(['blackout', 'l3-route']);
  expect(r.decomposition?.residualMs).toBeDefined();
  expect((await configs(w))['torA']).toContain('198.18.10.100/32 via <coreA>');
});

test('device rejects its config mid-prepare: committed part rolled back, no residue, VM where it was', async () => {
  const w = world();
  const before = await configs(w);
  // tunnel prepares torB (decap) then torA (encap); torA rejects.
  const torA = w.devices.get('torA');
  if (torA) torA.rejectOn = (op) => op.op === 'tunnel-start';
  const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'tunnel', families: [4] }, w.drivers, fast);
  expect(r.verdict).toBe('rolled-back');
  const a = r.attempts[0];
  expect(a?.failure).toMatchObject({ step: 'prepare-network', kind: 'network' });
  expect(a?.failure?.reason).toContain('torA');
  expect(a?.residue).toEqual([]);
  expect(a?.vmOn).toBe('source');
  expect(await configs(w)).toEqual(before);
  expect(w.cluster.where('vm1')).toEqual(['hv1']);
  expect(w.cluster.calls.filter((c) => c.startsWith('migrate'))).toEqual([]);
  expect(r.timeline.some((e) => e.kind === 'rollback-commit' && e.host === 'torB')).toBe(true);
});

test('destination dies mid-migration: prepare undone, VM on exactly one host (the source)', async () => {
  const w = world({ outcome: 'dst-dies' });
  const before = await configs(w);
  const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'evpn-l2' }, w.drivers, fast);
  expect(r.verdict).toBe('rolled-back');
  expect(r.attempts[0]?.failure).toMatchObject({ step: 'migrate', kind: 'migration' });
  expect(r.attempts[0]?.failure?.reason).toContain('connection to destination lost');
  expect(w.cluster.where('vm1')).toEqual(['hv1']);
  expect(r.attempts[0]?.vmOn).toBe('source');
  expect(await configs(w)).toEqual(before);
  expect(r.conformance).toBeUndefined();
});

test('abort (SIGINT) during migrate: job aborted, network rolled back, VM stays on the source', async () => {
  const w = world({ outcome: 'complete', suspendAtMs: 400, resumeAtMs: 450, completeAtMs: 500 });
  const ac = new AbortController();
  const before = await configs(w);
  const p = runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'tunnel', families: [4, 6] }, w.drivers,
    { ...fast, signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  const r = await p;
  expect(r.verdict).toBe('rolled-back');
  expect(r.attempts[0]?.failure?.kind).toBe('aborted');
  expect(w.cluster.calls).toContain('abort vm1 on hv1');
  expect(w.cluster.where('vm1')).toEqual(['hv1']);
  expect(await configs(w)).toEqual(before);
});

test('conflict at precheck: refused, the error names the address and who holds it, nothing touched', async () => {
  const w = world();
  w.holders.set('198.18.10.100', { address: '198.18.10.100', mac: '02:00:c6:12:0b:99', name: 'rogue-host' });
  const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static' }, w.drivers, fast);
  expect(r.verdict).toBe('refused');
  const err = r.attempts[0]?.error;
  expect(err).toBeInstanceOf(IpConflictError);
  expect((err as IpConflictError).code).toBe('IP_CONFLICT');
  expect(err?.message).toContain('address 198.18.10.100 is held by rogue-host 02:00:c6:12:0b:99 (arp-probe)');
  expect(r.attempts[0]?.failure?.conflicts).toHaveLength(1);
  expect(w.cluster.calls).toEqual([]);
  expect(w.routes).toEqual([]);
});

test('the VM answering with its own MAC on a shared segment is not a conflict; testbed records are', async () => {
  const w = world();
  w.holders.set('198.18.10.100', { address: '198.18.10.100', mac: '52:54:00:12:0A:64' });
  const ok = await runMigration(tb, { vm: 'vm1', to: 'hv2', strategy: 'l2', families: [4] }, w.drivers, fast);
  expect(ok.verdict).toBe('migrated');
  const clash = labTestbed({
    vms: [...tb.vms, { ...tb.vms[0]!, name: 'vm2', home: 'hv3', subnet: 'netB', ipv4: '198.18.10.100/24' }],
  });
  const w2 = fakeWorld(clash);
  w2.cluster.place('vm1', 'hv1');
  const r = await runMigration(
    clash,
    { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] },
    w2.drivers,
    fast,
  );
  expect(r.verdict).toBe('refused');
  expect(r.attempts[0]?.error?.message).toContain('198.18.10.100 is held by VM vm2 (testbed)');
});

test('guest silent after the move: infrastructure failure, retried once on a fresh VM, both attempts reported', async () => {
  const w = world();
  w.guestAnswers = (vm) => vm.name !== 'vm1';
  const fresh = { ...tb.vms[0]!, name: 'vm1b', ipv4: '198.18.10.101/24', ipv6: undefined, mac: '52:54:00:12:0a:65' };
  const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] }, w.drivers, {
    ...fast,
    freshVm: (failed) => {
      expect(failed.health.infrastructure).toBe(true);
      w.cluster.place('vm1b', 'hv1');
      return Promise.resolve({ vm: fresh, from: 'hv1' });
    },
  });
  expect(r.attempts.map((a) => [a.vm, a.outcome, a.health.health])).toEqual([
    ['vm1', 'rolled-back', 'errored'],
    ['vm1b', 'migrated', 'ok'],
  ]);
  expect(r.attempts[0]?.failure?.kind).toBe('verify');
  expect(r.unstable).toBe(true);
  expect(r.verdict).toBe('migrated');
});

/** Makes the first `n` probe stops report a flow broken before the trigger (a starved controller's symptom). */
function starveFirst(w: FakeWorld, n: number): FakeWorld {
  const stop = w.drivers.probes.stop;
  let calls = 0;
  return { ...w, drivers: {
    ...w.drivers,
    probes: {
      ...w.drivers.probes,
      stop: async (io: IoOptions) => {
        const flows = await stop(io);
        return calls++ < n ? flows.map((f) => ({ ...f, failed: `${f.spec.name}: 6 packet(s) lost before the trigger` }))
          : flows;
      },
    },
  } };
}

test('starved controller: named as infrastructure, the VM moved back and the move re-measured; all attempts kept',
  async () => {
    const w = starveFirst(world(), 1);
    const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] },
      w.drivers, { ...fast, hostLoad: () => ({ load1: 9.1, cores: 2 }) });
    expect(r.attempts.map((a) => [a.purpose, a.source, a.destination, a.outcome, a.health.health])).toEqual([
      ['measure', 'hv1', 'hv3', 'migrated', 'errored'],
      ['reposition', 'hv3', 'hv1', 'migrated', 'ok'],
      ['measure', 'hv1', 'hv3', 'migrated', 'ok'],
    ]);
    expect(r.attempts[0]?.health.starved).toBe(
      'controller overloaded: load 9.1 on 2 cores, sender paused 1 ms (infrastructure: re-measured)',
    );
    expect(r.attempts[0]?.health.reasons[0]).toMatch(/^controller overloaded/);
    expect(r.verdict).toBe('migrated');
    expect(r.unstable).toBe(true);
    expect(w.cluster.where('vm1')).toEqual(['hv3']);
  });

test('starved on every attempt: re-measured a bounded number of times, then ERRORED with every attempt kept',
  async () => {
    const w = starveFirst(world(), 100);
    const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] },
      w.drivers, { ...fast, hostLoad: () => ({ load1: 6, cores: 2 }), remeasureStarved: 2 });
    expect(r.attempts.map((a) => a.purpose)).toEqual(['measure', 'reposition', 'measure', 'reposition', 'measure']);
    expect(r.health.health).toBe('errored');
    expect(r.health.starved).toMatch(/load 6\.0 on 2 cores/);
  });

test('loss before the trigger on an idle host with a steady sender is not starvation: ERRORED, not re-measured',
  async () => {
    const w = starveFirst(world(), 100);
    const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] },
      w.drivers, { ...fast, hostLoad: () => ({ load1: 0.4, cores: 2 }) });
    expect(r.attempts).toHaveLength(1);
    expect(r.health.health).toBe('errored');
    expect(r.health.starved).toBeUndefined();
  });

test('guest memory corrupt after the move: a migration-correctness failure, never retried as infrastructure', async () => {
  const w = world();
  let asked = 0;
  const drivers = {
    ...w.drivers,
    guest: () => ({
      answers: () => Promise.resolve(true),
      memoryIntegrity: () => {
        asked++;
        return Promise.resolve({
          status: 'corrupt' as const,
          firstBadPage: 77,
          method: 'guest memcheck: test',
          detail: '1 bad page(s); first: page 77 word 256 expected 0x1 found 0x2 at guest uptime 5 ms',
        });
      },
    }),
  };
  let retried = false;
  const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] }, drivers, {
    ...fast,
    freshVm: () => {
      retried = true;
      return Promise.resolve(undefined);
    },
  });
  expect(asked).toBe(1);
  expect(retried).toBe(false);
  expect(r.attempts).toHaveLength(1);
  const a = r.attempts[0];
  expect(a?.failure?.kind).toBe('verify');
  expect(a?.failure?.reason).toContain("vm1's memory is corrupt after the move (1 bad page(s); first: page 77");
  expect(a?.memoryIntegrity).toMatchObject({ status: 'corrupt', firstBadPage: 77 });
  expect(r.health.infrastructure).toBe(false);
  expect(r.timeline.some((e) => e.kind === 'memory-corrupt' && e.detail?.page === 77)).toBe(true);
});

test('memory integrity: ok is recorded; a VM without a control port is unchecked, not ok', async () => {
  const w = world();
  const drivers = {
    ...w.drivers,
    guest: () => ({
      answers: () => Promise.resolve(true),
      memoryIntegrity: () =>
        Promise.resolve({
          status: 'ok' as const,
          method: 'guest memcheck: test',
          detail: '2 full pass(es) after the move',
        }),
    }),
  };
  const ok = await runMigration(
    tb,
    { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] },
    drivers,
    fast,
  );
  expect(ok.verdict).toBe('migrated');
  expect(ok.attempts[0]?.memoryIntegrity?.status).toBe('ok');
  const w2 = world();
  const plain = await runMigration(
    tb,
    { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] },
    w2.drivers,
    fast,
  );
  expect(plain.verdict).toBe('migrated');
  expect(plain.attempts[0]?.memoryIntegrity).toMatchObject({
    status: 'unchecked',
    detail: 'the testbed gives the VM no control port',
  });
});

test('guest reset on the destination right after the move: verify fails although it answers, infrastructure failure', async () => {
  const w = world({ outcome: 'complete', rebootDstAtMs: 40 }); // fires right after the resume (same instant, later timer)
  const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] }, w.drivers, {
    ...fast,
    verify: { timeoutMs: 300, intervalMs: 20 },
  });
  const a = r.attempts[0];
  expect(a?.failure?.kind).toBe('verify');
  expect(a?.failure?.reason).toContain('was reset on hv3');
  expect(r.health).toMatchObject({ health: 'errored', infrastructure: true });
  expect(r.health.reasons.join('; ')).toContain('guest was reset on hv3 during the run');
  expect(r.timeline.some((e) => e.kind === 'reboot' && e.host === 'hv3')).toBe(true);
  expect(w.cluster.where('vm1')).toHaveLength(1);
});

test('a migration that never resumes hits the migrate deadline: aborted and rolled back', async () => {
  const w = world({ outcome: 'hang' });
  const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'evpn-l2' }, w.drivers,
    { ...fast, deadlinesMs: { migrate: 150 } });
  expect(r.verdict).toBe('rolled-back');
  expect(r.attempts[0]?.failure).toMatchObject({ step: 'migrate', kind: 'timeout' });
  expect(w.cluster.calls).toContain('abort vm1 on hv1');
  expect(w.cluster.where('vm1')).toEqual(['hv1']);
});

test('evpn-l2: the VM MAC relearned at the TOR becomes the L2-announce term; other MACs are ignored', async () => {
  const w = world();
  w.guestAnswers = () => {
    if (w.l2.length === 0) {
      const fdb = (address: string): TimelineEvent => ({
        t: stamp(),
        source: 'control-plane',
        host: 'torB',
        kind: 'fdb-replace',
        detail: { address },
      });
      w.l2.push(fdb('02:00:00:00:00:01'), fdb('52:54:00:12:0a:64'));
    }
    return true;
  };
  const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'evpn-l2', families: [4] }, w.drivers, fast);
  expect(r.verdict).toBe('migrated');
  expect(r.timeline.filter((e) => e.kind === 'fdb-replace').map((e) => e.detail?.['address'])).toEqual([
    '52:54:00:12:0a:64',
  ]);
  expect(r.decomposition?.components.map((c) => c.name)).toContain('l2-announce');
  expect((await configs(w))['torB']).toContain('EVPN attach VNI 100');
});

test('abort before anything was applied: rolled back as aborted, nothing touched', async () => {
  const w = world();
  const ac = new AbortController();
  ac.abort();
  const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'tunnel' }, w.drivers, {
    ...fast,
    signal: ac.signal,
  });
  expect(r.verdict).toBe('rolled-back');
  expect(r.attempts[0]?.failure?.kind).toBe('aborted');
  expect(r.attempts[0]?.error?.message).toContain('aborted');
  expect(w.cluster.calls).toEqual([]);
  expect(w.routes).toEqual([]);
});

test('precheck refuses when the VM is already active on the destination', async () => {
  const w = world();
  w.cluster.place('vm1', 'hv3');
  const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static' }, w.drivers, fast);
  expect(r.verdict).toBe('refused');
  expect(r.attempts[0]?.error?.message).toContain('VM "vm1" is already running on hv3');
  expect((r.attempts[0]?.error as { code?: string }).code).toBe('PRECHECK');
  expect(w.cluster.calls).toEqual([]);
});

test('a router refuses its switchover after the VM resumed on the destination: the VM is migrated back, the network is as before', async () => {
  const w = world();
  const before = await configs(w);
  const torA = w.devices.get('torA');
  if (torA) torA.rejectOn = () => true;
  const r = await runMigration(
    tb,
    { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] },
    w.drivers,
    fast,
  );
  expect(r.verdict).toBe('rolled-back');
  expect(r.attempts[0]?.failure).toMatchObject({ step: 'switchover', kind: 'network' });
  expect(r.timeline.some((e) => e.kind === 'migrate-back-call' && e.host === 'hv3')).toBe(true);
  expect(w.cluster.where('vm1')).toEqual(['hv1']);
  expect(r.attempts[0]?.vmOn).toBe('source');
  expect(await configs(w)).toEqual(before);
});

test('between ordered transactions the executor waits for the routes to show at the router; a router that does not is marked', async () => {
  const w = world();
  const calls: string[] = [];
  const deviceCommits: string[] = [];
  const base = w.drivers.device.bind(w.drivers);
  const drivers = {
    ...w.drivers,
    device: (n: string) => {
      const d = base(n);
      const apply = d.applyTransaction.bind(d);
      // A proxy keeps the fake device's class methods; only its commits are noted.
      return new Proxy(d, {
        get: (t, k, rcv) =>
          k === 'applyTransaction'
            ? (...a: Parameters<typeof apply>) => {
                deviceCommits.push(n);
                return apply(...a);
              }
            : Reflect.get(t, k, rcv),
      });
    },
    routes: {
      ...w.drivers.routes,
      waitForRoutes: async (router: string, expect: readonly { prefix: string; action: string }[]) => {
        calls.push(
          `${router} after ${deviceCommits.at(-1)}: ${expect.map((x) => `${x.action} ${x.prefix}`).join(', ')}`,
        );
        return router !== 'coreA';
      },
    },
  };
  const r = await runMigration(
    tb,
    { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] },
    drivers,
    fast,
  );
  expect(r.verdict, formatTimeline(r.timeline)).toBe('migrated');
  // Every transaction but the last waits for its own router, right after its commit.
  expect(calls).toEqual([
    'torB after torB: add 198.18.10.100/32',
    'coreB after coreB: add 198.18.10.100/32',
    'coreA after coreA: add 198.18.10.100/32',
  ]);
  const kinds = r.timeline.filter((e) => e.kind.startsWith('switchover-install')).map((e) => `${e.kind}@${e.host}`);
  expect(kinds).toEqual([
    'switchover-installed@torB',
    'switchover-installed@coreB',
    'switchover-install-timeout@coreA',
  ]);
});

test.describe('staged switchover', () => {
  const staged = (w: FakeWorld): void => {
    for (const d of w.devices.values()) d.staging = true;
  };

  test('loaded while the VM migrates; at RESUMED one commit per router in order, confirmed together at the end', async () => {
    const w = world();
    staged(w);
    const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4, 6] },
      w.drivers, fast);
    expect(r.verdict, formatTimeline(r.timeline)).toBe('migrated');
    expect(r.conformance?.ok, r.conformance?.violations.map((v) => v.message).join('\n')).toBe(true);
    const kinds = r.timeline.map((e) => `${e.kind}@${e.host}`);
    const at = (k: string): number => kinds.indexOf(k);
    // Staged before the destination resumed, committed after it, in the strategy's order.
    for (const d of ['torB', 'coreB', 'coreA', 'torA']) {
      expect(at(`switchover-staged@${d}`)).toBeGreaterThan(-1);
      expect(at(`switchover-staged@${d}`)).toBeLessThan(at('resumed@hv3'));
      expect(w.devices.get(d)?.log).toEqual(['stage', 'commit', 'confirm']);
    }
    expect(at('switchover-commit@torB')).toBeLessThan(at('switchover-commit-sent@coreB'));
    expect(at('switchover-commit@coreA')).toBeLessThan(at('switchover-commit-sent@torA'));
    // Every confirm after the last commit.
    const lastCommit = Math.max(...['torB', 'coreB', 'coreA', 'torA'].map((d) => at(`switchover-commit@${d}`)));
    expect(kinds.filter((k) => k.startsWith('switchover-confirmed')).every((k) => at(k) > lastCommit)).toBe(true);
    // Both families of a router in its one transaction.
    expect((await configs(w))['torA']).toContain('198.18.10.100/32 via <coreA>');
    expect((await configs(w))['torA']).toMatch(/::\w+\/128 via <coreA>/);
  });

  test('a router refusing its commit: every staged transaction taken back, the VM moved back, nothing left', async () => {
    const w = world();
    staged(w);
    const before = await configs(w);
    const coreA = w.devices.get('coreA');
    if (coreA) coreA.rejectOn = () => true;
    const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] },
      w.drivers, fast);
    expect(r.verdict).toBe('rolled-back');
    expect(r.attempts[0]?.failure).toMatchObject({ step: 'switchover', kind: 'network' });
    expect(r.attempts[0]?.residue).toEqual([]);
    expect(w.devices.get('torB')?.log).toEqual(['stage', 'commit', 'abort (revert)']);
    expect(w.devices.get('torA')?.log).toEqual(['stage', 'abort']);
    expect(await configs(w)).toEqual(before);
    expect(w.cluster.where('vm1')).toEqual(['hv1']);
  });

  test('a migration that fails releases what was staged; stageSwitchover false stages nothing', async () => {
    const w = world({ outcome: 'dst-dies' });
    staged(w);
    const before = await configs(w);
    const r = await runMigration(tb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] },
      w.drivers, fast);
    expect(r.verdict).toBe('rolled-back');
    for (const d of ['torB', 'coreB', 'coreA', 'torA']) expect(w.devices.get(d)?.log).toEqual(['stage', 'abort']);
    expect(await configs(w)).toEqual(before);

    const unstagedTb = labTestbed({ migration: { ...tb.migration, stageSwitchover: false } });
    const w2 = worldWith(unstagedTb, 'vm1', 'hv1');
    staged(w2);
    const r2 = await runMigration(unstagedTb, { vm: 'vm1', to: 'hv3', strategy: 'host-route-static', families: [4] },
      w2.drivers, fast);
    expect(r2.verdict).toBe('migrated');
    expect([...w2.devices.values()].every((d) => d.log.length === 0)).toBe(true);
    expect(r2.timeline.some((e) => e.kind === 'switchover-staged')).toBe(false);
  });
});
