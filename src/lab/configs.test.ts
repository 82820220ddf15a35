import { test, expect } from '@playwright/test';
import { bgpdConf, DUP_ADDR_MAX_MOVES, DUP_ADDR_TIME_S, type BgpdInput } from './configs.js';

const router = (tor: boolean): BgpdInput => ({
  name: tor ? 'torA' : 'coreA', asn: tor ? 65101 : 65001, routerId: '198.18.30.1', tor,
  neighbors: [{ address: '198.18.30.2', asn: 65001 }, { address: '2001:2:0:30::2', asn: 65001 }],
  anycast: ['198.18.10.1/32'], frrDir: '/tmp/frr/x',
});

/** The lines of `address-family l2vpn evpn` in a bgpd.conf. */
const evpnBlock = (conf: string): string[] => {
  const lines = conf.split('\n');
  const from = lines.indexOf(' address-family l2vpn evpn');
  const to = lines.indexOf(' exit-address-family', from);
  return from < 0 || to < 0 ? [] : lines.slice(from + 1, to);
};

test('TORs run EVPN duplicate-MAC detection at RFC 7432 defaults (5 moves in 180 s), without freeze', () => {
  expect([DUP_ADDR_MAX_MOVES, DUP_ADDR_TIME_S]).toEqual([5, 180]);
  const evpn = evpnBlock(bgpdConf(router(true)));
  expect(evpn).toContain('  dup-addr-detection max-moves 5 time 180');
  // FRR refuses the command before the instance is the EVPN one: it must follow advertise-all-vni.
  expect(evpn.indexOf('  dup-addr-detection max-moves 5 time 180')).toBeGreaterThan(evpn.indexOf('  advertise-all-vni'));
  expect(evpn.indexOf('  advertise-all-vni')).toBeGreaterThanOrEqual(0);
  expect(evpn.filter((l) => l.includes('freeze'))).toEqual([]);
});

test('routers that are not TORs carry no EVPN VNIs and no duplicate detection lines', () => {
  const evpn = evpnBlock(bgpdConf(router(false)));
  expect(evpn).toEqual(['  neighbor 198.18.30.2 activate']);
});
