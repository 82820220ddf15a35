import { test, expect } from '@playwright/test';
import { startPersona, type Persona, type PersonaOptions } from '../../../test/fakes/netconf-persona.js';
import { NetconfClient } from '../../transports/netconf/client.js';
import { stamp } from '../../util/stamp.js';
import { startNetconfObserver, startYangPushObserver } from './netconf-observer.js';
import { observedRouteChanges } from './observed.js';
import { NS_SN, NS_YP } from './yang-push.js';

const personas: Persona[] = [];
test.afterAll(async () => {
  await Promise.all(personas.map((p) => p.close()));
});

const RT = 'urn:ietf:params:xml:ns:yang:ietf-routing';
const V4 = 'urn:ietf:params:xml:ns:yang:ietf-ipv4-unicast-routing';
const route = (p: string, hop: string): string =>
  `<route><v4ur:destination-prefix xmlns:v4ur="${V4}">${p}</v4ur:destination-prefix><next-hop>`
  + `<v4ur:next-hop-address xmlns:v4ur="${V4}">${hop}</v4ur:next-hop-address></next-hop></route>`;
const update = (id: string, ...routes: string[]): string => `<push-update xmlns="${NS_YP}"><id>${id}</id>`
  + `<datastore-contents><routing xmlns="${RT}"><ribs><rib><name>ipv4-master</name><routes>${routes.join('')}`
  + '</routes></rib></ribs></routing></datastore-contents></push-update>';
const change = (id: string, op: string, target: string, value = ''): string =>
  `<push-change-update xmlns="${NS_YP}"><id>${id}</id><datastore-changes><yang-patch><patch-id>p</patch-id>`
  + `<edit><edit-id>e</edit-id><operation>${op}</operation><target>${target}</target>`
  + `${value === '' ? '' : `<value>${value}</value>`}</edit></yang-patch></datastore-changes></push-change-update>`;

async function connect(o: PersonaOptions): Promise<{ p: Persona; client: NetconfClient }> {
  const p = await startPersona({
    reply: (rpc) => (rpc === 'establish-subscription' ? `<id xmlns="${NS_SN}">42</id>` : undefined),
    ...o,
  });
  personas.push(p);
  const client = await NetconfClient.connect({ name: 'leaf1', host: '127.0.0.1', port: p.port,
    credentials: { username: 'u' }, hostKey: { kind: 'fingerprint', sha256: p.fingerprint } },
  { helloTimeoutMs: 3000, rpcTimeoutMs: 3000, keepaliveIntervalMs: 0 });
  return { p, client };
}

test('YANG-push on-change: baseline from sync-on-start, then pushed changes of our subscription, stamped on receipt', async () => {
  const { p, client } = await connect({
    capabilities: [`${NS_YP}?module=ietf-yang-push&revision=2019-09-09&features=on-change`],
    notifyOn: 'establish-subscription', notificationGapMs: 60,
    notifications: [
      update('42', route('198.18.10.0/24', '198.18.0.1')),
      change('42', 'create', '/ietf-routing:routing/ribs/rib=ipv4-master/routes', route('198.18.10.100/32', '198.18.0.2')),
      change('99', 'create', '/ietf-routing:routing/ribs/rib=ipv4-master/routes', route('198.18.99.0/24', '198.18.0.9')),
      change('42', 'delete', '/ietf-routing:routing/ribs/rib=ipv4-master/routes/route=198.18.10.0%2F24'),
      change('42', 'remove', "/rt:routing/rt:ribs/rt:rib/rt:routes/rt:route[v4ur:destination-prefix='198.18.10.100/32']"),
    ],
  });
  const t0 = stamp();
  const obs = await startYangPushObserver({ router: 'leaf1', client, ownsClient: true, maxLifetimeMs: 10_000 },
    { timeoutMs: 3000 });
  // start waits for the baseline, which the persona sends 60 ms after its reply.
  expect(Number(stamp().monoNs - t0.monoNs) / 1e6).toBeGreaterThanOrEqual(55);
  expect(obs.kind).toBe('yang-push');
  await expect.poll(() => obs.records().length, { timeout: 3000, intervals: [20] }).toBe(3);
  await obs.stop({ timeoutMs: 3000 });
  const changes = observedRouteChanges(obs.records());
  expect(changes.map((c) => `${c.action} ${c.prefix} ${c.nextHop ?? '-'}`)).toEqual([
    'add 198.18.10.100/32 198.18.0.2', 'del 198.18.10.0/24 198.18.0.1', 'del 198.18.10.100/32 198.18.0.2']);
  for (const c of changes) {
    expect(c.offsetMs).toBe(0);
    expect(c.uncertaintyMs).toBe(obs.resolutionMs);
    expect(Math.abs(c.t.wallMs - Date.now())).toBeLessThan(10_000); // not the device's eventTime
  }
  expect(obs.resolutionMs).toBeGreaterThan(0);
  expect(changes[1]!.t.monoNs - changes[0]!.t.monoNs).toBeGreaterThan(100_000_000n); // two 60 ms gaps apart
  expect(obs.failure()).toBeUndefined();
  expect(p.received).toEqual(['get', 'get', 'get', 'establish-subscription', 'delete-subscription', 'close-session']);
  expect(p.received.length).toBe(6);
});

test('YANG-push: a subscription the device terminates is reported as the observer failure', async () => {
  const { client } = await connect({
    capabilities: [`${NS_YP}?module=ietf-yang-push&revision=2019-09-09`], notifyOn: 'establish-subscription',
    notifications: [update('42'), `<subscription-terminated xmlns="${NS_SN}"><id>42</id><reason>`
      + 'suspension-timeout</reason></subscription-terminated>'],
  });
  const obs = await startYangPushObserver({ router: 'leaf1', client, ownsClient: true, maxLifetimeMs: 10_000,
    periodMs: 500 }, { timeoutMs: 3000 });
  await expect.poll(() => obs.failure(), { timeout: 3000 }).toBe('subscription-terminated: suspension-timeout');
  expect(obs.resolutionMs).toBeGreaterThanOrEqual(500); // periodic: the period bounds the uncertainty
  await obs.stop({ timeoutMs: 3000 });
});

test('no ietf-yang-push in the hello: the session is closed and the routes are polled instead', async () => {
  const { p, client } = await connect({});
  let table = [{ prefix: '198.18.10.0/24', nextHops: ['198.18.0.1'] }];
  const obs = await startNetconfObserver({ router: 'leaf1', client, readRoutes: () => Promise.resolve(table),
    intervalMs: 20, maxLifetimeMs: 10_000 }, { timeoutMs: 3000 });
  expect(obs.kind).toBe('netconf-poll');
  expect(p.received).toEqual(['close-session']);
  table = [...table, { prefix: '198.18.10.100/32', nextHops: ['198.18.0.2'] }];
  await expect.poll(() => obs.records().length, { timeout: 3000, intervals: [10] }).toBe(1);
  await obs.stop({ timeoutMs: 3000 });
  expect(obs.records()[0]).toMatchObject({ kind: 'add', prefix: '198.18.10.100/32', via: '198.18.0.2' });
});
