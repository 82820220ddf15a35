import { expect, test } from '@playwright/test';
import { InventoryError, TimeoutError, UnknownKindError, formatIssue } from './classes.js';
import { VmmiError, isVmmiError, toVmmiError } from './vmmi-error.js';

test('message carries device, operation and hint; cause is kept', () => {
  const cause = new Error('ECONNREFUSED');
  const e = new VmmiError('CONNECTION', 'connection refused', {
    device: 'torA',
    operation: 'connect',
    hint: 'is sshd running?',
    cause,
  });
  expect(e.message).toBe('torA: connect failed: connection refused. is sshd running?');
  expect(e.code).toBe('CONNECTION');
  expect(e.cause).toBe(cause);
  expect(e.name).toBe('VmmiError');
});

test('brand survives subclassing and toVmmiError wraps foreign errors', () => {
  const t = new TimeoutError('hello', 250);
  expect(isVmmiError(t)).toBe(true);
  expect(t.message).toBe('hello (after 250 ms)');
  expect(isVmmiError(new Error('x'))).toBe(false);
  const w = toVmmiError(new RangeError('bad'), 'PROTOCOL');
  expect(w.code).toBe('PROTOCOL');
  expect(w.cause).toBeInstanceOf(RangeError);
  expect(toVmmiError(t)).toBe(t);
});

test('unknown kind lists the supported kinds', () => {
  const e = new UnknownKindError('switch driver kind', 'cisco', ['netconf-ietf', 'frr-ssh']);
  expect(e.message).toContain('supported: netconf-ietf, frr-ssh');
});

test('inventory issues format as file:line:col  path: message', () => {
  expect(formatIssue({ file: 'a.yaml', line: 3, col: 5, path: 'links[0].endpoints[1]', message: 'unknown device "x"' }))
    .toBe('a.yaml:3:5  links[0].endpoints[1]: unknown device "x"');
  const e = new InventoryError([{ path: 'vms[0].mac', message: 'malformed MAC' }]);
  expect(e.issues).toHaveLength(1);
  expect(e.message).toContain('vms[0].mac: malformed MAC');
});
