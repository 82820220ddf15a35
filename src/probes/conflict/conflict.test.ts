import { readFileSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import type { Testbed } from '../../model/testbed.js';
import { canonicalIp, parseArping, parseDadState, parseNeighMac, sameIp } from './parse.js';
import { recordHolders, vmByMac } from './records.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/ip/${name}`, import.meta.url), 'utf8');

test('arping -D: replies with MACs (lower-cased, one per holder), free address has none', () => {
  expect(parseArping(fixture('arping-dad-conflict.txt'))).toEqual({
    replies: [{ ip: '198.18.251.7', mac: '42:48:3a:48:cc:1e' }],
    sent: 1,
  });
  // without -D arping keeps listening: two holders, the repeated reply of the first one counted once
  const two =
    'Unicast reply from 198.18.251.7 [42:48:3A:48:CC:1E]  0.5ms\nUnicast reply from 198.18.251.7 [02:00:C6:12:FB:08]  0.7ms\n' +
    'Unicast reply from 198.18.251.7 [42:48:3A:48:CC:1E]  0.4ms\nSent 2 probes (1 broadcast(s))\n';
  expect(parseArping(two).replies.map((r) => r.mac)).toEqual(['42:48:3a:48:cc:1e', '02:00:c6:12:fb:08']);
  expect(parseArping(fixture('arping-dad-free.txt'))).toEqual({ replies: [], sent: 2 });
  expect(parseArping('arping: Device br9 not available.')).toEqual({ replies: [] });
});

test('DAD state of an address in ip -6 -o addr show, neighbour MAC', () => {
  const out = fixture('ip6-addr-dad.txt');
  expect(parseDadState(out, '2001:2:0:251::7')).toBe('dadfailed');
  expect(parseDadState(out, '2001:2:0:251:0:0:0:8')).toBe('tentative');
  expect(parseDadState(out, 'fe80::2cac:22ff:feb5:6a7')).toBe('valid');
  expect(parseDadState(out, '2001:2:0:251::9')).toBe('absent');
  expect(parseNeighMac('2001:2:0:251::7 lladdr 42:48:3A:48:cc:1e REACHABLE \n', '2001:2:0:251::7')).toBe(
    '42:48:3a:48:cc:1e',
  );
  expect(parseNeighMac('2001:2:0:251::7 FAILED\n', '2001:2:0:251::7')).toBeUndefined();
});

test('canonical IPv6 comparison', () => {
  expect(canonicalIp('2001:2::1')).toBe('2001:0002:0000:0000:0000:0000:0000:0001');
  expect(canonicalIp('::')).toBe('0000:0000:0000:0000:0000:0000:0000:0000');
  expect(canonicalIp('2001:2:0:251::7/64')).toBe(canonicalIp('2001:2:0:251:0:0:0:7'));
  expect(canonicalIp('2001::2::1')).toBeUndefined();
  expect(canonicalIp('1:2:3:4:5:6:7')).toBeUndefined();
  expect(canonicalIp('198.18.300.1')).toBeUndefined();
  expect(sameIp('198.18.10.100/24', '198.18.10.100')).toBe(true);
});

const tb = {
  vms: [
    { name: 'vm1', ipv4: '198.18.10.100/24', ipv6: '2001:2:0:10::100/64', mac: '52:54:00:12:0A:64' },
    { name: 'vm2', ipv4: '198.18.11.50/24', mac: '52:54:00:12:0b:32' },
  ],
  hypervisors: [{ name: 'hv3', address: '198.18.11.13' }],
  links: [
    {
      endpoints: [
        { device: 'torB', port: 'up0', ipv4: '198.18.30.3/31' },
        { device: 'coreB', port: 'to-torB', ipv6: '2001:2:0:32::/127' },
      ],
    },
  ],
  subnets: [{ name: 'siteB-vms', ipv4: { prefix: '198.18.11.0/24', gateway: '198.18.11.1' } }],
  trafficHosts: [{ name: 'client', ipv4: '198.18.20.2/24' }],
} as unknown as Testbed;

test('testbed records: every kind of holder, the moving VM excluded, VM by MAC', () => {
  expect(recordHolders(tb, '198.18.10.100', 'vm1')).toEqual([]);
  expect(recordHolders(tb, '2001:2:0:10:0::100')).toEqual([{ name: 'vm1', kind: 'vm', mac: '52:54:00:12:0a:64' }]);
  expect(recordHolders(tb, '198.18.11.50', 'vm1')).toEqual([{ name: 'vm2', kind: 'vm', mac: '52:54:00:12:0b:32' }]);
  expect(recordHolders(tb, '198.18.11.13')[0]).toEqual({ name: 'hv3', kind: 'hypervisor' });
  expect(recordHolders(tb, '198.18.30.3')[0]).toEqual({ name: 'torB:up0', kind: 'switch-port' });
  expect(recordHolders(tb, '2001:2:0:32::')[0]).toEqual({ name: 'coreB:to-torB', kind: 'switch-port' });
  expect(recordHolders(tb, '198.18.11.1')[0]).toEqual({ name: 'gateway of siteB-vms', kind: 'gateway' });
  expect(recordHolders(tb, '198.18.20.2')[0]).toEqual({ name: 'client', kind: 'traffic-host' });
  expect(recordHolders(tb, '198.18.11.99')).toEqual([]);
  expect(vmByMac(tb, '52:54:00:12:0b:32')).toBe('vm2');
  expect(vmByMac(tb, '02:00:00:00:00:01')).toBeUndefined();
});
