import { test, expect } from '@playwright/test';
import { render } from '../../transports/netconf/xml-build.js';
import { parseXml } from '../../transports/netconf/xml.js';
import { monitorArgv, MONITOR_SCRIPT, readyPid, startError } from './ssh-monitor-script.js';
import { establishSubscription, prefixOfTarget, routesIn, yangPushSupport, NS_YP } from './yang-push.js';

test('establish-subscription: operational datastore, xpath filter with its prefixes, on-change or period in centiseconds', () => {
  const onChange = render(establishSubscription('on-change', 100));
  expect(onChange).toContain('<yp:datastore xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">ds:operational');
  expect(onChange).toContain('<yp:datastore-xpath-filter xmlns:rt="urn:ietf:params:xml:ns:yang:ietf-routing">/rt:routing/rt:ribs<');
  expect(onChange).toContain('<yp:on-change><yp:dampening-period>0</yp:dampening-period><yp:sync-on-start>true<');
  expect(render(establishSubscription('periodic', 250))).toContain('<yp:period>25</yp:period>');
  expect(render(establishSubscription('periodic', 3))).toContain('<yp:period>1</yp:period>');
  expect(yangPushSupport([`${NS_YP}?module=ietf-yang-push&features=on-change,foo`])).toEqual({ push: true, onChange: true });
  expect(yangPushSupport([`${NS_YP}-other`])).toEqual({ push: false, onChange: false });
});

test('routes from RFC 8349 data: next-hop addresses (lists too), else outgoing interfaces; delete targets', () => {
  const xml = '<ribs xmlns="urn:ietf:params:xml:ns:yang:ietf-routing"><rib><routes>'
    + '<route><destination-prefix>198.18.1.0/24</destination-prefix><next-hop><next-hop-list><next-hop>'
    + '<address>198.18.0.1</address></next-hop><next-hop><address>198.18.0.2</address></next-hop></next-hop-list>'
    + '</next-hop></route><route><destination-prefix>2001:2::/64</destination-prefix><next-hop>'
    + '<outgoing-interface>eth0</outgoing-interface></next-hop></route></routes></rib></ribs>';
  expect(routesIn(parseXml(xml))).toEqual([
    { prefix: '2001:2::/64', nextHops: ['eth0'] },
    { prefix: '198.18.1.0/24', nextHops: ['198.18.0.2', '198.18.0.1'] },
  ]);
  expect(prefixOfTarget(`/rt:routing/rt:ribs/rt:rib/rt:routes/rt:route[v4ur:destination-prefix="198.18.1.0/24"]`))
    .toBe('198.18.1.0/24');
  expect(prefixOfTarget('/ietf-routing:routing/ribs/rib=ipv6-master/routes/route=2001%3A2%3A%3A%2F64')).toBe('2001:2::/64');
  expect(prefixOfTarget('/ietf-routing:routing/ribs/rib=ipv4-master')).toBeUndefined();
});

test('SSH monitor script: a constant with one positional word; READY and errors are read from its output', () => {
  const argv = monitorArgv('fdb', 30_500);
  expect(argv).toEqual(['timeout', '-k', '2', '32', 'sh', '-c', MONITOR_SCRIPT, 'vmmi-monitor', 'fdb']);
  expect(() => monitorArgv('route; reboot' as 'route', 1000)).toThrow(TypeError);
  expect(MONITOR_SCRIPT).toContain('ip -ts -o monitor label route neigh');
  expect(readyPid('VMMI-READY 4711\n')).toBe(4711);
  expect(readyPid('[2026-12-07T05:48:00.7] [ROUTE]VMMI-READY 1')).toBeUndefined();
  const noProc = startError('leaf1', 'route', 'VMMI-ERR no-proc: /proc/net/netlink or /proc/9/fd is not readable\n', 'exit 3');
  expect(noProc).toMatchObject({ code: 'PRECHECK', device: 'leaf1' });
  expect(noProc.message).toContain('cannot confirm the netlink subscription: no-proc');
  expect(startError('leaf1', 'fdb', 'sh: 1: bridge: not found\n', 'exit 127')).toMatchObject({ code: 'PROBE' });
  expect(startError('leaf1', 'fdb', '', 'exit 127').message).toContain('channel ended (exit 127)');
});
