import { test, expect } from '@playwright/test';
import { NetconfRpcError } from '../../errors/classes.js';
import { parseRpcErrors, splitSeverity, toRpcError } from './rpc-error.js';
import { parseXml } from './xml.js';

const reply = `<nc:rpc-reply xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="9">
  <nc:rpc-error><nc:error-type>protocol</nc:error-type><nc:error-tag>lock-denied</nc:error-tag>
    <nc:error-severity>error</nc:error-severity><nc:error-message xml:lang="en">lock is already held</nc:error-message>
    <nc:error-info><nc:session-id>3</nc:session-id></nc:error-info></nc:rpc-error>
  <nc:rpc-error><nc:error-type>application</nc:error-type><nc:error-tag>operation-failed</nc:error-tag>
    <nc:error-severity>warning</nc:error-severity><nc:error-app-tag>x-warn</nc:error-app-tag>
    <nc:error-path>/a/b</nc:error-path><nc:error-info><nc:bad-element>b</nc:bad-element></nc:error-info></nc:rpc-error>
</nc:rpc-reply>`;

test('rpc-error fields parsed, nc: prefixed, warnings separated', () => {
  const all = parseRpcErrors(parseXml(reply));
  expect(all).toHaveLength(2);
  expect(all[0]).toEqual({
    type: 'protocol',
    tag: 'lock-denied',
    severity: 'error',
    message: 'lock is already held',
    info: { 'session-id': '3' },
  });
  expect(all[1]).toEqual({
    type: 'application',
    tag: 'operation-failed',
    severity: 'warning',
    appTag: 'x-warn',
    path: '/a/b',
    info: { 'bad-element': 'b' },
  });
  const { errors, warnings } = splitSeverity(all);
  expect(errors).toHaveLength(1);
  expect(warnings).toHaveLength(1);
  const err = toRpcError(errors, 'lock', 'leaf1');
  expect(err).toBeInstanceOf(NetconfRpcError);
  expect(err.code).toBe('NETCONF_RPC');
  expect(err.tag).toBe('lock-denied');
  expect(err.message).toBe('leaf1: lock failed: lock-denied (protocol): lock is already held');
});
