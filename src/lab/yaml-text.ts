/**
 * Plain data (mappings, sequences, strings, finite numbers, booleans, null) → YAML 1.2 block text.
 * Pure. Every string value is written double-quoted with everything outside printable ASCII escaped,
 * so no value can end its line, open a comment, start an alias or tag, or be read back as another type;
 * a key is written bare only when it is a plain word that YAML cannot read as anything but that string.
 *
 * Why not the `yaml` package: inventory/load.ts is its sole importer (eslint.config.js, one importer
 * per library), and the inventory exports no writer. The unit test reads this output back with `yaml`
 * and through loadTestbed, which is the parser every testbed file goes through.
 */

export type YamlValue = string | number | boolean | null | readonly YamlValue[] | { readonly [k: string]: YamlValue };

const BARE_KEY = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** Words YAML 1.1 or 1.2 readers take for booleans or null. */
const RESERVED = /^(?:y|n|yes|no|on|off|true|false|null)$/i;

/** A double-quoted YAML scalar: `"`, `\` and every character outside printable ASCII as escapes. */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

function key(k: string): string {
  return BARE_KEY.test(k) && !RESERVED.test(k) ? k : quote(k);
}

function scalar(v: string | number | boolean | null): string {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`YAML: ${v} is not a finite number`);
    return String(v);
  }
  return String(v);
}

const isMapping = (v: YamlValue): v is { readonly [k: string]: YamlValue } =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Lines of `v` as the value of a block node at `indent` (mappings and sequences start on their own line). */
function block(v: YamlValue, indent: string): string[] {
  if (Array.isArray(v)) {
    return (v as readonly YamlValue[]).flatMap((item) => {
      const inner = isNode(item) ? block(item, `${indent}  `) : [`${indent}  ${flow(item)}`];
      const first = inner[0] ?? '';
      // `- ` takes the place of the item's own indentation on its first line.
      return [`${indent}- ${first.slice(indent.length + 2)}`, ...inner.slice(1)];
    });
  }
  if (isMapping(v)) {
    return Object.entries(v).flatMap(([k, x]) => (isNode(x)
      ? [`${indent}${key(k)}:`, ...block(x, `${indent}  `)]
      : [`${indent}${key(k)}: ${flow(x)}`]));
  }
  return [`${indent}${flow(v)}`];
}

/** A node written as a block: a non-empty mapping or sequence. */
function isNode(v: YamlValue): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return isMapping(v) && Object.keys(v).length > 0;
}

/** Scalars and empty collections, on the line of their key. */
function flow(v: YamlValue): string {
  if (Array.isArray(v)) return '[]';
  if (isMapping(v)) return '{}';
  return scalar(v as string | number | boolean | null);
}

/** The document text of a top-level mapping, with `comment` lines (`# …`) first. */
export function toYamlText(doc: { readonly [k: string]: YamlValue }, comment: readonly string[] = []): string {
  const head = comment.map((c) => {
    if ([...c].some((ch) => ch < ' ' || ch === '\x7f')) {
      throw new TypeError('YAML: a comment line takes no control characters');
    }
    return `# ${c}`.trimEnd();
  });
  return `${[...head, ...block(doc, '')].join('\n')}\n`;
}
