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
  };
  await expect(
    startMigrationJob(p, 'vm1', 'qemu+tcp://x/system', { destination: b.driver }).result,
  ).rejects.toMatchObject({ code: 'USAGE' });
});
