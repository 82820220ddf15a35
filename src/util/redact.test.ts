import { expect, test } from '@playwright/test';
import { redact, registerSecret } from './redact.js';

test('a short secret is redacted only as a whole value, never inside longer text that would reveal it', () => {
  registerSecret('vmmi');
  expect(redact('pkipath=/etc/vmmi/pki/dc-b')).toBe('pkipath=/etc/vmmi/pki/dc-b');
  expect(redact('vmmi@198.18.0.1 and vmmi-lab and xvmmi')).toBe('vmmi@198.18.0.1 and vmmi-lab and xvmmi');
  expect(redact('password=vmmi')).toBe('password=***');
  expect(redact('{"password":"vmmi"}')).toBe('{"password":"***"}');
  expect(redact('vmmi')).toBe('***');
  expect(redact("it was 'vmmi', then (vmmi)\nvmmi")).toBe("it was '***', then (***)\n***");
});

test('a short secret with regex characters is matched literally', () => {
  registerSecret('a.b+');
  expect(redact('axb+ a.b+ a.b+c')).toBe('axb+ *** a.b+c');
});

test('a long secret is redacted wherever it occurs, also inside other text', () => {
  registerSecret('S3cret-long-value');
  expect(redact('x=S3cret-long-valueS3cret-long-value/y')).toBe('x=******/y');
  registerSecret('abc');
  expect(redact('abc')).toBe('abc');
});
