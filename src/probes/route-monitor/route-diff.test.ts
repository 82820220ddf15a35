import { test, expect } from '@playwright/test';
import { diffRoutes, routeKey, routeSnapshot } from './route-diff.js';

test('snapshots key prefixes with explicit lengths and merge next hops of a prefix across entries', () => {
  const s = routeSnapshot([
    { prefix: '198.18.10.100', nextHop: '198.18.0.2' },
    { prefix: '198.18.10.100/32', nextHops: ['198.18.0.1'] },
    { prefix: '2001:2:0:10::A/128', nextHops: ['FE80::1'] },
    { prefix: '198.18.20.0/24', nextHops: [], active: false },
  ]);
  expect([...s]).toEqual([['198.18.10.100/32', '198.18.0.1,198.18.0.2'], ['2001:2:0:10::a/128', 'fe80::1']]);
  expect(routeKey('default')).toBe('0.0.0.0/0');
});

test('diff: removed prefixes are del, new ones add, changed next hops add with previous; equal is silent', () => {
  const a = routeSnapshot([{ prefix: '198.18.1.0/24', nextHop: 'a' }, { prefix: '198.18.2.0/24', nextHop: 'b' },
    { prefix: '198.18.3.0/24', nextHop: 'c' }]);
  const b = routeSnapshot([{ prefix: '198.18.1.0/24', nextHop: 'a' }, { prefix: '198.18.2.0/24', nextHop: 'x' },
    { prefix: '198.18.4.0/24' }]);
  expect(diffRoutes(a, b)).toEqual([
    { prefix: '198.18.2.0/24', action: 'add', nextHop: 'x', previous: 'b' },
    { prefix: '198.18.3.0/24', action: 'del', nextHop: 'c' },
    { prefix: '198.18.4.0/24', action: 'add' },
  ]);
  expect(diffRoutes(a, a)).toEqual([]);
  expect(diffRoutes(new Map(), a).map((d) => d.action)).toEqual(['add', 'add', 'add']);
});
