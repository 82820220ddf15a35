import { expect, test } from '@playwright/test';
import { LibvirtError, TimeoutError } from '../../errors/classes.js';
import { sleep } from '../../util/abort.js';
import type { Stamp } from '../../util/stamp.js';
import { EventHub } from './event-hub.js';
import { startMigrationJob } from './migrate-recipe.js';
import type { HypervisorDriver, HypervisorEvent, DriverJobStats, MigrationPrimitives } from './types.js';

const at = (ms: number): Stamp => ({ wallMs: 1_700_000_000_000 + ms, monoNs: BigInt(ms) * 1_000_000n });
const dom = { name: 'vm1', uuid: '6c61622d-6876-4000-8000-0000000000aa' };

function fakeHost(host: string, log: string[], stats: (o: { completed?: boolean; keep?: boolean }) => DriverJobStats) {
  const hub = new EventHub<HypervisorEvent>();
  const driver = {
    host,
    events: (o: { signal?: AbortSignal } = {}) => hub.subscribe(o.signal),
    eventsReady: async () => void log.push(`${host}:eventsReady`),
    jobStats: async (_d: unknown, o: { completed?: boolean; keep?: boolean } = {}) => {
      log.push(`${host}:jobStats(${o.completed === true ? 'completed' : 'current'}${o.keep === true ? '+keep' : ''})`);
      return stats(o);
    },
  } as unknown as HypervisorDriver;
  const life = (event: string, detail: string, t: number): HypervisorEvent => ({
    kind: 'lifecycle',
    host,
    domain: dom,
    at: at(t),
    event: event as 'started',
    eventCode: 0,
    detail,
    detailCode: 0,
  });
  return { hub, driver, life };
}

test('recipe: subscribe both, set downtime, perform with bandwidth, collect stats and the event gap', async () => {
  const log: string[] = [];
  const completed: DriverJobStats = {
    type: 'completed',
    typeCode: 3,
    fields: { operation: 4, downtime: 17, setup_time: 1 },
  };
  const running: DriverJobStats = { type: 'unbounded', typeCode: 2, fields: { memory_processed: 1000 } };
  const src = fakeHost('hv1', log, () => running);
  const dst = fakeHost('hv2', log, (o) => (o.completed === true ? completed : running));
  const p: MigrationPrimitives = {
    driver: src.driver,
    setMaxDowntime: async (_d, ms) => void log.push(`hv1:setMaxDowntime(${ms})`),
    perform: async (_d, uri, o) => {
      log.push(`hv1:perform(${uri}, flags ${o.flags}, ${o.bandwidthMiBs} MiB/s)`);
      await sleep(120); // progress polls run meanwhile
      dst.hub.publish(dst.life('started', 'migrated', 1));
      src.hub.publish({ kind: 'migration-iteration', host: 'hv1', domain: dom, at: at(2), iteration: 1 });
      src.hub.publish(src.life('suspended', 'migrated', 100));
      dst.hub.publish(dst.life('resumed', 'migrated', 116));
      src.hub.publish(src.life('stopped', 'migrated', 120));
    },
    abortJob: async () => undefined,
    startPostCopy: async () => undefined,
  };
  const m = startMigrationJob(p, 'vm1', 'qemu+tcp://198.18.10.12/system', {
    destination: dst.driver,
    pollIntervalMs: 20,
    persistDest: true,
  });
  const progress: DriverJobStats[] = [];
  for await (const x of m.progress) progress.push(x.stats);
  // The source's job-completed event arrives after the perform reply; the recipe waits for it.
  setTimeout(() => src.hub.publish({ kind: 'job-completed', host: 'hv1', domain: dom, at: at(130),
    stats: { type: 'completed', typeCode: 3, fields: { operation: 5, downtime: 18 } } }), 20);
  const r = await m.result;

  expect(log.slice(0, 4)).toEqual(['hv1:eventsReady', 'hv2:eventsReady', 'hv1:setMaxDowntime(300)',
    'hv1:perform(qemu+tcp://198.18.10.12/system, flags 11, 1024 MiB/s)']);
  expect(log).toContain('hv2:jobStats(completed+keep)');
  expect(progress.length).toBeGreaterThan(0);
  expect(r.sourceStats?.fields).toEqual({ operation: 5, downtime: 18 });
  expect(r.destinationStats).toEqual(completed);
  expect(r.qemuDowntimeMs).toBe(17);
  expect(r.eventGapMs).toBe(16);
  expect(r.events.map((e) => `${e.host}:${e.kind === 'lifecycle' ? `${e.event}/${e.detail}` : e.kind}`)).toEqual([
    'hv2:started/migrated',
    'hv1:migration-iteration',
    'hv1:suspended/migrated',
    'hv2:resumed/migrated',
    'hv1:stopped/migrated',
    'hv1:job-completed',
  ]);
});

