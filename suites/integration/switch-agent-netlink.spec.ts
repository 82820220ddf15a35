/**
 * The switch agents' route writer (lab-assets/nlroute.c through src/lab/agent/netlink.ts) against the real
 * kernel, in a namespace this spec creates (`vmminl-<pid>`, one veth pair, addresses in 198.18.0.0/15 and
 * 2001:2::/48): the routes it answers `ok` for are the ones `ip route` shows with protocol static, a delete
 * removes only them, and each refusal comes back as the kernel's (or the parser's) reason for that line.
 */
import { test, expect } from '@playwright/test';
/* eslint-disable no-restricted-imports -- internals checked directly, outside the public API (src/index.ts) */
import { runChecked, runLocal } from '../../src/exec/local.js';
import { NetlinkRoutes, nlrouteBinary, nlrouteLine } from '../../src/lab/agent/netlink.js';
import { routeArgv } from '../../src/lab/agent/reconcile.js';
/* eslint-enable no-restricted-imports */

test.skip(process.getuid?.() !== 0, 'namespaces need root');

const NS = `vmminl-${process.pid % 100000}`;

test.beforeAll(async () => {
  await runLocal(['ip', 'netns', 'del', NS]);
  await runChecked(['ip', 'netns', 'add', NS]);
  const ip = (...a: string[]): Promise<unknown> => runChecked(['ip', '-n', NS, ...a]);
  await ip('link', 'add', 'sw0', 'type', 'veth', 'peer', 'name', 'sw1');
  await ip('link', 'set', 'sw0', 'up');
  await ip('link', 'set', 'sw1', 'up');
  await ip('addr', 'add', '198.19.254.1/30', 'dev', 'sw0');
  await ip('-6', 'addr', 'add', '2001:2:0:fe::1/64', 'dev', 'sw0', 'nodad');
});
test.afterAll(async () => {
  await runLocal(['ip', 'netns', 'del', NS]);
});

async function staticRoutes(): Promise<string[]> {
  const v4 = await runChecked(['ip', '-n', NS, 'route', 'show', 'proto', 'static']);
  const v6 = await runChecked(['ip', '-n', NS, '-6', 'route', 'show', 'proto', 'static']);
  return `${v4.stdout}${v6.stdout}`.split('\n').map((l) => l.trim().replace(/ metric \d+| pref medium/g, ''))
    .filter((l) => l !== '');
}

test('routes answered ok are in the kernel as protocol static; deletes take only them', async () => {
  const nl = NetlinkRoutes.start(nlrouteBinary(), ['ip', 'netns', 'exec', NS]);
  expect(nl, `nlroute not built at ${nlrouteBinary()}: run scripts/build-lab-assets`).toBeDefined();
  if (nl === undefined) return;
  try {
    const line = (argv: readonly string[]) => (id: string): string => nlrouteLine(id, argv) ?? '';
    const add = [
      routeArgv('replace', { dst: '198.18.200.10/32', via: '198.19.254.2' }),
      routeArgv('replace', { dst: '198.18.200.11/32', dev: 'sw0' }),
      routeArgv('replace', { dst: '2001:2:0:200::10/128', dev: 'sw0' }),
      routeArgv('replace', { dst: '2001:2:0:200::11/128', via: 'fe80::1', dev: 'sw0' }),
    ];
    expect(await nl.apply(add.map(line), 5000)).toEqual([undefined, undefined, undefined, undefined]);
    expect(await staticRoutes()).toEqual([
      '198.18.200.10 via 198.19.254.2 dev sw0',
      '198.18.200.11 dev sw0 scope link',
      '2001:2:0:200::10 dev sw0',
      '2001:2:0:200::11 via fe80::1 dev sw0',
    ]);
    // Replace moves a route; a kernel route of another protocol with the same prefix is not deleted.
    await runChecked(['ip', '-n', NS, 'route', 'add', '198.18.200.12/32', 'dev', 'sw0', 'proto', 'kernel']);
    const change = [
      routeArgv('replace', { dst: '198.18.200.10/32', dev: 'sw0' }),
      routeArgv('del', { dst: '198.18.200.11/32' }),
      routeArgv('del', { dst: '2001:2:0:200::10/128' }),
      routeArgv('del', { dst: '198.18.200.12/32' }),
    ];
    const out = await nl.apply(change.map(line), 5000);
    expect(out.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(out[3]).toMatch(/No such process/);
    expect(await staticRoutes()).toEqual(['198.18.200.10 dev sw0 scope link', '2001:2:0:200::11 via fe80::1 dev sw0']);
    const kernel = await runChecked(['ip', '-n', NS, 'route', 'show', '198.18.200.12/32']);
    expect(kernel.stdout).toContain('198.18.200.12 dev sw0');
    // Refusals name the line's problem; the helper keeps answering after them.
    const bad = await nl.apply([
      (id) => `${id} replace 198.18.200.20/32 dev nosuch`,
      (id) => `${id} replace 198.18.200.21/32 via 2001:2::1`,
      (id) => `${id} replace 198.18.200.22`,
      (id) => `${id} frobnicate 198.18.200.23/32`,
      line(routeArgv('replace', { dst: '198.18.200.24/32', dev: 'sw0' })),
    ], 5000);
    expect(bad[0]).toMatch(/no device nosuch/);
    expect(bad[1]).toMatch(/not of the prefix's family/);
    expect(bad[2]).toMatch(/no \/LEN/);
    expect(bad[3]).toMatch(/replace or del/);
    expect(bad[4]).toBeUndefined();
    expect(nl.alive).toBe(true);
  } finally {
    nl.stop();
  }
});

test('a helper that is gone fails every pending and later line with the reason', async () => {
  const nl = NetlinkRoutes.start('/bin/true');
  expect(nl).toBeDefined();
  if (nl === undefined) return;
  await new Promise((r) => setTimeout(r, 200));
  const out = await nl.apply([(id) => `${id} replace 198.18.200.30/32 dev sw0`], 2000);
  expect(out[0]).toMatch(/nlroute (exited|stdin)/);
  expect(nl.alive).toBe(false);
});
