/**
 * The switch data-plane agent's bring-up phases, against real peers: the agent process `lab up`
 * starts (the prebuilt bundle), its log read back by the same wait `lab up` uses
 * (`waitAgentsSettled`). An sshd whose `netconf` subsystem never says hello leaves the agent stuck
 * before phase `hello`, and the verdict says so once that phase's deadline has passed; a port where
 * nothing listens leaves it stuck before `ssh`, quoting the refusal; against a real netconfd (yuma123)
 * in a namespace this spec creates (`vmmiap-<pid>`, loopback only) every phase comes within its
 * deadline. The stuck agents never reach a reconcile, so they run nothing on this host.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { freePort, startPrivateSshd, type PrivateSshd } from '../../test/helpers/private-sshd.js';
import { generateLabKeys, startNetconfSwitch, writeKnownHosts } from './netconf-imports.js';
/* eslint-disable no-restricted-imports -- internals checked directly, outside the public API (src/index.ts) */
import { runChecked, runLocal } from '../../src/exec/local.js';
import { spawnDetached } from '../../src/exec/spawn.js';
import { agentBundle } from '../../src/lab/agent/bundle.js';
import { AGENT_PHASE_DEADLINE_MS, AGENT_PHASES } from '../../src/lab/agent/phases.js';
import { terminate } from '../../src/lab/proc.js';
import { waitAgentsSettled } from '../../src/lab/switches.js';
/* eslint-enable no-restricted-imports */

test.skip(process.getuid?.() !== 0, 'namespaces and sshd need root');
test.setTimeout(90_000);

interface Started { readonly dir: string; stop(): Promise<void> }

/** Starts the agent (as `lab up` does: pid file right after the spawn) against host:port. */
async function startAgent(o: { port: number; key: string; knownHosts: string; netns?: string }): Promise<Started> {
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-agent-'));
  const argv = [process.execPath, await agentBundle(), '--name', 'sw1', '--host', '127.0.0.1', '--port',
    String(o.port), '--key', o.key, '--known-hosts', o.knownHosts, '--state', join(dir, 'agent-owned.json')];
  const pid = spawnDetached([...(o.netns === undefined ? [] : ['ip', 'netns', 'exec', o.netns]), ...argv],
    join(dir, 'agent.log'));
  await writeFile(join(dir, 'agent.pid'), `${pid}\n`);
  return { dir, stop: async () => {
    await terminate([pid], 3000);
    await rm(dir, { recursive: true, force: true });
  } };
}

test.describe('stuck agents are named with their phase', () => {
  let sshd: PrivateSshd;
  test.beforeAll(async () => {
    // A netconf subsystem that never writes: SSH succeeds, no hello ever comes.
    sshd = await startPrivateSshd({ subsystems: { netconf: '/bin/sleep 60' } });
  });
  test.afterAll(async () => sshd?.stop());

  test('no hello: late for phase hello after its deadline, not before', async () => {
    const knownHosts = join(sshd.dir, 'known_hosts');
    await writeFile(knownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostKey.publicLine}\n`);
    const agent = await startAgent({ port: sshd.port, key: sshd.clientKey.privateFile, knownHosts });
    try {
      const m = await waitAgentsSettled([{ name: 'sw1', dir: agent.dir }], { maxMs: 60_000 });
      const st = m.get('sw1');
      expect(st?.verdict, await readFile(join(agent.dir, 'agent.log'), 'utf8')).toMatchObject({ state: 'late',
        phase: 'hello', deadlineMs: AGENT_PHASE_DEADLINE_MS.hello });
      expect(st?.start?.phases.ssh).toBeDefined();
      expect(st?.detail).toMatch(/^stuck before phase hello: no netconfd's hello within 8 s/);
      // Judged late only once the deadline after `ssh` had passed.
      if (st?.verdict.state === 'late') expect(st.verdict.waitedMs).toBeGreaterThan(AGENT_PHASE_DEADLINE_MS.hello);
    } finally {
      await agent.stop();
    }
  });

  test('nothing listening: late for phase ssh, quoting the refusal', async () => {
    const port = await freePort();
    const knownHosts = join(sshd.dir, 'known_hosts_none');
    await writeFile(knownHosts, `[127.0.0.1]:${port} ${sshd.hostKey.publicLine}\n`);
    const agent = await startAgent({ port, key: sshd.clientKey.privateFile, knownHosts });
    try {
      const st = (await waitAgentsSettled([{ name: 'sw1', dir: agent.dir }], { maxMs: 60_000 })).get('sw1');
      expect(st?.verdict).toMatchObject({ state: 'late', phase: 'ssh' });
      expect(st?.detail).toMatch(/^stuck before phase ssh: .*last failure: .*ECONNREFUSED/);
    } finally {
      await agent.stop();
    }
  });
});

test('against a real netconfd every phase comes within its deadline, in order', async () => {
  const ns = `vmmiap-${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), 'vmmi-agent-nc-'));
  let agent: Started | undefined;
  let stopSwitch: (() => Promise<void>) | undefined;
  try {
    await runChecked(['ip', 'netns', 'add', ns], { timeoutMs: 5000 });
    await runChecked(['ip', '-n', ns, 'link', 'set', 'lo', 'up'], { timeoutMs: 5000 });
    const keys = await generateLabKeys(join(dir, 'keys'), { rsaBits: 2048 });
    const port = 830;
    const sw = await startNetconfSwitch({ dir: join(dir, 'sw1'), name: 'sw1', netns: ns, listenAddr: '127.0.0.1',
      port, hostKeyDir: keys.dir, authorizedKeysFile: keys.authorizedKeys, timeoutMs: 15_000, logLevel: 'warn' });
    stopSwitch = () => sw.stop();
    const knownHosts = join(dir, 'known_hosts');
    await writeKnownHosts(knownHosts, [{ host: '127.0.0.1', port, publicKeys: keys.hostPublicKeys }]);
    agent = await startAgent({ port, key: keys.clientEd25519, knownHosts, netns: ns });
    const st = (await waitAgentsSettled([{ name: 'sw1', dir: agent.dir }], { maxMs: 60_000 })).get('sw1');
    expect(st?.verdict.state, `${st?.detail}\n${await readFile(join(agent.dir, 'agent.log'), 'utf8')}`).toBe('ready');
    const at = AGENT_PHASES.map((p) => st?.start?.phases[p] ?? NaN);
    expect(at.every(Number.isFinite)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    console.log(`agent phases against netconfd: ${AGENT_PHASES.map((p, i) => `${p} ${at[i]?.toFixed(0)} ms`).join(', ')}`);
  } finally {
    await agent?.stop();
    await stopSwitch?.();
    await runLocal(['ip', 'netns', 'del', ns], { timeoutMs: 5000 });
    await rm(dir, { recursive: true, force: true });
  }
});
