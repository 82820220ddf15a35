import { test, expect } from '@playwright/test';
import type { TrafficHost } from '../../model/testbed.js';
import { placementArgv, placementFor } from '../udp/run.js';
import type { ProbeSpawner } from '../udp/spawn.js';
import { runDirPattern } from './ssh-host.js';

const never: ProbeSpawner = () => { throw new Error('not spawned in this test'); };
const h: TrafficHost = { name: 'h1', kind: 'ssh', address: '198.18.0.9', probeByDefault: true };

test('ssh placement from a remote host: one bundle subcommand per agent kind, config appended', () => {
  const p = placementFor(h, { spawner: never, agentArgv: (sub) => ['node', '/tmp/vmmi-r.abcdef/vmmi-agent.mjs', sub] });
  if (p.kind !== 'ssh') throw new Error(p.kind);
  const udp = { kind: 'udp', agent: { flows: [] } } as const;
  const tcp = { kind: 'tcp-session', session: { host: '198.18.0.1', port: 7, durationMs: 1 } } as const;
  const refl = { kind: 'reflector', reflector: { lifetimeMs: 1 } } as const;
  expect(placementArgv(p, udp)).toEqual(['node', '/tmp/vmmi-r.abcdef/vmmi-agent.mjs', 'udp-probe', JSON.stringify(udp)]);
  expect(placementArgv(p, tcp).slice(2)).toEqual(['tcp-session', JSON.stringify(tcp)]);
  expect(placementArgv(p, refl)[2]).toBe('udp-probe');
  expect(p.host).toBe('198.18.0.9');
});

test('ssh placement with a fixed agent argv keeps it for every kind', () => {
  const p = placementFor(h, { spawner: never, agentArgv: ['node', 'agent-main.js'] });
  if (p.kind !== 'ssh') throw new Error(p.kind);
  const tcp = { kind: 'tcp-session', session: { host: '198.18.0.1', port: 7, durationMs: 1 } } as const;
  expect(placementArgv(p, tcp)).toEqual(['node', 'agent-main.js', JSON.stringify(tcp)]);
});

test('close() removes only what mktemp made for this run id', () => {
  const re = runDirPattern('run.1');
  expect(re.test('/tmp/vmmi-run.1.Ab3xYz')).toBe(true);
  for (const bad of ['/tmp/vmmi-run.1.', '/tmp/vmmi-runx1.Ab3xYz', '/tmp/vmmi-run.1.Ab3xYz/..', '/', '/tmp',
    '/tmp/vmmi-run.1.Ab3 xYz', '/tmp/vmmi-run.2.Ab3xYz']) {
    expect(re.test(bad), bad).toBe(false);
  }
});
