import { expect, test } from '@playwright/test';
import { parseDaemonVersion, parseDomInfo, parseDomState, parseJobInfoRaw, parseVirshEvents } from './virsh-parse.js';

// Captured from virsh 9.0.0 (LC_ALL=C) against libvirtd's test driver and a QEMU migration.
const DOMINFO = `Id:             -
Name:           vmmi-x
UUID:           8afcba8b-15de-4754-a059-cd254203e26a
OS Type:        linux
State:          shut off
CPU(s):         1
CPU time:       1795614539.8s
Max memory:     262144 KiB
Used memory:    262144 KiB
Persistent:     yes
Security DOI:   
`;
const EVENTS = `2026-11-25 13:48:59.372+0000: event 'lifecycle' for domain 'vmmi-x': Defined Added
2026-11-25 13:48:59.426+0000: event 'lifecycle' for domain 'vmmi-x': Started Booted
2026-11-25 13:49:01.100+0000: event 'migration-iteration' for domain 'mig1': iteration: '2'
2026-11-25 13:49:01.200+0000: event 'lifecycle' for domain 'mig1': Suspended Migrated
2026-11-25 13:49:01.300+0000: event 'lifecycle' for domain 'mig1': Shutdown Finished after guest request
2026-11-25 13:49:01.400+0000: event 'job-completed' for domain 'mig1':
\toperation: 5
\ttime_elapsed: 345
\tdowntime: 17
\terrmsg: none
2026-11-25 13:49:01.500+0000: event 'lifecycle' for domain 'mig1': Stopped Migrated
2026-11-25 13:49:01.600+0000: event 'device-added' for domain 'mig1': net0
`;

test('domstate --reason maps to the same names and codes as the RPC driver', () => {
  expect(parseDomState('running (booted)\n\n')).toEqual({
    state: 'running',
    stateCode: 1,
    reason: 'booted',
    reasonCode: 1,
  });
  expect(parseDomState('shut off (destroyed)')).toEqual({
    state: 'shutoff',
    stateCode: 5,
    reason: 'destroyed',
    reasonCode: 2,
  });
  expect(parseDomState('paused (migrating)')).toMatchObject({ state: 'paused', reason: 'migration', reasonCode: 2 });
  expect(parseDomState('running (migrated)')).toMatchObject({ reason: 'migrated', reasonCode: 2 });
  expect(parseDomState('idle')).toMatchObject({ state: 'blocked', reason: 'unknown' });
  expect(() => parseDomState('exploded (badly)')).toThrow(/unexpected virsh domstate/);
});

test('dominfo gives identity and info; Id "-" is inactive', () => {
  const { ref, info } = parseDomInfo(DOMINFO);
  expect(ref).toEqual({ name: 'vmmi-x', uuid: '8afcba8b-15de-4754-a059-cd254203e26a', id: -1 });
  expect(info).toEqual({
    state: 'shutoff',
    maxMemKiB: 262144,
    memoryKiB: 262144,
    vcpus: 1,
    cpuTimeNs: 1795614539800000000n,
  });
  expect(() => parseDomInfo('garbage')).toThrow(/unexpected virsh dominfo/);
});

test('domjobinfo --rawstats keeps exact numbers and strings', () => {
  const j = parseJobInfoRaw(
    'Job type:         3\n\noperation:        4\ntime_elapsed:     345\ndowntime:         17\nmemory_processed: 1049777\nerrmsg: x: y\n',
  );
  expect(j).toEqual({ type: 'completed', typeCode: 3,
    fields: { operation: 4, time_elapsed: 345, downtime: 17, memory_processed: 1049777, errmsg: 'x: y' } });
  expect(parseJobInfoRaw('Job type: 0\n')).toEqual({ type: 'none', typeCode: 0, fields: {} });
  expect(() => parseJobInfoRaw('error')).toThrow(/domjobinfo/);
});

test('version --daemon', () => {
  expect(parseDaemonVersion('Compiled against library: libvirt 9.0.0\nRunning against daemon: 9.0.0\n')).toBe(
    9_000_000,
  );
  expect(() => parseDaemonVersion('nothing')).toThrow(/no daemon version/);
});

test('event stream: lifecycle, iteration and multi-line job-completed; unknown kinds skipped', () => {
  const { events, rest } = parseVirshEvents(EVENTS);
  expect(rest).toBe('');
  expect(
    events.map((e) =>
      e.kind === 'lifecycle'
        ? `${e.domain} ${e.event}/${e.detail} ${e.eventCode}/${e.detailCode}`
        : `${e.domain} ${e.kind}`,
    ),
  ).toEqual([
    'vmmi-x defined/added 0/0',
    'vmmi-x started/booted 2/0',
    'mig1 migration-iteration',
    'mig1 suspended/migrated 3/1',
    'mig1 shutdown/guest 6/1',
    'mig1 job-completed',
    'mig1 stopped/migrated 5/3',
  ]);
  expect(events[2]).toMatchObject({ iteration: 2 });
  expect(events[5]).toMatchObject({
    stats: { type: 'completed', fields: { operation: 5, time_elapsed: 345, downtime: 17, errmsg: 'none' } },
  });
});

test('event stream split across chunks: partial lines and an open job block wait for more', () => {
  const cut = EVENTS.indexOf('\ttime_elapsed');
  const a = parseVirshEvents(EVENTS.slice(0, cut + 5));
  expect(a.events.map((e) => e.kind)).toEqual([
    'lifecycle',
    'lifecycle',
    'migration-iteration',
    'lifecycle',
    'lifecycle',
  ]);
  const b = parseVirshEvents(a.rest + EVENTS.slice(cut + 5));
  expect(b.events.map((e) => e.kind)).toEqual(['job-completed', 'lifecycle']);
  expect(b.events[0]).toMatchObject({ stats: { fields: { operation: 5, time_elapsed: 345 } } });
  // A job block at the very end is held until the caller says the output went quiet.
  const tail = "2026-11-25 13:49:01.400+0000: event 'job-completed' for domain 'm':\n\toperation: 4\n";
  expect(parseVirshEvents(tail).events).toEqual([]);
  expect(parseVirshEvents(tail, true).events).toMatchObject([
    { kind: 'job-completed', stats: { fields: { operation: 4 } } },
  ]);
});

test('event stream: a reboot (a generic event, no colon after the domain) is parsed; other generic kinds skipped', () => {
  const text =
    "2026-11-25 19:39:58.947+0000: event 'reboot' for domain 'vm1'\n2026-11-25 19:39:59.001+0000: event 'control-error' for domain 'vm1'\n";
  const { events, rest } = parseVirshEvents(text);
  expect(rest).toBe('');
  expect(events).toEqual([{ kind: 'reboot', domain: 'vm1', virshTime: '2026-11-25 19:39:58.947+0000' }]);
});
