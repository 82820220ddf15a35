import { test, expect } from '@playwright/test';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPersona, type Persona, type PersonaOptions } from '../../../test/fakes/netconf-persona.js';
import { isVmmiError } from '../../errors/vmmi-error.js';
import type { HostKeyPolicy } from '../../model/testbed.js';
import { Secret } from '../../model/secret.js';
import { NETCONF_PROFILES } from '../../platforms/netconf-profiles.js';
import { insecureHostKeyConnections, type SshTarget } from '../ssh.js';
import { NetconfClient, type NetconfConnectOptions } from './client.js';

const personas: Persona[] = [];
test.afterAll(async () => {
  await Promise.all(personas.map((p) => p.close()));
});

async function persona(o: PersonaOptions = {}): Promise<Persona> {
  const p = await startPersona(o);
  personas.push(p);
  return p;
}

function target(p: Persona, hostKey?: HostKeyPolicy): SshTarget {
  return {
    name: 'persona',
    host: '127.0.0.1',
    port: p.port,
    credentials: { username: 'u', password: new Secret('${env:X}', 'pw') },
    hostKey: hostKey ?? { kind: 'fingerprint', sha256: p.fingerprint },
  };
}

function connect(p: Persona, o: NetconfConnectOptions = {}, hostKey?: HostKeyPolicy): Promise<NetconfClient> {
  return NetconfClient.connect(target(p, hostKey), {
    helloTimeoutMs: 3000,
    rpcTimeoutMs: 3000,
    keepaliveIntervalMs: 0,
    ...o,
  });
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return isVmmiError(e) ? `${e.code}: ${e.message}` : `non-vmmi: ${String(e)}`;
  }
  return 'resolved';
}

test('1.0-only server: EOM framing; 1.1-only server: chunked; 1.0-only client vs 1.1-only server fails clearly', async () => {
  const p10 = await persona({ bases: ['1.0'] });
  const c10 = await connect(p10);
  expect(c10.session.framing).toBe('eom');
  expect(c10.sessionId).toBe(17);
  expect((await c10.getConfig('running')).data?.name).toBe('data');
  await c10.close();
  const p11 = await persona({ bases: ['1.1'] });
  const c11 = await connect(p11);
  expect(c11.session.framing).toBe('chunked');
  await c11.get();
  await c11.close();
  expect(await codeOf(connect(p11, { profile: NETCONF_PROFILES['nxos-xmlagent'] }))).toMatch(
    /^PROTOCOL: .*no common NETCONF base.*offers base:1.0, server offers base:1.1/,
  );
});

test('nc:-prefixed hello, replies, rpc-errors and notifications', async () => {
  const p = await persona({
    prefix: 'nc',
    reply: (rpc) =>
      rpc === 'lock'
        ? '<rpc-error><error-type>protocol</error-type><error-tag>lock-denied</error-tag>' +
          '<error-severity>error</error-severity><error-info><session-id>4</session-id></error-info></rpc-error>'
        : undefined,
    notifications: [
      '<netconf-config-change xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"><changed-by>' +
        '<username>bob</username><session-id>4</session-id></changed-by><datastore>running</datastore><edit><target>/a</target>' +
        '<operation>merge</operation></edit></netconf-config-change>',
    ],
  });
  const c = await connect(p);
  expect(c.has('urn:ietf:params:netconf:capability:candidate:1.0')).toBe(true);
  await c.discardChanges();
  const err = await c.lock().catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'NETCONF_RPC', errors: [{ tag: 'lock-denied', info: { 'session-id': '4' } }] });
  const events = await c.subscribe();
  const first = await events.next();
  expect(first.value).toMatchObject({
    eventTime: '2026-01-01T00:00:00Z',
    event: {
      kind: 'config-change',
      datastore: 'running',
      changedBy: { username: 'bob', sessionId: 4 },
      edits: [{ target: '/a', operation: 'merge' }],
    },
  });
  await c.close();
  expect(await events.next()).toEqual({ value: undefined, done: true });
});

test('many RPCs in flight with out-of-order replies are correlated by message-id', async () => {
  const p = await persona({
    delayMs: (_r, id) => (Number(id) % 7) * 5,
    reply: (_r, id) => `<data><n>${id}</n></data>`,
  });
  const c = await connect(p);
  const replies = await Promise.all(Array.from({ length: 100 }, () => c.get()));
  const seen = replies.map((r) => Number(r.data?.children[0]?.text));
  expect(new Set(seen).size).toBe(100);
  replies.forEach((r) => expect(r.reply.messageId).toBe(String(r.data?.children[0]?.text)));
  expect(c.session.inFlight).toBe(0);
  await c.close();
});

