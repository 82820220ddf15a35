import { test, expect } from '@playwright/test';
import { toL2TimelineEvents, toRouteChanges } from './adapter.js';
import { createChangeTracker, parseMonitorText } from './parse.js';
import type { MonitorRecord } from './run.js';

/** Records as NetnsMonitor builds them: parsed, classified, receipt-stamped 0.5 ms after iproute2's stamp. */
function records(text: string, router: string, defaultObject: 'route' | 'fdb' = 'route'): MonitorRecord[] {
  const tr = createChangeTracker();
  return parseMonitorText(text, { defaultObject }).map((e, i) => {
    const c = tr.classify(e);
    const wallMs = (c.kernelWallMs ?? 0) + 0.5;
    return { ...c, t: { wallMs, monoNs: BigInt(i) * 1_000_000n }, ns: `vmmi-${router}`, router };
  });
}

test('only forwarding routes become RouteChanges; replace counts as add; next hop from via, nexthops or dev', () => {
  const recs = records(
    [
      '[2026-11-25T13:49:50.018340] [ROUTE]local 198.18.11.1 dev brB table local proto kernel scope host src 198.18.11.1 ',
      '[2026-11-25T13:49:50.018574] [ROUTE]broadcast 198.18.11.255 dev brB table local proto kernel scope link src 198.18.11.1 ',
      '[2026-11-25T13:49:50.100000] [ROUTE]198.18.10.100 dev brB scope link src 198.18.10.1 ',
      '[2026-11-25T13:49:50.200000] [ROUTE]198.18.10.100 via 198.18.30.2 dev up0 proto bgp metric 20 ',
      '[2026-11-25T13:49:50.250000] [ROUTE]198.18.12.0/24 proto bgp metric 20 ',
      '\tnexthop via 198.18.30.2 dev up0 weight 1 ',
      '\tnexthop via 198.18.30.4 dev up1 weight 1 ',
      '[2026-11-25T13:49:50.300000] [NEIGH]198.18.11.50 dev brB lladdr 52:54:00:12:0a:64 REACHABLE ',
      '[2026-11-25T13:49:50.400000] [ROUTE]Deleted 198.18.10.100 via 198.18.30.2 dev up0 proto bgp metric 20 ',
    ].join('\n'),
    'torB',
  );
  const ch = toRouteChanges(recs);
  expect(ch.map((c) => [c.router, c.action, c.prefix, c.nextHop])).toEqual([
    ['torB', 'add', '198.18.10.100/32', 'brB'],
    ['torB', 'add', '198.18.10.100/32', '198.18.30.2'],
    ['torB', 'add', '198.18.12.0/24', '198.18.30.2,198.18.30.4'],
    ['torB', 'del', '198.18.10.100/32', '198.18.30.2'],
  ]);
  expect(ch[0]).toMatchObject({ offsetMs: 0, uncertaintyMs: 0.5 });
  // receipt stamps are kept as the controller clock: ordered like the records
  expect(ch.map((c) => c.t.monoNs)).toEqual([2_000_000n, 3_000_000n, 4_000_000n, 6_000_000n]);
});

test('neighbour and FDB records become control-plane timeline events: a local learn is mac-move (with the old port), an EVPN install evpn-update', () => {
  const fdb = records(
    [
      'Timestamp: Wed Nov 25 13:49:42 2026 5012 usec',
      '52:54:00:12:0a:64 dev hv1 master brA ',
      'Timestamp: Wed Nov 25 13:49:43 2026 817200 usec',
      '52:54:00:12:0a:64 dev vxlan100 master brA extern_learn ',
    ].join('\n'),
    'torA',
    'fdb',
  );
  const ev = toL2TimelineEvents(fdb);
  expect(ev.map((e) => [e.source, e.host, e.kind, e.detail?.address, e.detail?.dev, e.detail?.previous])).toEqual([
    ['control-plane', 'torA', 'mac-move', '52:54:00:12:0a:64', 'hv1', undefined],
    ['control-plane', 'torA', 'evpn-update', '52:54:00:12:0a:64', 'vxlan100', 'hv1'],
  ]);
  expect(toRouteChanges(fdb)).toEqual([]);
});
