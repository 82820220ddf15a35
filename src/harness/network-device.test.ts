import { test, expect } from '@playwright/test';
import type { HostRoute, InterfaceAddress, RouteEntry, SwitchDriver, TunnelEndpoint } from '../drivers/switch/types.js';
import type { DeviceOp } from '../migration/strategies/types.js';
import { asNetworkDevice, hostRouteOf, type NetworkDeviceOptions } from './network-device.js';

const lookups: NetworkDeviceOptions = {
  neighborAddress: (n, family) => (n === 'coreA' ? (family === 4 ? '198.18.30.0' : '2001:2:0:30::') : undefined),
  subnetInterface: (s) => (s === 'siteA' ? 'br100' : undefined),
  gatewayInterface: (s) => (s === 'siteA' ? 'gw100' : undefined),
};

/** An in-memory driver with host routes, addresses and tunnels; `calls` lists every change. */
function fakeDriver(o: { failOn?: string } = {}): SwitchDriver & { calls: string[] } {
  const calls: string[] = [];
  const routes: RouteEntry[] = [];
  const addrs: InterfaceAddress[] = [{ iface: 'gw100', cidr: '198.18.10.1/32' }];
  const vnis: number[] = [];
  const call = (what: string): void => {
    if (o.failOn !== undefined && what.startsWith(o.failOn)) throw new Error(`refused: ${what}`);
    calls.push(what);
  };
  return {
    kind: 'frr-ssh', device: 'torB', rollback: 'checkpoint', calls,
    readRunningConfig: () => Promise.resolve(''),
    readRoutes: () => Promise.resolve([...routes]),
    readNeighbors: () => Promise.resolve([]),
    readMacTable: () => Promise.resolve([]),
    close: () => Promise.resolve(),
    addHostRoute: (r: HostRoute) => {
      call(`+route ${r.prefix} ${r.nextHop ?? '-'} ${r.device ?? '-'}`);
      routes.push({ prefix: r.prefix, nextHops: [], protocol: 'static', active: true });
      return Promise.resolve();
    },
    removeHostRoute: (r: HostRoute) => {
      call(`-route ${r.prefix}`);
      routes.splice(routes.findIndex((x) => x.prefix === r.prefix), 1);
      return Promise.resolve();
    },
    readAddresses: () => Promise.resolve([...addrs]),
    addAddress: (a: InterfaceAddress) => {
      call(`+addr ${a.iface} ${a.cidr}`);
      addrs.push(a);
      return Promise.resolve();
    },
    removeAddress: (a: InterfaceAddress) => {
      call(`-addr ${a.iface} ${a.cidr}`);
      addrs.splice(addrs.findIndex((x) => x.iface === a.iface && x.cidr === a.cidr), 1);
      return Promise.resolve();
    },
    configureTunnel: (t: TunnelEndpoint) => {
      call(`+vni ${t.vni} ${t.bridge ?? '-'}`);
      vnis.push(t.vni);
      return Promise.resolve();
    },
    removeTunnel: (t: TunnelEndpoint) => {
      call(`-vni ${t.vni}`);
      vnis.splice(vnis.indexOf(t.vni), 1);
      return Promise.resolve();
    },
    readTunnels: () => Promise.resolve([...vnis]),
  } as SwitchDriver & { calls: string[] };
}

const io = { timeoutMs: 1000 };
const route: DeviceOp = { op: 'add-host-route', device: 'torB', prefix: '198.18.10.100/32', family: 4,
  nextHop: { device: 'coreA' }, dev: { subnet: 'siteA', port: 'hv3' } };
const attach: DeviceOp = { op: 'evpn-attach', device: 'torB', vni: 100, subnet: 'siteA', vtep: '198.18.30.3' };
const gw4: DeviceOp = { op: 'anycast-gateway', device: 'torB', subnet: 'siteA', gateway: '198.18.10.1', family: 4 };
const gw6: DeviceOp = { op: 'anycast-gateway', device: 'torB', subnet: 'siteA', gateway: '2001:2:0:10::1', family: 6 };

