/**
 * Locks, confirmed commits and notifications against a real netconfd: lock contention between two
 * sessions, a persistent confirmed commit rolled back by the device after the client went away,
 * cancel-commit from another session, RFC 6470 events, and vmmi's transaction() incl. rollback.
 *
 * netconfd runs its timers only after 1 s of total inactivity: while waiting for a device-side
 * rollback no session sends anything (the subscription only receives).
 */
import { test, expect } from '@playwright/test';
import { startNetconfLab, type NetconfLab } from './netconf-lab.js';
import {
  NS_IANAIFT,
  NS_IF,
  canonicalConfig,
  createNetconfDriver,
  e,
  el,
  netconfIetf,
  nodeOperation,
  snapshotRunning,
  transaction,
  childrenNamed,
  child,
  textAt,
  openSwitchDriver,
  hasHostRoutes,
  hasSegments,
  type NetconfClient,
  type NetconfNotification,
} from './netconf-imports.js';

let lab: NetconfLab;
test.beforeAll(async () => {
  lab = await startNetconfLab(18401);
});
test.afterAll(async () => {
  await lab?.stop();
});

const iface = (name: string, attrs: Record<string, string> = {}) =>
  el(
    'interfaces',
    { xmlns: NS_IF },
    el('interface', attrs, e('name', name), el('type', { 'xmlns:ianaift': NS_IANAIFT }, 'ianaift:ethernetCsmacd')),
  );

async function runningNames(c: NetconfClient): Promise<string[]> {
  const r = await c.getConfig('running', { type: 'subtree', content: el('interfaces', { xmlns: NS_IF }) });
  return childrenNamed(child(r.data, 'interfaces'), 'interface').map((i) => textAt(i, 'name') ?? '');
}

async function nextEvent(it: AsyncIterableIterator<NetconfNotification>, pred: (n: NetconfNotification) => boolean,
  timeoutMs: number): Promise<NetconfNotification> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error('event not received in time');
    const r = await Promise.race([it.next(), new Promise<'t'>((res) => setTimeout(() => res('t'), left))]);
    if (r === 't') throw new Error('event not received in time');
    if (r.done === true) throw new Error('subscription ended');
    if (pred(r.value)) return r.value;
  }
}

test('lock contention: second session gets lock-denied naming the holder; released when the holder is killed', async () => {
  const a = await lab.connect();
  const b = await lab.connect();
  try {
    await a.lock('candidate');
    const err = await b.lock('candidate').then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(err).toMatchObject({
      code: 'NETCONF_RPC',
      errors: [{ tag: 'lock-denied', info: { 'session-id': String(a.sessionId) } }],
    });
    await b.killSession(a.sessionId);
    await expect.poll(() => a.session.closed, { timeout: 5000 }).toBe(true);
    await b.lock('candidate');
    await b.unlock('candidate');
  } finally {
    await a.close();
    await b.close();
  }
});

test('persistent confirmed commit is rolled back by the device after the client goes away; events seen', async () => {
  const watcher = await lab.connect();
  const events = await watcher.subscribe();
  const a = await lab.connect();
  await a.editConfig(iface('cc-gone'));
  await a.commit({ confirmed: true, timeoutS: 2, persist: 'vmmi-test-gone' });
  const start = await nextEvent(events, (n) => n.event.kind === 'confirmed-commit', 5000);
  expect(start.event).toMatchObject({
    kind: 'confirmed-commit',
    confirmEvent: 'start',
    changedBy: { sessionId: a.sessionId },
  });
  expect(await runningNames(watcher)).toContain('cc-gone');
  const t0 = Date.now();
  a.session.destroy(); // vmmi "dies": no cancel, no confirm; persist keeps the commit pending
  const timeout = await nextEvent(events, (n) => n.event.kind === 'confirmed-commit', 12_000);
  expect(timeout.event).toMatchObject({ confirmEvent: 'timeout' });
  expect(Date.now() - t0).toBeLessThan(2000 + 6000); // timeout + netconfd's 1-s inactivity slack
  expect(await runningNames(watcher)).not.toContain('cc-gone');
  await watcher.close();
});

test('cancel-commit with persist-id from another session reverts at once; config-change events carry the edit', async () => {
  const watcher = await lab.connect();
  const events = await watcher.subscribe();
  const a = await lab.connect();
  const b = await lab.connect();
  await a.editConfig(iface('cc-cancel'));
  await a.commit({ confirmed: true, timeoutS: 60, persist: 'vmmi-test-cancel' });
  const change = await nextEvent(events, (n) => n.event.kind === 'config-change', 5000);
  expect(change.event).toMatchObject({
    kind: 'config-change',
    changedBy: { username: 'root', sessionId: a.sessionId },
  });
  expect(change.event).toMatchObject({
    datastore: 'running',
    edits: [{ target: '/if:interfaces', operation: 'create' }],
  });
  await b.cancelCommit('vmmi-test-cancel');
  expect(
    (
      await nextEvent(
        events,
        (n) => n.event.kind === 'confirmed-commit' && (n.event as { confirmEvent: string }).confirmEvent !== 'start',
        5000,
      )
    ).event,
  ).toMatchObject({ confirmEvent: 'cancel' });
  expect(await runningNames(b)).not.toContain('cc-cancel');
  for (const s of [a, b, watcher]) await s.close();
});

