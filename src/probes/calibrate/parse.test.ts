import { expect, test } from '@playwright/test';
import { injectedOutage } from '../../measure/injected.js';
import { parseInjectorLine } from './parse.js';

test('injector lines parse to monotonic ms exactly as the controller converts hrtime', () => {
  expect(parseInjectorLine('ready 11001219719383')).toEqual({ kind: 'ready', monoMs: Number(11001219719383n) / 1e6 });
  expect(parseInjectorLine('clock 7 11001219854958')).toEqual({
    kind: 'clock',
    id: '7',
    monoMs: Number(11001219854958n) / 1e6,
  });
  expect(parseInjectorLine('pulse p1 1000000000 1000030000 1020000000 1020045000')).toEqual({
    kind: 'pulse', id: 'p1', onBeforeMs: 1000, onAfterMs: 1000.03, offBeforeMs: 1020, offAfterMs: 1020.045,
  });
  expect(parseInjectorLine('error p2 pulse length out of range or past --limit-ms')).toEqual({
    kind: 'error', id: 'p2', message: 'pulse length out of range or past --limit-ms',
  });
  expect(parseInjectorLine('bye stdin-closed cleaned=1')).toEqual({
    kind: 'bye',
    reason: 'stdin-closed',
    cleaned: true,
  });
  expect(parseInjectorLine('bye limit cleaned=0')).toEqual({ kind: 'bye', reason: 'limit', cleaned: false });
});

test('malformed injector lines are not messages', () => {
  for (const l of [
    '',
    'ready',
    'ready -5',
    'ready 1.5',
    'clock 7',
    'pulse p1 1 2 3',
    'pulse p1 1 2 3 x',
    'pulse p1 1 2 3 4 5',
    'bye',
    'bye quit',
    'bye quit cleaned=yes',
    'hello 1',
    'error',
  ]) {
    expect(parseInjectorLine(l), l).toBeUndefined();
  }
});

test('reference length is the difference of bracket midpoints, uncertainty the half-width of what the brackets allow', () => {
  const o = injectedOutage(20, { beforeMs: 100, afterMs: 100.04 }, { beforeMs: 120, afterMs: 120.06 });
  expect(o.injectedMs).toBeCloseTo(20.01, 9);
  expect(o.minMs).toBeCloseTo(19.96, 9);
  expect(o.maxMs).toBeCloseTo(20.06, 9);
  expect(o.uncertaintyMs).toBeCloseTo(0.05, 9);
  // Exact edges: no uncertainty.
  expect(injectedOutage(5, { beforeMs: 1, afterMs: 1 }, { beforeMs: 6, afterMs: 6 })).toMatchObject({
    injectedMs: 5,
    uncertaintyMs: 0,
  });
});

test('brackets out of order or not finite are refused', () => {
  expect(() => injectedOutage(20, { beforeMs: 2, afterMs: 1 }, { beforeMs: 5, afterMs: 6 })).toThrow(RangeError);
  expect(() => injectedOutage(20, { beforeMs: 1, afterMs: 5 }, { beforeMs: 4, afterMs: 6 })).toThrow(RangeError);
  expect(() => injectedOutage(20, { beforeMs: 1, afterMs: 2 }, { beforeMs: 5, afterMs: 4 })).toThrow(RangeError);
  expect(() => injectedOutage(20, { beforeMs: 1, afterMs: 2 }, { beforeMs: 5, afterMs: Number.NaN })).toThrow(
    RangeError,
  );
});
