import { expect, test } from '@playwright/test';
import { type TypedParam, XdrDecoder, XdrEncoder, uuidFromString, uuidToString } from './xdr.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const enc = (f: (e: XdrEncoder) => void): string => {
  const e = new XdrEncoder();
  f(e);
  return hex(e.bytes());
};

test('int, uint, bool: 4 bytes big-endian', () => {
  expect(enc((e) => e.int(1))).toBe('00000001');
  expect(enc((e) => e.int(-1))).toBe('ffffffff');
  expect(enc((e) => e.int(-2147483648))).toBe('80000000');
  expect(enc((e) => e.uint(0xdeadbeef))).toBe('deadbeef');
  expect(enc((e) => e.bool(true).bool(false))).toBe('0000000100000000');
  expect(new XdrDecoder(unhex('fffffffe')).int()).toBe(-2);
  expect(new XdrDecoder(unhex('fffffffe')).uint()).toBe(0xfffffffe);
  expect(() => new XdrDecoder(unhex('00000002')).bool()).toThrow(/bool must be 0 or 1/);
  expect(() => enc((e) => e.int(2 ** 31))).toThrow(/int out of range/);
  expect(() => enc((e) => e.uint(-1))).toThrow(/unsigned int out of range/);
});

test('hyper and unsigned hyper as bigint, double as IEEE 754', () => {
  expect(enc((e) => e.hyper(-2n))).toBe('fffffffffffffffe');
  expect(enc((e) => e.uhyper(9000000n))).toBe('0000000000895440');
  expect(enc((e) => e.uhyper((1n << 64n) - 1n))).toBe('ffffffffffffffff');
  expect(new XdrDecoder(unhex('ffffffffffffffff')).uhyper()).toBe((1n << 64n) - 1n);
  expect(new XdrDecoder(unhex('8000000000000000')).hyper()).toBe(-(1n << 63n));
  expect(enc((e) => e.double(1.5))).toBe('3ff8000000000000');
  expect(new XdrDecoder(unhex('c000000000000000')).double()).toBe(-2);
  expect(() => enc((e) => e.uhyper(-1n))).toThrow(/out of range/);
});

test('string and variable opaque: length, bytes, zero pad to 4', () => {
  expect(enc((e) => e.string(''))).toBe('00000000');
  expect(enc((e) => e.string('a'))).toBe('00000001' + '61000000');
  expect(enc((e) => e.string('test'))).toBe('00000004' + '74657374');
  expect(enc((e) => e.string('qemu:///system'))).toBe('0000000e' + '71656d753a2f2f2f73797374656d' + '0000');
  expect(enc((e) => e.string('é'))).toBe('00000002' + 'c3a90000');
  expect(enc((e) => e.opaque(new Uint8Array([1, 2, 3, 4, 5])))).toBe('00000005' + '0102030405000000');
  expect(new XdrDecoder(unhex('00000003 616263 00')).string()).toBe('abc');
  expect(() => new XdrDecoder(unhex('00000005 6162')).string()).toThrow(/truncated opaque/);
  expect(() => new XdrDecoder(unhex('00000002 ffff0000')).string()).toThrow(/UTF-8/);
  expect(() => new XdrDecoder(unhex('00000009 00000000 00000000 00000000')).string(8)).toThrow(/exceeds max 8/);
});

test('fixed opaque: UUID of 16 bytes, no length word', () => {
  const u = '6c61622d-6876-4000-8000-000000000001';
  expect(enc((e) => e.opaqueFixed(uuidFromString(u), 16))).toBe('6c61622d687640008000000000000001');
  expect(uuidToString(new XdrDecoder(unhex('6c61622d687640008000000000000001')).opaqueFixed(16))).toBe(u);
  expect(enc((e) => e.opaqueFixed(new Uint8Array([9, 9, 9]), 3))).toBe('09090900');
  expect(() => enc((e) => e.opaqueFixed(new Uint8Array(3), 16))).toThrow(/needs 16 bytes/);
  expect(() => uuidFromString('nope')).toThrow(/not a UUID/);
});

test('optional: flag then value', () => {
  expect(enc((e) => e.optional<string>(undefined, (x, v) => x.string(v)))).toBe('00000000');
  expect(enc((e) => e.optional('ab', (x, v) => x.string(v)))).toBe('00000001' + '00000002' + '61620000');
  expect(new XdrDecoder(unhex('00000000')).optional((d) => d.int())).toBeUndefined();
  expect(new XdrDecoder(unhex('00000001 0000002a')).optional((d) => d.int())).toBe(42);
  expect(() => new XdrDecoder(unhex('00000007')).optional((d) => d.int())).toThrow(/optional flag/);
});

test('array: count then items; lying counts rejected before looping', () => {
  expect(enc((e) => e.array([0, 2], (x, v) => x.int(v)))).toBe('00000002' + '00000000' + '00000002');
  expect(new XdrDecoder(unhex('00000002 00000000 00000002')).array((d) => d.int())).toEqual([0, 2]);
  expect(() => new XdrDecoder(unhex('ffffffff')).array((d) => d.int())).toThrow(/exceeds max/);
  expect(() => new XdrDecoder(unhex('00001000 00000000')).array((d) => d.int())).toThrow(/larger than/);
  expect(() => enc((e) => e.array([1, 2, 3], (x, v) => x.int(v), 2))).toThrow(/exceeds max 2/);
});

test('typed parameter union: every type golden', () => {
  const cases: Array<[TypedParam, string]> = [
    [{ field: 'a', type: 1, value: -1 }, '00000001 61000000 00000001 ffffffff'],
    [{ field: 'a', type: 2, value: 7 }, '00000001 61000000 00000002 00000007'],
    [{ field: 'a', type: 3, value: -5n }, '00000001 61000000 00000003 fffffffffffffffb'],
    [{ field: 'bandwidth', type: 4, value: 5n }, '00000009 62616e6477696474 68000000 00000004 0000000000000005'],
    [{ field: 'a', type: 5, value: 0.5 }, '00000001 61000000 00000005 3fe0000000000000'],
    [{ field: 'a', type: 6, value: true }, '00000001 61000000 00000006 00000001'],
    [{ field: 'a', type: 7, value: 'xy' }, '00000001 61000000 00000007 00000002 78790000'],
  ];
  for (const [p, h] of cases) {
    const want = h.replace(/\s+/g, '');
    expect(enc((e) => e.typedParam(p))).toBe(want);
    expect(new XdrDecoder(unhex(want)).typedParam()).toEqual(p);
  }
  expect(enc((e) => e.typedParams([]))).toBe('00000000');
  expect(() => new XdrDecoder(unhex('00000001 61000000 00000009')).typedParam()).toThrow(
    /unknown typed parameter type 9/,
  );
  expect(() => enc((e) => e.typedParam({ field: 'x'.repeat(80), type: 1, value: 0 }))).toThrow(/too long/);
});

test('decoder end() refuses trailing bytes; encoder grows past its initial buffer', () => {
  const d = new XdrDecoder(unhex('00000001 00000002'));
  d.int();
  expect(() => d.end('thing')).toThrow(/4 trailing bytes after thing/);
  const big = 'x'.repeat(10_000);
  const e = new XdrEncoder().string(big).int(3);
  const r = new XdrDecoder(e.bytes());
  expect(r.string()).toBe(big);
  expect(r.int()).toBe(3);
  r.end('big');
});
