import { test, expect } from '@playwright/test';
import { pathProbeArgs, pathProbeSettings } from './native.js';
import { machineMatches } from './remote.js';

test('argv with defaults: 3 probes, 16 hops, deadline hops x timeout + 1 s', () => {
  expect(pathProbeArgs('198.18.10.100')).toEqual(['--probes', '3', '--max-hops', '16', '--first-ttl', '1',
    '--timeout-ms', '1000', '--deadline-ms', '17000', '--port', '33434', '198.18.10.100']);
  expect(pathProbeArgs('2001:2:0:10::101', { probesPerHop: 1, maxHops: 4, probeTimeoutMs: 200, deadlineMs: 900 }))
    .toEqual(['--probes', '1', '--max-hops', '4', '--first-ttl', '1', '--timeout-ms', '200', '--deadline-ms', '900',
      '--port', '33434', '2001:2:0:10::101']);
});

test('bad options and targets are refused, naming them', () => {
  expect(() => pathProbeArgs('vm1')).toThrow(/not an IPv4 or IPv6 literal/);
  expect(() => pathProbeArgs('198.18.10.100 --port 1')).toThrow(/not an IPv4/);
  expect(() => pathProbeSettings({ probesPerHop: 11 })).toThrow(/probesPerHop: 11/);
  expect(() => pathProbeSettings({ maxHops: 0 })).toThrow(/maxHops: 0/);
  expect(() => pathProbeSettings({ maxHops: 4, firstTtl: 5 })).toThrow(/firstTtl: 5/);
  expect(() => pathProbeSettings({ port: 65_500 })).toThrow(/port: 65500/);
  expect(() => pathProbeSettings({ probeTimeoutMs: 1.5 })).toThrow(/probeTimeoutMs/);
});

test('the helper goes only to a machine of the build architecture', () => {
  expect(machineMatches('x64', 'x86_64\n')).toBe(true);
  expect(machineMatches('x64', 'aarch64')).toBe(false);
  expect(machineMatches('arm64', 'aarch64')).toBe(true);
});
