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

/** An element. Attributes with value `undefined` are omitted; `null`/`false`/`undefined` children skipped. */
export function el(name: string, attrs: Readonly<Record<string, string | number | undefined>> = {},
  ...children: XChild[]): XElement {
  if (!NAME.test(name)) throw new TypeError(`invalid XML element name "${name}"`);
  for (const k of Object.keys(attrs)) if (!NAME.test(k)) throw new TypeError(`invalid XML attribute name "${k}"`);
  return { kind: 'el', name, attrs, children };
}

/** An element without attributes. */
export function e(name: string, ...children: XChild[]): XElement {
  return el(name, {}, ...children);
}

/** Pre-built XML inserted verbatim. Only for trusted XML, never for single values. */
export function raw(xml: string): XRaw {
  return { kind: 'raw', xml };
}

export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/** Renders to a string (no XML declaration, no added whitespace). */
export function render(node: XChild): string {
  if (node === null || node === undefined || node === false) return '';
  if (typeof node === 'string') return escapeText(node);
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (node.kind === 'raw') return node.xml;
  let a = '';
  for (const [k, v] of Object.entries(node.attrs)) if (v !== undefined) a += ` ${k}="${escapeAttr(String(v))}"`;
  const body = node.children.map(render).join('');
  return body === '' ? `<${node.name}${a}/>` : `<${node.name}${a}>${body}</${node.name}>`;
}
