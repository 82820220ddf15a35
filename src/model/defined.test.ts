import { expect, test } from '@playwright/test';
import { defined } from './defined.js';

test('defined() drops undefined keys and keeps every other value, falsy ones included', () => {
  const maybe = (v: string | undefined): string | undefined => v;
  const o = defined({ a: maybe(undefined), b: 0, c: '', d: null, e: false, f: maybe('x') });
  expect(o).toEqual({ b: 0, c: '', d: null, e: false, f: 'x' });
  expect(Object.keys(o)).not.toContain('a');
  expect('a' in o).toBe(false);
});

test('defined() types a possibly-undefined key as optional and leaves a sure key required', () => {
  const name: string | undefined = process.env['VMMI_NO_SUCH_VARIABLE'];
  const o: { readonly id: number; readonly name?: string } = defined({ id: 1, name });
  expect(o.id).toBe(1);
  expect(o.name).toBeUndefined();
});
