import { test, expect } from '@playwright/test';
import { nlrouteLine, parseAnswer } from './netlink.js';
import { isRouteCommand, reconcile, routeArgv, routesAfter, type ActualState } from './reconcile.js';

test.describe('nlroute line protocol', () => {
  test('maps the reconcile plan\'s route argv to helper lines', () => {
    expect(nlrouteLine('r1', routeArgv('replace', { dst: '198.18.10.100/32', via: '198.18.30.3' })))
      .toBe('r1 replace 198.18.10.100/32 via 198.18.30.3');
    expect(nlrouteLine('r2', routeArgv('replace', { dst: '2001:2:0:10::100', dev: 'br101' })))
      .toBe('r2 replace 2001:2:0:10::100/128 dev br101');
    expect(nlrouteLine('r3', routeArgv('del', { dst: '198.18.10.100/32', via: '198.18.30.3' })))
      .toBe('r3 del 198.18.10.100/32');
    expect(nlrouteLine('r4', ['ip', 'route', 'replace', '198.18.1.0/24', 'via', 'fe80::1', 'dev', 'up0', 'proto', 'static']))
      .toBe('r4 replace 198.18.1.0/24 via fe80::1 dev up0');
  });

  test('leaves every other command to a spawn', () => {
    expect(nlrouteLine('x', ['ip', 'addr', 'add', '198.18.10.1/24', 'dev', 'br101'])).toBeUndefined();
    expect(nlrouteLine('x', ['ip', 'route', 'replace', '198.18.1.0/24', 'proto', 'kernel'])).toBeUndefined();
    expect(nlrouteLine('x', ['ip', 'route', 'replace', '198.18.1.0/24', 'metric', '10'])).toBeUndefined();
    expect(nlrouteLine('x', ['ip', 'route', 'add', '198.18.1.0/24'])).toBeUndefined();
    expect(nlrouteLine('x', ['ip', 'route', 'replace', '198.18.1.1'])).toBeUndefined();
    expect(nlrouteLine('x', ['ip', 'route', 'replace', '198.18.1.0/24', 'via'])).toBeUndefined();
    expect(nlrouteLine('x', ['bridge', 'fdb', 'flush', 'dev', 'br0'])).toBeUndefined();
    expect(isRouteCommand(['ip', '-6', 'route', 'del', '2001:2::/64'])).toBe(true);
    expect(isRouteCommand(['ip', 'link', 'set', 'dev', 'x', 'up'])).toBe(false);
  });

  test('reads answers, and nothing else', () => {
    expect(parseAnswer('r1 ok')).toEqual({ id: 'r1', ok: true });
    expect(parseAnswer('r9 err 3 No such process')).toEqual({ id: 'r9', ok: false, errno: 3, error: 'No such process' });
    expect(parseAnswer('nlroute: bind: Permission denied')).toBeUndefined();
    expect(parseAnswer('')).toBeUndefined();
  });
});

test.describe('cached kernel view', () => {
  const actual: ActualState = {
    links: [{ name: 'up0', up: true, addresses: [] }],
    routes: [{ dst: '198.18.10.100/32', via: '198.18.30.3', dev: 'up0' }],
  };

  test('after a move the cache holds what the commands made, so the next plan is empty', () => {
    const desired = { interfaces: [], routes: [{ dst: '198.18.11.100/32', via: '198.18.30.3' }] };
    const plan = reconcile(desired, actual);
    expect(plan.commands.map((c) => c.join(' '))).toEqual([
      'ip route del 198.18.10.100/32 proto static',
      'ip route replace 198.18.11.100/32 via 198.18.30.3 proto static',
    ]);
    const after = { ...actual, routes: routesAfter(desired.routes, actual.routes) };
    expect(after.routes).toEqual([{ dst: '198.18.11.100/32', via: '198.18.30.3' }]);
    expect(reconcile(desired, after).commands).toEqual([]);
  });

  test('a route that already satisfied the config stays as read (with its device)', () => {
    const desired = { interfaces: [], routes: [{ dst: '198.18.10.100', via: '198.18.30.3' }] };
    expect(routesAfter(desired.routes, actual.routes)).toEqual([{ dst: '198.18.10.100/32', via: '198.18.30.3', dev: 'up0' }]);
    const changed = { interfaces: [], routes: [{ dst: '198.18.10.100/32', via: '198.18.30.9' }] };
    expect(routesAfter(changed.routes, actual.routes)).toEqual([{ dst: '198.18.10.100/32', via: '198.18.30.9' }]);
  });
});