test('a host route resolves its next hop by neighbour and its device by the subnet interface', () => {
  expect(hostRouteOf(lookups, route as Extract<DeviceOp, { prefix: string }>)).toEqual({
    prefix: '198.18.10.100/32', description: 'vmmi add-host-route', nextHop: '198.18.30.0', device: 'br100' });
  expect(hostRouteOf(lookups, { op: 'bgp-announce', device: 'torB', prefix: '2001:2:0:10::100/128', family: 6,
    dev: { subnet: 'siteB', port: 'hv3' } }))
    .toEqual({ prefix: '2001:2:0:10::100/128', description: 'vmmi bgp-announce', device: 'hv3' });
  expect(hostRouteOf(lookups, { op: 'remove-host-route', device: 'torB', prefix: '198.18.10.100/32', family: 4,
    nextHop: { device: 'x', address: '192.0.2.1' } }))
    .toEqual({ prefix: '198.18.10.100/32', description: 'vmmi remove-host-route', nextHop: '192.0.2.1' });
});

test('ops already in place are not recorded, so rollback removes only what the transaction added', async () => {
  const driver = fakeDriver();
  const dev = asNetworkDevice(driver, lookups);
  const tx = await dev.applyTransaction([attach, gw4, gw6, route], io);
  expect(driver.calls)
    .toEqual(['+vni 100 br100', '+addr gw100 2001:2:0:10::1/128', '+route 198.18.10.100/32 198.18.30.0 br100']);
  await dev.rollback(tx, io);
  // Inverse order, except that route ops run after the others of the same call.
  expect(driver.calls.slice(3)).toEqual(['-addr gw100 2001:2:0:10::1/128', '-vni 100', '-route 198.18.10.100/32']);
  await expect(dev.rollback(tx, io)).rejects.toThrow(/unknown transaction/);
});

test('a failing op undoes what the transaction applied before it, then reports the failure', async () => {
  const driver = fakeDriver({ failOn: '+route' });
  const dev = asNetworkDevice(driver, lookups);
  await expect(dev.applyTransaction([attach, gw6, route], io)).rejects.toThrow(/refused: \+route/);
  expect(driver.calls)
    .toEqual(['+vni 100 br100', '+addr gw100 2001:2:0:10::1/128', '-addr gw100 2001:2:0:10::1/128', '-vni 100']);
});

test('an op the device cannot carry is refused by kind', async () => {
  const dev = asNetworkDevice(fakeDriver(), lookups);
  await expect(dev.applyTransaction([{ ...gw4, subnet: 'nowhere' }], io))
    .rejects.toThrow(/no interface serves subnet nowhere/);
  const tunnel: DeviceOp = { op: 'tunnel-start', device: 'torB', tunnel: 't', role: 'encap', local: 'a', remote: 'b' };
  await expect(dev.applyTransaction([tunnel], io))
    .rejects.toThrow(/tunnel-start is not supported on frr-ssh/);
});

test('staging: host routes of the device stage as one change; routes the tunnel driver carries never do', async () => {
  const staged: string[] = [];
  const driver = Object.assign(fakeDriver(), {
    stageHostRoutes: (changes: readonly { route: HostRoute; op: 'add' | 'remove' }[]) => {
      staged.push(...changes.map((c) => `${c.op} ${c.route.prefix} ${c.route.nextHop ?? '-'} ${c.route.device ?? '-'}`));
      return Promise.resolve({ commit: () => Promise.resolve(), confirm: () => Promise.resolve(),
        abort: () => Promise.resolve() });
    },
  });
  const v6: DeviceOp = { ...route, prefix: '2001:2:0:10::100/128', family: 6 } as DeviceOp;
  const st = await asNetworkDevice(driver, lookups).stage?.([route, v6], io);
  expect(st).toBeDefined();
  expect(staged).toEqual(['add 198.18.10.100/32 198.18.30.0 br100', 'add 2001:2:0:10::100/128 2001:2:0:30:: br100']);
  // A handle only once confirmed; rollback then takes it back through the driver.
  const h = await st?.confirm(io);
  expect(h?.device).toBe('torB');

  const viaTunnel: DeviceOp = { op: 'add-host-route', device: 'torB', prefix: '198.18.10.100/32', family: 4,
    dev: { tunnel: 'vm1' } };
  const tunnels = { handles: (op: DeviceOp) => 'dev' in op && op.dev?.tunnel !== undefined } as unknown as
    NonNullable<NetworkDeviceOptions['tunnels']>;
  expect(await asNetworkDevice(driver, { ...lookups, tunnels }).stage?.([viaTunnel], io)).toBeUndefined();
  expect(await asNetworkDevice(driver, lookups).stage?.([attach], io)).toBeUndefined();
  expect(await asNetworkDevice(fakeDriver(), lookups).stage?.([route], io)).toBeUndefined();
});
