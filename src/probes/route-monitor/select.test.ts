import { test, expect } from '@playwright/test';
import type { Switch } from '../../model/testbed.js';
import { observerFor, observerGaps } from './select.js';

const base: Switch = {
  name: 'leaf1', site: 's', role: 'tor', kind: 'netconf-ietf', address: '198.18.0.1', port: 830,
  credentials: { username: 'u' }, hostKey: { kind: 'insecure-accept-any-host-key' },
};
const sw = (o: Partial<Switch>): Switch => ({ ...base, ...o });
const YP = 'urn:ietf:params:xml:ns:yang:ietf-yang-push';

test('a Linux shell on SSH exec wins, on the CLI port (or the frr-ssh login port without a cli section)', () => {
  expect(observerFor(sw({ cli: { port: 2222, platform: 'linux' } }))).toMatchObject({ kind: 'ssh-exec', port: 2222 });
  expect(observerFor(sw({ kind: 'frr-ssh', port: 22 }))).toMatchObject({ kind: 'ssh-exec', port: 22 });
  // The same device with a hello offering YANG-push still uses the shell (every change pushed, no period).
  expect(observerFor(sw({ cli: { port: 22, platform: 'linux' } }), [`${YP}?module=ietf-yang-push`]).kind)
    .toBe('ssh-exec');
});

test('vendor CLIs give no shell: NETCONF kinds push or poll; an FRR NOS (eosCli logins) execs in a shell', () => {
  expect(observerFor(sw({ cli: { port: 22, platform: 'frr-vtysh' } }))).toMatchObject({ kind: 'ssh-exec', port: 22 });
  expect(observerFor(sw({ cli: { port: 22, platform: 'eos' } }))).toMatchObject({ kind: 'netconf-poll',
    resolutionMs: 100 });
  expect(observerFor(sw({ kind: 'junos-netconf', cli: { port: 22, platform: 'junos' } })).kind).toBe('netconf-poll');
  expect(observerFor(sw({ kind: 'eos', cli: { port: 22, platform: 'eos' } })).kind).toBe('netconf-poll');
});

test('YANG-push from the hello: on-change when the feature is listed, periodic otherwise, only for ietf-routing kinds', () => {
  const onChange = [`${YP}?module=ietf-yang-push&revision=2019-09-09&features=on-change`];
  const periodic = [`${YP}?module=ietf-yang-push&revision=2019-09-09`];
  expect(observerFor(base, onChange)).toMatchObject({ kind: 'yang-push', mode: 'on-change' });
  expect(observerFor(base, onChange)).not.toHaveProperty('resolutionMs');
  expect(observerFor(base, periodic, { pollIntervalMs: 200 })).toMatchObject({ kind: 'yang-push', mode: 'periodic',
    resolutionMs: 200 });
  expect(observerFor(base, ['urn:ietf:params:netconf:base:1.1']).kind).toBe('netconf-poll');
  // OpenConfig data is not ietf-routing: a pushed update would not parse, so the device is polled.
  expect(observerFor(sw({ kind: 'openconfig-netconf' }), onChange).kind).toBe('netconf-poll');
});

test('none names what the device must offer: a resolution no poll meets, or no address', () => {
  const strict = { pollIntervalMs: 100, maxResolutionMs: 20 };
  const eosCli = sw({ cli: { port: 22, platform: 'eos' } });
  const c = observerFor(eosCli, undefined, strict);
  expect(c).toEqual({ kind: 'none', missing: 'a Linux shell on SSH exec (cli.platform linux or frr-vtysh) or ietf-yang-push '
    + '(RFC 8641) in its NETCONF hello (polling every 100 ms is coarser than the 20 ms asked for)' });
  // …which the hello can close with on-change push.
  expect(observerFor(eosCli, [`${YP}?module=ietf-yang-push&features=on-change`], strict).kind).toBe('yang-push');
  expect(observerFor(sw({ address: '' }))).toEqual({ kind: 'none', missing: 'a management address' });
  expect(observerGaps([eosCli, sw({ name: 'leaf2', cli: { port: 22, platform: 'linux' } }),
    sw({ name: 'leaf3', kind: 'junos-netconf', cli: { port: 22, platform: 'junos' } })], strict)
    .map((g) => g.device)).toEqual(['leaf1', 'leaf3']);
  expect(observerGaps([eosCli])).toEqual([]);
  // The poll that is left for frr-ssh without a shell goes through the driver (eosCli json).
  expect(observerFor(sw({ kind: 'frr-ssh', cli: { port: 22, platform: 'junos' } }), undefined, { pollIntervalMs: 50 }))
    .toMatchObject({ kind: 'cli-poll', resolutionMs: 50 });
});