test('a dropped reply times out alone; the session stays usable; abort and close fail pending RPCs', async () => {
  const p = await persona({ drop: (rpc) => rpc === 'validate' });
  const c = await connect(p);
  const t0 = Date.now();
  expect(await codeOf(c.validate('candidate', { timeoutMs: 200 }))).toMatch(
    /^TIMEOUT: .*validate got no reply \(after 200 ms\)/,
  );
  expect(Date.now() - t0).toBeLessThan(1500);
  await c.commit();
  const ac = new AbortController();
  const aborted = codeOf(c.validate('candidate', { signal: ac.signal, timeoutMs: 10_000 }));
  ac.abort();
  expect(await aborted).toMatch(/^ABORTED/);
  const pending = codeOf(c.validate('candidate', { timeoutMs: 10_000 }));
  c.session.destroy();
  expect(await pending).toMatch(/^CONNECTION/);
  expect(await codeOf(c.get())).toMatch(/^CONNECTION/);
});

test('a server that never says hello times out; one that closes before hello is a connection error', async () => {
  const silent = await persona({ hello: false });
  const t0 = Date.now();
  expect(await codeOf(connect(silent, { helloTimeoutMs: 300 }))).toMatch(/^TIMEOUT: .*no server hello/);
  expect(Date.now() - t0).toBeLessThan(3000);
  const closer = await persona({ hello: 'close' });
  expect(await codeOf(connect(closer))).toMatch(/^CONNECTION/);
});

test('host keys: pinned mismatch refused with both fingerprints; known_hosts (hashed, [host]:port) accepted; insecure recorded', async () => {
  const p = await persona();
  const wrong = 'SHA256:' + randomBytes(32).toString('base64').replace(/=+$/, '');
  const msg = await codeOf(connect(p, {}, { kind: 'fingerprint', sha256: wrong }));
  expect(msg).toMatch(/^HOST_KEY: .*expected pinned .* server presented /);
  expect(msg).toContain(p.fingerprint);
  const dir = mkdtempSync(join(tmpdir(), 'vmmi-kh-'));
  try {
    const salt = randomBytes(20);
    const hashed = createHmac('sha1', salt).update(`[127.0.0.1]:${p.port}`).digest('base64');
    const kh = join(dir, 'known_hosts');
    writeFileSync(
      kh,
      `# comment\nother.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBogus\n|1|${salt.toString('base64')}|${hashed} ${p.publicKey}\n`,
    );
    const ok = await connect(p, {}, { kind: 'known-hosts', file: kh });
    await ok.close();
    const other = await persona();
    writeFileSync(kh, `[127.0.0.1]:${p.port} ${other.publicKey}\n`);
    const bad = await codeOf(connect(p, {}, { kind: 'known-hosts', file: kh }));
    expect(bad).toMatch(
      new RegExp(
        `^HOST_KEY: .*server presented ${p.fingerprint.replace(/[+/]/g, '.')}, .*known_hosts expects ssh-ed25519 ${other.fingerprint.replace(/[+/]/g, '.')}`,
      ),
    );
    writeFileSync(kh, '');
    expect(await codeOf(connect(p, {}, { kind: 'known-hosts', file: kh }))).toMatch(
      /^HOST_KEY: .*no key for \[127.0.0.1\]:\d+ in .*ssh-keyscan/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const c = await connect(p, {}, { kind: 'insecure-accept-any-host-key' });
  await c.close();
  expect(insecureHostKeyConnections()).toContain(`u@127.0.0.1:${p.port}`);
});

test('a first RPC that a server holds back (netconfd hello quirk) is answered after one no-op RPC', async () => {
  const p = await persona({ holdFirstRpc: true });
  const c = await connect(p, { rpcTimeoutMs: 5000 });
  const t0 = performance.now();
  const r = await c.getConfig('running');
  expect(r.data?.name).toBe('data');
  expect(performance.now() - t0).toBeGreaterThan(180);
  expect(p.received).toEqual(['get-config', 'get-config']);
  // Only the first RPC is watched: later ones are never nudged.
  await c.getConfig('running');
  expect(p.received).toHaveLength(3);
  await c.close();
  const off = await connect(await persona({ holdFirstRpc: true }), { rpcTimeoutMs: 2000, helloNudgeMs: 0 });
  expect(await codeOf(off.getConfig('running'))).toMatch(/^TIMEOUT/);
  await off.close();
});