test('recipe: a failed perform rejects the result with the libvirt error and ends progress', async () => {
  const log: string[] = [];
  const src = fakeHost('hv1', log, () => ({ type: 'none', typeCode: 0, fields: {} }));
  const p: MigrationPrimitives = {
    driver: src.driver,
    setMaxDowntime: async () => undefined,
    perform: async () => {
      throw new LibvirtError('operation aborted: migration out: canceled by client', 78, 10);
    },
    abortJob: async () => void log.push('abort'),
    startPostCopy: async () => undefined,
  };
  const m = startMigrationJob(p, 'vm1', 'qemu+tcp://198.18.10.12/system', { bandwidthMiBs: 5, maxDowntimeMs: 50 });
  for await (const _ of m.progress) throw new Error('no progress expected');
  await expect(m.result).rejects.toMatchObject({ code: 'LIBVIRT', libvirtName: 'aborted' });
  await m.abort();
  expect(log).toEqual(['hv1:eventsReady', 'abort']);
});

test('recipe: non-p2p migration is refused as unsupported', async () => {
  const src = fakeHost('hv1', [], () => ({ type: 'none', typeCode: 0, fields: {} }));
  const p = {
    driver: src.driver,
    setMaxDowntime: async () => undefined,
    perform: async () => undefined,
    abortJob: async () => undefined,
    startPostCopy: async () => undefined,
  };
  await expect(startMigrationJob(p, 'vm1', 'qemu+tcp://x/system', { p2p: false }).result).rejects.toMatchObject({
    code: 'UNSUPPORTED',
  });
});

test('recipe: a perform that times out cancels the job in the daemon', async () => {
  const log: string[] = [];
  const src = fakeHost('hv1', log, () => ({ type: 'unbounded', typeCode: 2, fields: {} }));
  const p: MigrationPrimitives = {
    driver: src.driver,
    setMaxDowntime: async () => undefined,
    perform: async (_d, _u, o) => {
      await sleep(o.timeoutMs ?? 0);
      throw new TimeoutError('DOMAIN_MIGRATE_PERFORM3_PARAMS timed out', o.timeoutMs ?? 0);
    },
    abortJob: async () => void log.push('abortJob'),
    startPostCopy: async () => undefined,
  };
  const m = startMigrationJob(p, 'vm1', 'qemu+tcp://198.18.10.12/system', { timeoutMs: 50, pollIntervalMs: 1_000 });
  await expect(m.result).rejects.toMatchObject({ code: 'TIMEOUT' });
  expect(log).toEqual(['hv1:eventsReady', 'abortJob']);
});

test('recipe: source and destination with the same host name are refused (their events would mix)', async () => {
  const a = fakeHost('local', [], () => ({ type: 'none', typeCode: 0, fields: {} }));
  const b = fakeHost('local', [], () => ({ type: 'none', typeCode: 0, fields: {} }));
  const p = {
    driver: a.driver,
    setMaxDowntime: async () => undefined,
    perform: async () => undefined,
    abortJob: async () => undefined,
    startPostCopy: async () => undefined,
  };
  await expect(
    startMigrationJob(p, 'vm1', 'qemu+tcp://x/system', { destination: b.driver }).result,
  ).rejects.toMatchObject({ code: 'USAGE' });
});

