/**
 * Pure XML builder. Every text and attribute value is escaped when rendered; the only way to put
 * unescaped markup into a document is `raw()`, which callers use for XML they already hold as XML
 * (a vendor-native RPC body, a config blob loaded from a file), never for user-supplied values.
 */

export type XChild = XElement | XRaw | string | number | boolean | null | undefined | false;

export interface XElement {
  readonly kind: 'el';
  readonly name: string;
  readonly attrs: Readonly<Record<string, string | number | undefined>>;
  readonly children: readonly XChild[];
}

export interface XRaw {
  readonly kind: 'raw';
  readonly xml: string;
}

const NAME = /^[A-Za-z_][\w.-]*(:[A-Za-z_][\w.-]*)?$/;

/**
 * Names already checked against NAME. Why: drivers build the same few dozen element names for every
 * transaction, and the regex test per element and attribute was a visible share of a transaction's
 * client CPU. Bounded so that names built from data cannot grow it without limit.
 */
const checkedNames = new Set<string>();
const MAX_CHECKED_NAMES = 4096;

function checkName(name: string, what: 'element' | 'attribute'): void {
  if (checkedNames.has(name)) return;
  if (!NAME.test(name)) throw new TypeError(`invalid XML ${what} name "${name}"`);
  if (checkedNames.size < MAX_CHECKED_NAMES) checkedNames.add(name);
}

/** An element. Attributes with value `undefined` are omitted; `null`/`false`/`undefined` children skipped. */
export function el(name: string, attrs: Readonly<Record<string, string | number | undefined>> = {},
  ...children: XChild[]): XElement {
  checkName(name, 'element');
  for (const k in attrs) checkName(k, 'attribute');
  return { kind: 'el', name, attrs, children };
}

const NO_ATTRS: Readonly<Record<string, string | number | undefined>> = Object.freeze({});

/** An element without attributes. */
export function e(name: string, ...children: XChild[]): XElement {
  checkName(name, 'element');
  return { kind: 'el', name, attrs: NO_ATTRS, children };
}

/** Pre-built XML inserted verbatim. Only for trusted XML, never for single values. */
export function raw(xml: string): XRaw {
  return { kind: 'raw', xml };
}

const TEXT_SPECIAL = /[&<>]/;
const ATTR_SPECIAL = /[&<>"\r\n\t]/;

export function escapeText(s: string): string {
  // Most values (names, prefixes, addresses) need no escaping: one test instead of three replaces.
  if (!TEXT_SPECIAL.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(s: string): string {
  if (!ATTR_SPECIAL.test(s)) return s;
  return escapeText(s).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/** Renders to a string (no XML declaration, no added whitespace). */
export function render(node: XChild): string {
  if (node === null || node === undefined || node === false) return '';
  if (typeof node === 'string') return escapeText(node);
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (node.kind === 'raw') return node.xml;
  let out = `<${node.name}`;
  const attrs = node.attrs;
  for (const k in attrs) {
    const v = attrs[k];
    if (v !== undefined) out += ` ${k}="${escapeAttr(String(v))}"`;
  }
  let body = '';
  for (const c of node.children) body += render(c);
  return body === '' ? `${out}/>` : `${out}>${body}</${node.name}>`;
}