test('transaction(): commits verified changes; a failed verify rolls back with no residue; abort rolls back', async () => {
  const c = await lab.connect();
  const d = createNetconfDriver(c, netconfIetf, { device: 'sw', confirmTimeoutS: 30 });
  const before = await snapshotRunning(c);
  await d.attachSegment?.({ port: 'swp9', vlan: 10 });
  await d.addHostRoute?.({ prefix: '198.18.10.100/32', nextHop: '198.18.0.1' });
  await d.addHostRoute?.({ prefix: '2001:2::64/128', device: 'swp9' });
  const routes = await d.readRoutes();
  expect(routes.map((r) => r.prefix)).toEqual(expect.arrayContaining(['198.18.10.100/32', '2001:2::64/128']));
  const mid = await snapshotRunning(c);
  const failed = await transaction(c, [{ description: 'bad verify', config: iface('tx-verify') }], {
    confirmTimeoutS: 30,
    verify: async () => 'forced failure',
  }).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(failed).toMatchObject({ code: 'CONFIG_REJECTED' });
  expect(await snapshotRunning(c)).toEqual(mid);
  const ac = new AbortController();
  const aborted = transaction(c, [{ description: 'aborted', config: iface('tx-abort') }], {
    confirmTimeoutS: 30,
    signal: ac.signal,
    verify: async () => {
      ac.abort();
      return undefined;
    },
  }).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(await aborted).toMatchObject({ code: 'ABORTED' });
  expect(await snapshotRunning(c)).toEqual(mid);
  const r = await transaction(c, [{ description: 'ok', config: iface('tx-ok') }], { confirmTimeoutS: 30 });
  expect(r.persistId).toMatch(/^vmmi-/);
  expect(r.diff?.added.some((l) => l.includes('tx-ok'))).toBe(true);
  expect(r.steps.map((s) => s.name)).toEqual([
    'snapshot-before',
    'lock',
    'discard-changes',
    'edit: ok',
    'confirmed-commit',
    'confirming-commit',
    'unlock',
    'snapshot-after',
  ]);
  await transaction(c, [
    {
      description: 'cleanup',
      config: el('interfaces', { xmlns: NS_IF }, el('interface', nodeOperation('remove'), e('name', 'tx-ok'))),
    },
  ]);
  await d.removeHostRoute?.({ prefix: '2001:2::64/128' });
  await d.removeHostRoute?.({ prefix: '198.18.10.100/32' });
  await d.detachSegment?.({ port: 'swp9' });
  await transaction(c, [
    {
      description: 'cleanup',
      config: el('interfaces', { xmlns: NS_IF }, el('interface', nodeOperation('remove'), e('name', 'swp9'))),
    },
    {
      description: 'cleanup routing',
      config: el(
        'routing',
        { xmlns: 'urn:ietf:params:xml:ns:yang:ietf-routing' },
        el('control-plane-protocols', nodeOperation('remove')),
      ),
    },
  ]);
  expect(await snapshotRunning(c)).toEqual(before);
  await d.close();
});

test('removing the last host route removes the vmmi routing instance: running is as before, key leaves included', async () => {
  const c = await lab.connect();
  const d = createNetconfDriver(c, netconfIetf, { device: 'sw', confirmTimeoutS: 30 });
  const before = canonicalConfig(await d.readRunningConfig());
  expect(before).not.toContain('198.18.10.101/32');
  await d.addHostRoute?.({ prefix: '198.18.10.101/32', nextHop: '198.18.0.1' });
  await d.addHostRoute?.({ prefix: '2001:2::65/128', nextHop: '2001:2::1' });
  await d.removeHostRoute?.({ prefix: '198.18.10.101/32' });
  // One route left: the instance stays, holding it.
  expect(canonicalConfig(await d.readRunningConfig())).toContain('2001:2::65/128');
  await d.removeHostRoute?.({ prefix: '2001:2::65/128' });
  expect(canonicalConfig(await d.readRunningConfig())).toBe(before);
  await d.close();
});

test('registry opens the netconf-ietf driver for a resolved Switch; unknown kinds are listed', async () => {
  const d = await openSwitchDriver(lab.switchModel);
  expect(d.kind).toBe('netconf-ietf');
  expect(hasHostRoutes(d)).toBe(true);
  if (!hasSegments(d)) throw new Error('netconf-ietf must support segments');
  await d.attachSegment({ port: 'swp-reg' });
  expect(await d.readRunningConfig()).toContain('<name>swp-reg</name>');
  await d.detachSegment({ port: 'swp-reg' });
  await d.close();
  const err = await openSwitchDriver({ ...lab.switchModel, kind: 'nope' as never }).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(String((err as Error).message)).toContain(
    'unknown switch driver kind "nope"; supported: netconf-ietf, frr-ssh',
  );
});

test('no candidate (writable-running): checkpoint transaction restores on failed verify and says so', async () => {
  const run = await startNetconfLab(18404, 'swrun', 'running');
  try {
    const c = await run.connect();
    expect(c.hasCandidate).toBe(false);
    const d = createNetconfDriver(c, netconfIetf, { device: 'swrun' });
    expect(d.rollback).toBe('checkpoint');
    await d.attachSegment?.({ port: 'swp1' });
    const r = await d.apply([
      {
        description: 'route',
        config: el('interfaces', { xmlns: NS_IF }, e('interface', e('name', 'swp1'), e('description', 'changed'))),
      },
    ]);
    expect(r.mechanism).toBe('checkpoint');
    expect(r.diff?.added).toEqual(['/interfaces/interface[swp1]/description = changed']);
    const mid = await snapshotRunning(c);
    const failed = await d.apply([{ description: 'bad', config: iface('swp2') }], { verify: async () => 'forced' })
      .then(() => undefined, (x: unknown) => x);
    expect(failed).toMatchObject({ code: 'CONFIG_REJECTED' });
    expect(await snapshotRunning(c)).toEqual(mid);
    await d.close();
  } finally {
    await run.stop();
  }
});
