import { expect, test } from '@playwright/test';
import { MAX_GROWTH, BYTE_OPS, applyOp, mutateBytes, truncationPoints } from './mutate.js';
import { mulberry32, rngFor } from './prng.js';
import { deepXml, deepYaml, mutateText, yamlAliasBomb } from './text.js';

test('the PRNG is deterministic per seed and per (seed, index)', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const xs = Array.from({ length: 5 }, () => a.next());
  expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
  expect(new Set(xs).size).toBe(5);
  expect(rngFor(7, 123).next()).toBe(rngFor(7, 123).next());
  expect(rngFor(7, 123).next()).not.toBe(rngFor(7, 124).next());
  const r = mulberry32(1);
  for (let i = 0; i < 1000; i++) {
    const v = r.range(-3, 3);
    expect(v >= -3 && v <= 3 && Number.isInteger(v)).toBe(true);
  }
});

test('mutations reproduce from the seed and stay bounded in size', () => {
  const input = new TextEncoder().encode('<rpc-reply message-id="1"><ok/></rpc-reply>');
  const ctx = { donors: [input], boundaries: [0, 4, 8], limits: [1024] };
  const m1 = mutateBytes(rngFor(9, 5), input, ctx);
  const m2 = mutateBytes(rngFor(9, 5), input, ctx);
  expect(m1).toEqual(m2);
  for (const op of BYTE_OPS) {
    for (let i = 0; i < 50; i++) {
      const out = applyOp(rngFor(3, i), op, input, ctx);
      expect(out.length).toBeLessThanOrEqual(input.length + MAX_GROWTH + 512);
    }
  }
  expect(truncationPoints(mulberry32(1), 10, [4])).toEqual(expect.arrayContaining([0, 1, 3, 4, 5, 9]));
  expect(mutateText(rngFor(1, 1), 'a: 1\nb: 2\n')).toEqual(mutateText(rngFor(1, 1), 'a: 1\nb: 2\n'));
});

test('structure bombs have the requested shape', () => {
  expect(deepXml(3)).toBe('<a><a><a></a></a></a>');
  expect(deepXml(2, false, 'x')).toBe('<x><x>');
  expect(deepYaml('flow-seq', 3)).toBe('[[[1]]]\n');
  expect(deepYaml('block-map', 2)).toBe('a:\n a: 1\n');
  const bomb = yamlAliasBomb(3, 2);
  expect(bomb).toBe('l0: &l0 [x, x, x, x, x, x, x, x, x]\nl1: &l1 [*l0, *l0]\nl2: &l2 [*l1, *l1]\n');
});
