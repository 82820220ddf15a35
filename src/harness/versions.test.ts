import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import type { HypervisorDriver } from '../drivers/hypervisor/types.js';
import type { SwitchDriver } from '../drivers/switch/types.js';
import type { CommandResult, CommandRunner } from '../exec/types.js';
import { validateTestbedText } from '../inventory/load.js';
import type { Testbed } from '../model/testbed.js';
import { hypervisorKey, readDeviceVersions } from './versions.js';

// hv1, hv2 (qemu+tcp), torA, torB (netconf-ietf), traffic host `client`.
function mini(): Testbed {
  const text = readFileSync(join(import.meta.dirname, '../../test/fixtures/testbeds/good-mini.yaml'), 'utf8');
  const r = validateTestbedText(text, 'good-mini.yaml', { env: { VMMI_TEST_PW: 'pw' } });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.testbed;
}

// Only the calls the inventory makes; the rest of each interface is never reached.
const hv = (lib: number, qemu: number, name: string) =>
  ({ libVersion: async () => lib, hypervisorVersion: async () => qemu, hostname: async () => name }) as
    unknown as HypervisorDriver;
const sw = (readVersion?: SwitchDriver['readVersion']) =>
  ({ kind: 'netconf-ietf', device: 'x', ...(readVersion ? { readVersion } : {}) }) as unknown as SwitchDriver;
const result = (argv: readonly string[], stdout: string, exitCode: number, stderr = ''): CommandResult =>
  ({ argv, stdout, stderr, exitCode, durationMs: 1, failed: exitCode !== 0, timedOut: false });

test('every device is asked in parallel; a hung switch times out alone and its call is aborted', async () => {
  let hungSignal: AbortSignal | undefined;
  const runner: CommandRunner = {
    where: 'netns:client',
    run: async (argv) => (argv[0] === 'uname' ? result(argv, '6.1.0-18-amd64\n', 0)
      : result(argv, '', 127, 'node: not found')),
  };
  const started = Date.now();
  const out = await readDeviceVersions(mini(), {
    hypervisors: new Map([['hv1', hv(10_000_000, 7_002_000, 'hv1.lab')]]),
    switchDriver: async (name) => name === 'torA'
      ? sw(async () => ({ source: 'q', 'os-release': '5.15' }))
      : sw((o) => new Promise((_, reject) => {
        hungSignal = o?.signal;
        o?.signal?.addEventListener('abort', () => reject(new Error('aborted by the deadline')));
      })),
    runnerOf: async () => runner,
    timeoutMs: 300,
  });
  expect(Date.now() - started).toBeLessThan(2_000);
  expect(out).toEqual([
    { device: 'hv1', role: 'hypervisor',
      versions: { source: 'libvirt', libvirt: '10.0.0', qemu: '7.2.0', hostname: 'hv1.lab' } },
    { device: 'hv2', role: 'hypervisor', versions: {}, error: 'hv2: no open hypervisor driver' },
    { device: 'torA', role: 'tor', versions: { source: 'q', 'os-release': '5.15' } },
    { device: 'torB', role: 'tor', versions: {}, error: 'torB: read versions timed out (after 300 ms)' },
    { device: 'client', role: 'traffic-host', versions: { source: 'netns:client', kernel: '6.1.0-18-amd64',
      unanswered: 'node --version: node: not found' } },
  ]);
  expect(hungSignal?.aborted).toBe(true);
});

test('missing capabilities are errors, never invented versions', async () => {
  const out = await readDeviceVersions(mini(), {
    hypervisors: new Map([['hv1', hv(9_000_000, 0, 'a')], ['hv2', hv(9_000_000, 0, 'b')]]),
    switchDriver: async (name) => {
      if (name === 'torA') return sw();
      throw new Error('torB: connect failed: ECONNREFUSED');
    },
    runnerOf: async () => undefined,
  });
  expect(out[0]?.versions).toEqual({ source: 'libvirt', libvirt: '9.0.0', hostname: 'a',
    unanswered: 'hypervisor version: libvirt reports it as unknown (0)' });
  expect(out.slice(2).map((d) => d.error)).toEqual([
    'torA: the netconf-ietf driver has no version query',
    'torB: connect failed: ECONNREFUSED',
    'client: the testbed offers no way to run commands on this host',
  ]);
  expect(out.slice(2).every((d) => Object.keys(d.versions).length === 0)).toBe(true);
});

test('a traffic host answering nothing is an error naming both commands', async () => {
  const tb = mini();
  const out = await readDeviceVersions({ ...tb, hypervisors: [], switches: [] }, {
    hypervisors: new Map(), switchDriver: () => Promise.reject(new Error('unused')),
    runnerOf: async () => ({ where: 'ssh:client', run: async (argv) => result(argv, '', 255, 'Connection refused') }),
  });
  expect(out).toEqual([{ device: 'client', role: 'traffic-host', versions: {}, error:
    'client: read versions failed: no version query answered (uname -r: Connection refused; ' +
    'node --version: Connection refused)' }]);
});

test('the hypervisor version is named by the libvirt driver of the URI', () => {
  expect(hypervisorKey('qemu+tcp://198.18.10.11/system')).toBe('qemu');
  expect(hypervisorKey('qemu:///system')).toBe('qemu');
  expect(hypervisorKey('test:///default')).toBe('test');
  expect(hypervisorKey('weird')).toBe('hypervisor');
});
