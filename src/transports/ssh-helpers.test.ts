import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { frrVtysh } from '../platforms/frr-vtysh.js';
import { stripEchoAndPrompt } from './cli-session.js';
import { checkPresentedKey, fingerprintOf, knownHostKeys, normaliseFingerprint, usableKeys } from './ssh-known-hosts.js';
import { quoteArgv } from './ssh-quote.js';

test('argv quoting survives a real POSIX shell for hostile arguments', () => {
  const args = ['plain', 'with space', "it's", '$(reboot)', '`id`', 'a;b|c&d', '"dq"', '*', '~', 'new\nline', '', 'ü€'];
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${quoteArgv(args)}`], { encoding: 'utf8' });
  expect(out.split('\0').slice(0, -1)).toEqual(args);
  expect(() => quoteArgv([])).toThrow(TypeError);
  expect(() => quoteArgv(['a\0b'])).toThrow(TypeError);
});

test('known_hosts: plain, [host]:port, hashed, wildcard, negation, revoked, CA lines', () => {
  const blob = Buffer.from('key-one');
  const b64 = blob.toString('base64');
  const salt = Buffer.from('0123456789abcdefghij');
  const h = (name: string): string =>
    `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  const text = [
    '# comment',
    '',
    `sw1.lab ssh-ed25519 ${b64}`,
    `[198.18.0.1]:830 ssh-ed25519 ${b64}`,
    `${h('[198.18.0.2]:830')} ssh-rsa ${b64}`,
    `*.lab,!bad.lab ecdsa-sha2-nistp256 ${b64}`,
    `@revoked sw1.lab ssh-rsa ${b64}`,
    `@cert-authority *.lab ssh-ed25519 ${b64}`,
  ].join('\n');
  expect(knownHostKeys(text, 'sw1.lab', 22, 'kh').map((k) => [k.keyType, k.revoked, k.where]))
    .toEqual([['ssh-ed25519', false, 'kh:3'], ['ecdsa-sha2-nistp256', false, 'kh:6'], ['ssh-rsa', true, 'kh:7']]);
  expect(knownHostKeys(text, '198.18.0.1', 830, 'kh').map((k) => k.keyType)).toEqual(['ssh-ed25519']);
  expect(knownHostKeys(text, '198.18.0.1', 22, 'kh')).toEqual([]);
  expect(knownHostKeys(text, '198.18.0.2', 830, 'kh').map((k) => k.keyType)).toEqual(['ssh-rsa']);
  expect(knownHostKeys(text, 'bad.lab', 22, 'kh')).toEqual([]);
  expect(fingerprintOf(blob)).toBe(normaliseFingerprint(fingerprintOf(blob).slice(7) + '='));
});

test('CLI output: echo and prompt stripped, failure patterns are data', () => {
  const raw = 'show ip route json\n{"a":1}\nleaf1# ';
  expect(stripEchoAndPrompt(raw, 'show ip route json', frrVtysh.prompt)).toBe('{"a":1}');
  expect(frrVtysh.failures.some((re) => re.test('% Unknown command: show ip rout'))).toBe(true);
  expect(frrVtysh.prompt.test('leaf1(config)# ')).toBe(false);
  expect(frrVtysh.modes.config?.prompt.test('leaf1(config)# ')).toBe(true);
});

test('known_hosts: a key marked @revoked is refused even when a plain line lists it too, before or after', () => {
  const good = Buffer.from('key-good');
  const bad = Buffer.from('key-bad');
  const line = (prefix: string, b: Buffer): string => `${prefix}sw1.lab ssh-ed25519 ${b.toString('base64')}`;
  for (const text of [
    [line('', bad), line('@revoked ', bad), line('', good)].join('\n'),
    [line('@revoked ', bad), line('', bad), line('', good)].join('\n'),
  ]) {
    const keys = knownHostKeys(text, 'sw1.lab', 22, 'kh');
    const verdict = checkPresentedKey(bad, keys);
    expect(verdict.verdict).toBe('revoked');
    expect(verdict.verdict === 'revoked' ? verdict.line.where : '').toMatch(/^kh:[12]$/);
    expect(checkPresentedKey(good, keys).verdict).toBe('accepted');
    expect(checkPresentedKey(Buffer.from('other'), keys).verdict).toBe('unknown');
    expect(usableKeys(keys).map((k) => k.blob.toString())).toEqual(['key-good']);
  }
});