test('recipe: postcopy mode passes POSTCOPY, switches once the first pass completed, and times the gap on POSTCOPY events', async () => {
  const log: string[] = [];
  let iteration = 1;
  const running = (): DriverJobStats => ({ type: 'unbounded', typeCode: 2,
    fields: { memory_iteration: iteration, memory_remaining: 50_000_000, memory_dirty_rate: 6000,
      memory_page_size: 4096 } });
  const src = fakeHost('hv1', log, running);
  const dst = fakeHost('hv2', log, (o) => (o.completed === true
    ? { type: 'completed', typeCode: 3, fields: { operation: 4, downtime: 9 } } : running()));
  let switched: () => void = () => undefined;
  const switchedP = new Promise<void>((r) => (switched = r));
  const p: MigrationPrimitives = {
    driver: src.driver,
    setMaxDowntime: async () => undefined,
    perform: async (_d, _u, o) => {
      log.push(`perform flags ${o.flags} extra ${JSON.stringify(o.extra)}`);
      await sleep(40);
      iteration = 2; // the first pass is done: the recipe must ask for the switch now
      await switchedP;
      src.hub.publish(src.life('suspended', 'postcopy', 200));
      dst.hub.publish(dst.life('resumed', 'postcopy', 207));
      src.hub.publish(src.life('stopped', 'migrated', 400));
    },
    abortJob: async () => undefined,
    startPostCopy: async () => {
      log.push(`startPostCopy at iteration ${iteration}`);
      switched();
    },
  };
  const m = startMigrationJob(p, 'vm1', 'qemu+tcp://198.18.10.12/system', {
    destination: dst.driver, pollIntervalMs: 200,
    mode: { mode: 'postcopy', postcopy: { afterIterations: 1, stallIterations: 2 }, autoConverge: {},
      multifd: { channels: 4 }, xbzrle: {} },
  });
  setTimeout(() => src.hub.publish({ kind: 'job-completed', host: 'hv1', domain: dom, at: at(500),
    stats: { type: 'completed', typeCode: 3, fields: { operation: 5 } } }), 300);
  const r = await m.result;
  expect(log.filter((l) => l.startsWith('perform') || l.startsWith('startPostCopy'))).toEqual([
    `perform flags ${1 | 2 | 32768} extra {}`, 'startPostCopy at iteration 2']);
  expect(r.observed.mode).toBe('postcopy');
  expect(r.observed.postcopySwitch).toMatchObject({ iteration: 2, remainingBytes: 50_000_000 });
  expect(r.observed.maxDirtyRatePps).toBe(6000);
  expect(r.observed.pageSizeBytes).toBe(4096);
  expect(r.eventGapMs).toBe(7);
});

test('recipe: precopy never asks for postcopy; auto-converge records the throttle it saw', async () => {
  const log: string[] = [];
  let throttle = 0;
  const src = fakeHost('hv1', log, () => ({ type: 'unbounded', typeCode: 2,
    fields: { memory_iteration: 5, memory_remaining: 1, auto_converge_throttle: throttle } }));
  const p: MigrationPrimitives = {
    driver: src.driver,
    setMaxDowntime: async () => undefined,
    perform: async (_d, _u, o) => {
      log.push(`flags ${o.flags} extra ${JSON.stringify(o.extra)}`);
      await sleep(30);
      throttle = 40;
      await sleep(60);
      throttle = 20;
      await sleep(30);
    },
    abortJob: async () => undefined,
    startPostCopy: async () => void log.push('startPostCopy'),
  };
  const mode = { mode: 'auto-converge' as const, postcopy: { afterIterations: 0, stallIterations: 1 },
    autoConverge: { initialPct: 30, incrementPct: 15 }, multifd: { channels: 4 }, xbzrle: {} };
  const r = await startMigrationJob(p, 'vm1', 'qemu+tcp://x/system', { pollIntervalMs: 10, mode }).result;
  expect(log).toContain(`flags ${1 | 2 | 8192} extra {"autoConvergeInitialPct":30,"autoConvergeIncrementPct":15}`);
  expect(log).not.toContain('startPostCopy');
  expect(r.observed.maxThrottlePct).toBe(40);
  expect(r.observed.postcopySwitch).toBeUndefined();
});
