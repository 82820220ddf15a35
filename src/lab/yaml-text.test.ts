import { test, expect } from '@playwright/test';
import { parse } from 'yaml';
import { quote, toYamlText, type YamlValue } from './yaml-text.js';

/** Read back as loadTestbed reads testbed files (YAML 1.2, strict, unique keys checked separately). */
const readBack = (text: string): unknown => parse(text, { strict: true, uniqueKeys: true });

test('values that would end a line, open a comment, alias or tag, or change type come back as the same strings', () => {
  const nasty = [
    '', ' lead', 'trail ', 'a: b', 'a #b', '#c', '- x', '*alias', '&anchor', '!tag', '!!str', '%YAML', '@', '`',
    'line\nbreak', 'cr\rlf', 'tab\there', 'nul\u0000', 'bell\u0007', 'del\u007f', 'c1\u0085', 'ls\u2028ps\u2029',
    'bom\ufeff', 'emoji \u{1F600}', '"quoted"', "'single'", 'back\\slash', '${file:/x}', '{a: 1}', '[1, 2]',
    'true', 'false', 'null', '~', 'yes', 'No', 'on', '0x1F', '1e3', '.inf', '-.nan', '0o17', '+1', '1_000',
    '2001:db8::1', '12:30:00', '---', '...', '? k', '| lit', '> fold', 'é', 'ß', '\u00a0nbsp',
  ];
  const doc: Record<string, YamlValue> = { values: nasty, byKey: Object.fromEntries(nasty.map((v, i) => [v, i])) };
  expect(readBack(toYamlText(doc))).toEqual(doc);
});

test('numbers, booleans, null, empty and nested collections keep their types', () => {
  const doc = {
    int: 7, neg: -3, frac: 0.25, big: 4294967295, tiny: 1e-7, huge: 1e21, yes: true, no: false, none: null,
    emptyList: [], emptyMap: {}, listOfEmpties: [[], {}], nested: [[1, [2, 'x']], { a: [{ b: null }] }],
    mixed: [{ k: 'v', n: 1 }, 'plain', 3, false, null],
  };
  expect(readBack(toYamlText(doc))).toEqual(doc);
});

test('keys: plain words bare; words YAML reads as booleans or null, numbers and symbols quoted', () => {
  const text = toYamlText({ siteA: 1, 'hv1-host': 2, true: 3, No: 4, null: 5, '1': 6, 'a b': 7, 'x.y': 8 });
  expect(text).toContain('siteA: 1\n');
  expect(text).toContain('hv1-host: 2\n');
  for (const k of ['"true": 3', '"No": 4', '"null": 5', '"1": 6', '"a b": 7', '"x.y": 8']) expect(text).toContain(k);
  expect(readBack(text)).toEqual({ siteA: 1, 'hv1-host': 2, true: 3, No: 4, null: 5, '1': 6, 'a b': 7, 'x.y': 8 });
});

test('block layout: a sequence of mappings and a comment header', () => {
  const text = toYamlText({ links: [{ name: 'wan', endpoints: [{ device: 'coreA', port: 'to-wan' }] }] },
    ['generated', 'by a test']);
  expect(text).toBe([
    '# generated', '# by a test', 'links:', '  - name: "wan"', '    endpoints:', '      - device: "coreA"',
    '        port: "to-wan"', '',
  ].join('\n'));
});

test('refused: non-finite numbers, control characters in comments', () => {
  expect(() => toYamlText({ x: Number.NaN })).toThrow(/not a finite number/);
  expect(() => toYamlText({ x: Number.POSITIVE_INFINITY })).toThrow(/not a finite number/);
  expect(() => toYamlText({}, ['two\nlines'])).toThrow(/control characters/);
});

test('quote escapes everything outside printable ASCII', () => {
  expect(quote('a"b\\c\n\u00e9\u{1F600}')).toBe('"a\\"b\\\\c\\u000a\\u00e9\\U0001f600"');
});
