/**
 * Every NETCONF operation of vmmi's client against a real netconfd (NOSIL, behind OpenSSH) on
 * loopback, plus rpc-error fields from real invalid edits and host-key refusal.
 */
import { test, expect } from '@playwright/test';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startNetconfLab, type NetconfLab } from './netconf-lab.js';
import {
  NS_IANAIFT, NS_IF, NetconfClient, e, el, isVmmiError, nodeOperation, textAt, childrenNamed, child,
} from './netconf-imports.js';

let lab: NetconfLab;
let c: NetconfClient;
test.beforeAll(async () => {
  lab = await startNetconfLab(18400);
  c = await lab.connect();
});
test.afterAll(async () => {
  await c?.close();
  await lab?.stop();
});

const iface = (name: string, attrs: Record<string, string> = {}, ...extra: ReturnType<typeof e>[]) =>
  el('interfaces', { xmlns: NS_IF }, el('interface', attrs, e('name', name),
    el('type', { 'xmlns:ianaift': NS_IANAIFT }, 'ianaift:ethernetCsmacd'), ...extra));
const ifFilter = { type: 'subtree' as const, content: el('interfaces', { xmlns: NS_IF }) };

async function names(source: 'running' | 'candidate' | 'startup'): Promise<string[]> {
  const r = await c.getConfig(source, ifFilter);
  return childrenNamed(child(r.data, 'interfaces'), 'interface').map((i) => textAt(i, 'name') ?? '');
}

async function rpcError(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    if (isVmmiError(err) && err.code === 'NETCONF_RPC')
      return { ...(err as unknown as { errors: Record<string, unknown>[] }).errors[0] };
    throw err;
  }
  throw new Error('expected an rpc-error');
}

test('hello negotiated base:1.1 and the expected capabilities', () => {
  expect(c.session.framing).toBe('chunked');
  expect(c.sessionId).toBeGreaterThan(0);
  expect(c.hasCandidate).toBe(true);
  expect(c.has('urn:ietf:params:netconf:capability:confirmed-commit:1.1')).toBe(true);
});

test('edit-config operations: merge, create, replace, delete, remove; default-operation; commit; discard', async () => {
  await c.editConfig(iface('op-a', {}, e('description', 'merged')));
  expect(await names('candidate')).toContain('op-a');
  expect(await names('running')).not.toContain('op-a');
  await c.commit();
  expect(await names('running')).toContain('op-a');
  expect(await rpcError(c.editConfig(iface('op-a', nodeOperation('create'))))).toMatchObject({ tag: 'data-exists' });
  await c.discardChanges();
  await c.editConfig(iface('op-a', nodeOperation('replace'), e('description', 'replaced')));
  const cand = await c.getConfig('candidate', ifFilter);
  expect(cand.xml()).toContain('replaced');
  await c.discardChanges();
  expect((await c.getConfig('candidate', ifFilter)).xml()).toContain('merged');
  await c.editConfig(iface('op-a', nodeOperation('delete')));
  await c.commit();
  expect(await names('running')).not.toContain('op-a');
  expect(await rpcError(c.editConfig(iface('op-a', nodeOperation('delete'))))).toMatchObject({ tag: 'data-missing' });
  await c.discardChanges();
  await c.editConfig(iface('op-a', nodeOperation('remove'))); // remove of a missing node is silent
  await c.editConfig(iface('op-b'), { defaultOperation: 'none' }); // none: nothing created without an explicit op
  expect(await names('candidate')).not.toContain('op-b');
  await c.discardChanges();
});

test('get and get-config with subtree and XPath filters; get returns state', async () => {
  await c.editConfig(iface('flt-1', {}, e('description', 'x1')));
  await c.editConfig(iface('flt-2'));
  await c.commit();
  const sub = await c.getConfig('running', {
    type: 'subtree',
    content: el('interfaces', { xmlns: NS_IF }, e('interface', e('name', 'flt-1'))),
  });
  expect(childrenNamed(child(sub.data, 'interfaces'), 'interface').map((i) => textAt(i, 'name'))).toEqual(['flt-1']);
  const xp = await c.getConfig('running', {
    type: 'xpath',
    select: "/if:interfaces/if:interface[if:name='flt-2']",
    namespaces: { if: NS_IF },
  });
  expect(childrenNamed(child(xp.data, 'interfaces'), 'interface').map((i) => textAt(i, 'name'))).toEqual(['flt-2']);
  const state = await c.get({
    type: 'subtree',
    content: el('netconf-state', { xmlns: 'urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring' }, e('sessions')),
  });
  expect(state.xml()).toContain(`<session-id>${c.sessionId}</session-id>`);
  await c.editConfig(el('interfaces', { xmlns: NS_IF }, el('interface', nodeOperation('delete'), e('name', 'flt-1')),
    el('interface', nodeOperation('delete'), e('name', 'flt-2'))));
  await c.commit();
});

