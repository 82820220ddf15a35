import { test, expect } from '@playwright/test';
import type { CommandRunner } from '../exec/types.js';
import { checkEndpoint, createLabTunnelDriver } from './lab-driver.js';
import type { TunnelEndpoint } from './header.js';

const start = { op: 'tunnel-start', device: 'torA', tunnel: 'vmmi-vm2-B', role: 'encap', local: '198.18.30.1',
  remote: '198.18.30.3' } as const;
const running = new Map<string, TunnelEndpoint & { device: string }>([
  ['torA/vmmi-vm1-B', { device: 'torA', tunnel: 'vmmi-vm1-B', local: '198.18.30.1', remote: '198.18.30.3',
    encapsulation: 'ipip' }],
]);

test('a second ipip tunnel between the same addresses of a device is refused, naming both and the way out', () => {
  expect(() => checkEndpoint(running, start)).toThrow(
    /torA: tunnel vmmi-vm2-B \(ipip 198\.18\.30\.1 ⇄ 198\.18\.30\.3\) cannot run beside tunnel vmmi-vm1-B.*use encapsulation udp/s,
  );
  expect(checkEndpoint(running, { ...start, encapsulation: 'udp' })).toMatchObject({ encapsulation: 'udp' });
  expect(checkEndpoint(running, { ...start, encapsulation: 'gre' })).toMatchObject({ encapsulation: 'gre' });
  expect(checkEndpoint(running, { ...start, device: 'torB' })).toMatchObject({ encapsulation: 'ipip' });
});

test('a start that fails records no endpoint: the next tunnel is not refused as a conflict', async () => {
  const calls: string[][] = [];
  const runner: CommandRunner = { where: 'test', run: (argv) => {
    calls.push([...argv]);
    return Promise.reject(new Error('no command expected'));
  } };
  const drv = createLabTunnelDriver({ nsOf: (d) => `ns-${d}`, runnerOf: () => runner, maxLifetimeMs: 1000,
    binary: '/nonexistent/tunagent', interfaceOf: () => undefined });
  // No such namespace or binary: both starts fail on spawning, neither on the conflict check.
  await expect(drv.apply(start, { timeoutMs: 2000 })).rejects.toThrow(/tunnel agent vmmi-vm2-B \(ipip\)|cannot start/);
  await expect(drv.apply({ ...start, tunnel: 'vmmi-vm3-B' }, { timeoutMs: 2000 }))
    .rejects.not.toThrow(/cannot run beside/);
  expect(drv.agents.size).toBe(0);
  expect(calls).toEqual([]); // no route or rule command for a tunnel that never started
});
