import { expect, test } from '@playwright/test';
import { parseLibvirtUri, shellQuote, sshRemoteArgv } from './uri.js';

test('qemu+tcp with host and port: driver URI drops transport and host', () => {
  const u = parseLibvirtUri('qemu+tcp://198.18.10.11:16510/system');
  expect(u).toMatchObject({ driver: 'qemu', transport: 'tcp', host: '198.18.10.11', port: 16510, path: '/system' });
  expect(u.driverUri).toBe('qemu:///system');
});

test('default ports: tcp 16509, tls 16514, ssh 22; host without transport means tls', () => {
  expect(parseLibvirtUri('qemu+tcp://h/system').port).toBe(16509);
  expect(parseLibvirtUri('qemu://h/system')).toMatchObject({ transport: 'tls', port: 16514 });
  expect(parseLibvirtUri('qemu+tls://h/system').port).toBe(16514);
  expect(parseLibvirtUri('qemu+ssh://root@h/system')).toMatchObject({ transport: 'ssh', port: 22, user: 'root' });
});

test('no host and no transport means the local unix socket', () => {
  const u = parseLibvirtUri('qemu:///system');
  expect(u).toMatchObject({ transport: 'unix', socketPath: '/run/libvirt/libvirt-sock', driverUri: 'qemu:///system' });
  expect(u.host).toBeUndefined();
  expect(parseLibvirtUri('qemu:///system', { readonly: true }).socketPath).toBe('/run/libvirt/libvirt-sock-ro');
});

test('test+unix with socket param: transport params are not forwarded', () => {
  const u = parseLibvirtUri('test+unix:///default?socket=/tmp/td/run/libvirt-sock');
  expect(u).toMatchObject({ driver: 'test', transport: 'unix', socketPath: '/tmp/td/run/libvirt-sock' });
  expect(u.driverUri).toBe('test:///default');
});

test('name param overrides the driver URI; non-transport params are forwarded', () => {
  expect(parseLibvirtUri('qemu+tcp://h/system?name=qemu:///session').driverUri).toBe('qemu:///session');
  expect(parseLibvirtUri('qemu+tcp://h/system?foo=bar&no_verify=1').driverUri).toBe('qemu:///system?foo=bar');
});

test('tls and ssh params decoded (percent escapes, not +)', () => {
  const u = parseLibvirtUri('qemu+tls://h:1/system?pkipath=/etc/pki%20x&no_verify=1&keyfile=/k+1');
  expect(u).toMatchObject({ pkiPath: '/etc/pki x', noVerify: true, keyFile: '/k+1', port: 1 });
  expect(parseLibvirtUri('qemu+tls://h/system?no_verify=0').noVerify).toBe(false);
});

test('IPv6 hosts in brackets', () => {
  expect(parseLibvirtUri('qemu+tcp://[2001:2::11]:16509/system')).toMatchObject({ host: '2001:2::11', port: 16509 });
  expect(parseLibvirtUri('qemu+ssh://u@[2001:2::1]/system')).toMatchObject({ host: '2001:2::1', port: 22 });
});

test('invalid URIs are UsageErrors that say what is wrong', () => {
  expect(() => parseLibvirtUri('qemu+carrier://h/system')).toThrow(/unknown transport "carrier"/);
  expect(() => parseLibvirtUri('qemu+tcp:///system')).toThrow(/needs a host/);
  expect(() => parseLibvirtUri('qemu+unix://h/system')).toThrow(/takes no host/);
  expect(() => parseLibvirtUri('qemu+tcp://h:99999/system')).toThrow(/out of range/);
  expect(() => parseLibvirtUri('/run/libvirt/libvirt-sock')).toThrow(/not of the form/);
  expect(() => parseLibvirtUri('qemu+ssh://h/system?proxy=magic')).toThrow(/proxy must be/);
  expect(() => parseLibvirtUri('qemu+tcp://2001:2::1/system')).toThrow(/brackets/);
});

test('ssh remote argv: helper with netcat fallback, netcat when a socket is named', () => {
  expect(sshRemoteArgv(parseLibvirtUri('qemu+ssh://root@h/system'))).toEqual(['sh', '-c',
    'if which virt-ssh-helper >/dev/null 2>&1; then exec virt-ssh-helper qemu:///system; '
    + 'else exec nc -U /run/libvirt/libvirt-sock; fi']);
  expect(sshRemoteArgv(parseLibvirtUri('qemu+ssh://h/system?proxy=native'))).toEqual([
    'virt-ssh-helper',
    'qemu:///system',
  ]);
  expect(sshRemoteArgv(parseLibvirtUri('qemu+ssh://h/system?socket=/x/s&netcat=/bin/nc.openbsd')))
    .toEqual(['/bin/nc.openbsd', '-U', '/x/s']);
  expect(shellQuote("it's")).toBe(`'it'\\''s'`);
});