test('validate (datastore and inline), test-option test-only, error-option rollback-on-error', async () => {
  await c.validate('candidate');
  await c.validate({ config: iface('val-1') });
  await c.editConfig(iface('val-2'), { testOption: 'test-only' });
  expect(await names('candidate')).not.toContain('val-2');
  const bad = el('interfaces', { xmlns: NS_IF },
    el('interface', {}, e('name', 'rb-ok'), el('type', { 'xmlns:ianaift': NS_IANAIFT }, 'ianaift:ethernetCsmacd')),
    el('interface', {}, e('name', 'rb-bad'), e('bogus', '1')));
  await rpcError(c.editConfig(bad, { errorOption: 'rollback-on-error' }));
  expect(await names('candidate')).not.toContain('rb-ok');
  await c.discardChanges();
});

test('copy-config running→startup, delete-config startup, lock/unlock', async () => {
  await c.editConfig(iface('cp-1'));
  await c.commit();
  await c.copyConfig('startup', 'running');
  expect(await names('startup')).toContain('cp-1');
  await c.deleteConfig('startup');
  expect(await rpcError(c.deleteConfig('running'))).toMatchObject({ type: 'protocol' });
  await c.lock('running');
  await c.lock('candidate');
  await c.unlock('candidate');
  await c.unlock('running');
  await c.editConfig(iface('cp-1', nodeOperation('delete')));
  await c.commit();
});

test('rpc-error fields from real invalid edits', async () => {
  const ip = await rpcError(
    c.editConfig(
      el(
        'routing',
        { xmlns: 'urn:ietf:params:xml:ns:yang:ietf-routing' },
        e(
          'control-plane-protocols',
          e(
            'control-plane-protocol',
            el('type', { 'xmlns:rt': 'urn:ietf:params:xml:ns:yang:ietf-routing' }, 'rt:static'),
            e('name', 'err'),
            e(
              'static-routes',
              el(
                'ipv4',
                { xmlns: 'urn:ietf:params:xml:ns:yang:ietf-ipv4-unicast-routing' },
                e('route', e('destination-prefix', '198.18.1.0/24'), e('next-hop', e('next-hop-address', '999.1.1.1'))),
              ),
            ),
          ),
        ),
      ),
    ),
  );
  expect(ip).toMatchObject({ type: 'protocol', tag: 'invalid-value', severity: 'error', appTag: 'pattern-test-failed',
    message: 'pattern match failed', info: { 'bad-value': '999.1.1.1' } });
  expect(String(ip.path)).toContain('next-hop-address');
  const unknown = await rpcError(c.editConfig(iface('err-1', {}, e('bogus', '1'))));
  expect(unknown).toMatchObject({ tag: 'unknown-element', info: { 'bad-element': 'if:bogus' } });
  const running = await rpcError(c.editConfig(iface('err-2'), { target: 'running' }));
  expect(running).toMatchObject({ tag: 'operation-failed' });
  await c.discardChanges();
});

test('kill-session ends another session; close-session ends our own', async () => {
  const other = await lab.connect();
  await c.killSession(other.sessionId);
  await expect.poll(() => other.session.closed, { timeout: 5000 }).toBe(true);
  const own = await lab.connect();
  await own.close();
  expect(own.session.closed).toBe(true);
});

test('host key mismatch is refused before authentication', async () => {
  const wrong = join(lab.dir, 'wrong_known_hosts');
  const other = lab.keys.hostPublicKeys[0]?.replace(/AAAA\S+/, (k) => k.slice(0, -8) + 'AAAAAAAA') ?? '';
  await writeFile(wrong, `[127.0.0.1]:${lab.port} ${other}\n`);
  const err = await NetconfClient.connect(
    {
      name: 'mitm',
      host: '127.0.0.1',
      port: lab.port,
      credentials: lab.switchModel.credentials,
      hostKey: { kind: 'known-hosts', file: wrong },
    },
    { timeoutMs: 5000 },
  ).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(err).toMatchObject({ code: 'HOST_KEY' });
  expect(String((err as Error).message)).toMatch(
    /host key mismatch: server presented SHA256:\S+, .*wrong_known_hosts expects ssh-ed25519/,
  );
});
