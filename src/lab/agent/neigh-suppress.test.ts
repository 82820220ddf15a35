import { expect, test } from '@playwright/test';
import { parsePortFlags, portFlagCommands } from './neigh-suppress.js';

// `ip -d -j link show master br100` on a TOR (iproute2 6.1), trimmed: a host port and the VXLAN port.
const PORTS = '[{"ifname":"hv1","master":"br100","linkinfo":{"info_kind":"veth","info_slave_kind":"bridge",'
  + '"info_slave_data":{"learning":true,"neigh_suppress":false}}},{"ifname":"vxlan100","master":"br100",'
  + '"linkinfo":{"info_kind":"vxlan","info_data":{"id":100},"info_slave_kind":"bridge",'
  + '"info_slave_data":{"learning":false,"neigh_suppress":true}}},{"ifname":"old","linkinfo":{}}]';

test('port flags: kind and neigh_suppress of each bridge port', () => {
  expect(parsePortFlags(PORTS)).toEqual([
    { port: 'hv1', vxlan: false, neighSuppress: false },
    { port: 'vxlan100', vxlan: true, neighSuppress: true },
    { port: 'old', vxlan: false, neighSuppress: undefined },
  ]);
  expect(parsePortFlags('')).toEqual([]);
  expect(() => parsePortFlags('Device "br7" does not exist.')).toThrow(/not JSON/);
});

test('commands: VXLAN ports on when on, every other port off; nothing for a port already right', () => {
  const ports = parsePortFlags(PORTS);
  expect(portFlagCommands(ports, true)).toEqual([['bridge', 'link', 'set', 'dev', 'old', 'neigh_suppress', 'off']]);
  expect(portFlagCommands(ports, false)).toEqual([
    ['bridge', 'link', 'set', 'dev', 'vxlan100', 'neigh_suppress', 'off'],
    ['bridge', 'link', 'set', 'dev', 'old', 'neigh_suppress', 'off'],
  ]);
  expect(portFlagCommands([{ port: 'hv1', vxlan: false, neighSuppress: true }], true)).toEqual([
    ['bridge', 'link', 'set', 'dev', 'hv1', 'neigh_suppress', 'off']]);
  expect(portFlagCommands([{ port: 'vxlan7', vxlan: true, neighSuppress: false }], true)).toEqual([
    ['bridge', 'link', 'set', 'dev', 'vxlan7', 'neigh_suppress', 'on']]);
});
