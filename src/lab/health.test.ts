import { test, expect } from '@playwright/test';
import { bgpResults, healthVerdict } from './health.js';

test('the verdict passes only when every check passed, and names node and reason of each failure', () => {
  const results = [
    ...bgpResults([
      { router: 'torA', peer: 'coreA', address: '198.18.30.0', state: 'Established' },
      { router: 'coreA', peer: 'coreB', address: '198.18.31.1', state: 'Active' },
    ]),
    {
      node: 'vm1',
      check: 'reflector IPv6 2001:2:0:10::100:7 from client',
      ok: false,
      detail: 'no echo to 20 datagram(s)',
    },
  ];
  const v = healthVerdict(results);
  expect(v.ok).toBe(false);
  expect(v.failures).toEqual([
    'coreA→coreB: BGP 198.18.31.1: Active',
    'vm1: reflector IPv6 2001:2:0:10::100:7 from client: no echo to 20 datagram(s)',
  ]);
  expect(healthVerdict(results.filter((r) => r.ok)).ok).toBe(true);
});

test('no checks at all is not healthy', () => {
  expect(healthVerdict([]).ok).toBe(false);
});
