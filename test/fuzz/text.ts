/**
 * Text-level mutations (lines and tokens of XML or YAML) and structure bombs: deep nesting and alias
 * expansion. Pure. Byte mutations alone rarely keep a document parseable far enough to reach the
 * schema and resolver layers; token mutations do.
 */
import type { Rng } from './prng.js';

/** Tokens that stress XML and YAML readers and NETCONF framing when dropped into a document. */
export const HOSTILE_TOKENS: readonly string[] = [
  '<', '>', '&', '&amp;', '&#0;', '&#x110000;', '&unknown;', '<!--', '-->', '<![CDATA[', ']]>', ']]>]]>',
  '\n#', '\n##\n', '\n#4294967296\n', '\n#0\n', '<?xml version="1.0"?>', '<!DOCTYPE x [<!ENTITY a "aaaa">]>',
  'xmlns=""', 'xmlns:nc="x"', 'nc:', '__proto__', 'constructor', '\u0000', '\uFFFD', '\uD800', '\u202E',
  '{', '}', '[', ']', ':', ': ', '- ', '? ', '&a ', '*a', '<<: *a', '!!binary', '!!python/object', '!tag',
  '~', 'null', 'true', '.nan', '.inf', '-.inf', '0x7fffffff', '4294967296', '-1', '-0', '1e309', '9'.repeat(40),
  '"', "'", '\\', '\t', '\r', '\r\n', '---', '...', '%YAML 1.1', '#', '|', '>-',
  '${env:}', '${env:VMMI_FUZZ_UNSET}', '${file:}', '${file:/}', '${file:/nonexistent/x}', '${lab:dir}', '${',
  '198.18.0.256', '2001:2::/129', '52:54:00:zz:00:00', 'x'.repeat(300),
];

/** Numbers that break range checks. */
export const HOSTILE_NUMBERS: readonly string[] = [
  '0', '-1', '-0', '65536', '65535', '2147483647', '2147483648', '4294967295', '4294967296', '9007199254740993',
  '1e309', '-1e309', '0.5', 'NaN', '.nan', '0x10', '0o17', '1_000',
];

function lines(text: string): string[] {
  return text.split('\n');
}

export type TextOp =
  | 'delete-line' | 'duplicate-line' | 'swap-lines' | 'indent' | 'dedent' | 'token' | 'number'
  | 'truncate' | 'replace-value' | 'garbage-tail' | 'duplicate-block';

export const TEXT_OPS: readonly TextOp[] = [
  'delete-line', 'duplicate-line', 'swap-lines', 'indent', 'dedent', 'token', 'number', 'truncate',
  'replace-value', 'garbage-tail', 'duplicate-block',
];

/** Applies one text operator. */
export function applyTextOp(rng: Rng, op: TextOp, text: string): string {
  const ls = lines(text);
  const i = rng.int(ls.length);
  const line = ls[i] ?? '';
  switch (op) {
    case 'delete-line':
      ls.splice(i, 1);
      return ls.join('\n');
    case 'duplicate-line':
      ls.splice(i, 0, line);
      return ls.join('\n');
    case 'swap-lines': {
      const j = rng.int(ls.length);
      ls[i] = ls[j] ?? '';
      ls[j] = line;
      return ls.join('\n');
    }
    case 'indent':
      ls[i] = ' '.repeat(rng.range(1, 4)) + line;
      return ls.join('\n');
    case 'dedent':
      ls[i] = line.replace(/^\s{1,4}/, '');
      return ls.join('\n');
    case 'token': {
      const at = rng.int(text.length + 1);
      return text.slice(0, at) + rng.pick(HOSTILE_TOKENS) + text.slice(at);
    }
    case 'number': {
      const nums = [...text.matchAll(/\d+/g)];
      if (nums.length === 0) return text + rng.pick(HOSTILE_NUMBERS);
      const m = rng.pick(nums);
      const at = m.index ?? 0;
      return text.slice(0, at) + rng.pick(HOSTILE_NUMBERS) + text.slice(at + m[0].length);
    }
    case 'truncate':
      return text.slice(0, rng.int(text.length + 1));
    case 'replace-value': {
      // YAML `key: value` or XML `>text<`: replace what follows the separator.
      const m = /^(\s*[^:<>]*:\s)(.*)$/.exec(line) ?? /^(.*?>)([^<]*)(<.*)$/.exec(line);
      if (m === null) return text;
      ls[i] = `${m[1] ?? ''}${rng.pick(rng.chance(0.5) ? HOSTILE_TOKENS : HOSTILE_NUMBERS)}${m[3] ?? ''}`;
      return ls.join('\n');
    }
    case 'garbage-tail': {
      let g = '';
      const n = rng.range(1, 64);
      for (let k = 0; k < n; k++) g += String.fromCharCode(rng.range(0, 0x7f));
      return text + g;
    }
    case 'duplicate-block': {
      const n = rng.range(1, 12);
      const block = ls.slice(i, i + n);
      ls.splice(i, 0, ...block);
      return ls.join('\n');
    }
  }
}

/** 1–4 text operators in a row. */
export function mutateText(rng: Rng, text: string): { text: string; ops: TextOp[] } {
  const ops: TextOp[] = [];
  let cur = text;
  const n = rng.range(1, 4);
  for (let k = 0; k < n; k++) {
    const op = rng.pick(TEXT_OPS);
    ops.push(op);
    cur = applyTextOp(rng, op, cur);
  }
  return { text: cur, ops };
}

/** `<a><a>…</a></a>` nested `depth` levels; `closed: false` leaves every element open. */
export function deepXml(depth: number, closed = true, name = 'a'): string {
  return `<${name}>`.repeat(depth) + (closed ? `</${name}>`.repeat(depth) : '');
}

export type YamlNest = 'flow-seq' | 'flow-map' | 'block-map' | 'block-seq';

/** A YAML document nested `depth` levels in the given style. */
export function deepYaml(kind: YamlNest, depth: number): string {
  switch (kind) {
    case 'flow-seq':
      return `${'['.repeat(depth)}1${']'.repeat(depth)}\n`;
    case 'flow-map':
      return `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\n`;
    case 'block-map':
      return `${Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1\n`;
    case 'block-seq':
      return `${Array.from({ length: depth }, (_, i) => `${' '.repeat(i * 2)}-`).join('\n')} 1\n`;
  }
}

/**
 * "Billion laughs" for YAML: `levels` anchors, each a list of `width` aliases to the previous one,
 * so the expanded document has width^levels leaves while the text stays tiny. `under` nests the bomb
 * below a key of an otherwise valid testbed (e.g. `description`).
 */
export function yamlAliasBomb(levels: number, width: number, under?: string): string {
  const out: string[] = ['l0: &l0 [x, x, x, x, x, x, x, x, x]'];
  for (let l = 1; l < levels; l++)
    out.push(`l${l}: &l${l} [${new Array<string>(width).fill(`*l${l - 1}`).join(', ')}]`);
  const body = out.join('\n');
  if (under === undefined) return `${body}\n`;
  return `${under}:\n${body.split('\n').map((s) => `  ${s}`).join('\n')}\n`;
}

/** Random printable-ish garbage of length n (mostly ASCII, some control and multi-byte). */
export function garbageText(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rng.int(100);
    s += r < 80 ? String.fromCharCode(rng.range(0x20, 0x7e)) : r < 90 ? String.fromCharCode(rng.range(0, 0x1f))
      : String.fromCodePoint(rng.range(0x80, 0x2fff));
  }
  return s;
}
