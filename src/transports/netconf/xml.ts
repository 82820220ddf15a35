/**
 * XML reading for NETCONF: the sole importer of fast-xml-parser.
 *
 * Replies are turned into a small namespace-resolved tree (`XNode`): every element carries its local
 * name and namespace URI, so `<nc:rpc-reply xmlns:nc="…">` and `<rpc-reply xmlns="…">` look the
 * same to callers. `peekRoot` reads only the root start tag, which lets the session route messages
 * (reply vs notification, message-id) without parsing the whole document.
 */
import { XMLParser } from 'fast-xml-parser';
import { ProtocolError } from '../../errors/classes.js';

export const NS_BASE = 'urn:ietf:params:xml:ns:netconf:base:1.0';
export const NS_NOTIFICATION = 'urn:ietf:params:xml:ns:netconf:notification:1.0';

/** One element: local name, resolved namespace, attributes (prefixed names as written), children. */
export interface XNode {
  readonly name: string;
  readonly ns: string | undefined;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XNode[];
  /** Concatenated direct text content (not trimmed). */
  readonly text: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  // Named HTML entities are not XML; numeric references are decoded in build() (much cheaper).
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type Raw = Record<string, unknown>;

/** Parses a whole document into its root element. Throws ProtocolError on malformed XML. */
export function parseXml(xml: string): XNode {
  let raw: unknown;
  try {
    raw = parser.parse(numericRefs(xml));
  } catch (e) {
    throw new ProtocolError(`malformed XML: ${(e as Error).message}`, { cause: e });
  }
  const roots = Array.isArray(raw) ? raw.map((r) => build(r as Raw, new Map())).filter(isNode) : [];
  const root = roots[0];
  if (root === undefined) throw new ProtocolError('XML document without a root element');
  return root;
}

function isNode(n: XNode | undefined): n is XNode {
  return n !== undefined;
}

function build(raw: Raw, scope: ReadonlyMap<string, string>): XNode | undefined {
  const tag = Object.keys(raw).find((k) => k !== ':@');
  if (tag === undefined || tag === '#text' || tag.startsWith('?')) return undefined;
  const attrs = (raw[':@'] ?? {}) as Record<string, string>;
  let inner = scope;
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) {
      if (inner === scope) inner = new Map(scope);
      (inner as Map<string, string>).set(k === 'xmlns' ? '' : k.slice(6), String(v));
    }
  }
  const colon = tag.indexOf(':');
  const prefix = colon < 0 ? '' : tag.slice(0, colon);
  const kids = (raw[tag] ?? []) as Raw[];
  const children: XNode[] = [];
  let text = '';
  for (const k of kids) {
    if ('#text' in k) text += String(k['#text']);
    else {
      const c = build(k, inner);
      if (c !== undefined) children.push(c);
    }
  }
  return { name: colon < 0 ? tag : tag.slice(colon + 1), ns: inner.get(prefix), attrs, children, text };
}

const MARKUP: Readonly<Record<number, string>> = { 0x3c: '&lt;', 0x3e: '&gt;', 0x26: '&amp;', 0x22: '&quot;', 0x27: '&apos;' };

/**
 * Rewrites numeric character references before parsing: markup characters become the named XML
 * entities (decoded once by the parser, so `&amp;#65;` stays the text "&#65;"), others the character.
 */
function numericRefs(xml: string): string {
  if (!xml.includes('&#')) return xml;
  return xml.replace(/&#(x[0-9a-fA-F]+|[0-9]+);/g, (m, n: string) => {
    const cp = n.startsWith('x') ? parseInt(n.slice(1), 16) : parseInt(n, 10);
    if (cp > 0x10ffff) return m;
    return MARKUP[cp] ?? String.fromCodePoint(cp);
  });
}

/** First direct child with this local name (and namespace, when given). */
export function child(n: XNode | undefined, name: string, ns?: string): XNode | undefined {
  return n?.children.find((c) => c.name === name && (ns === undefined || c.ns === ns));
}

/** All direct children with this local name. */
export function childrenNamed(n: XNode | undefined, name: string, ns?: string): XNode[] {
  return n === undefined ? [] : n.children.filter((c) => c.name === name && (ns === undefined || c.ns === ns));
}

/** Follows a path of local names; returns the trimmed text of the last one, if present. */
export function textAt(n: XNode | undefined, ...path: string[]): string | undefined {
  let cur = n;
  for (const p of path) cur = child(cur, p);
  return cur === undefined ? undefined : cur.text.trim();
}

/** Attribute by local name, ignoring any prefix (`nc:message-id` and `message-id` both match). */
export function attr(n: XNode | undefined, local: string): string | undefined {
  if (n === undefined) return undefined;
  for (const [k, v] of Object.entries(n.attrs)) {
    if (k === local || k.endsWith(`:${local}`)) return v;
  }
  return undefined;
}

/** What the root start tag says, read without parsing the document. */
export interface RootPeek {
  readonly name: string;
  readonly ns: string | undefined;
  readonly messageId: string | undefined;
}

const ROOT_TAG = /<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)((?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/y;
const ATTR = /([^\s=>/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/**
 * Reads the root element's local name, namespace and message-id from its start tag, skipping the
 * XML declaration, comments and whitespace. Returns undefined when the text has no root start tag.
 */
export function peekRoot(xml: string): RootPeek | undefined {
  let i = 0;
  for (;;) {
    while (i < xml.length && /\s/.test(xml[i] as string)) i++;
    // An unterminated declaration or comment has no root: indexOf returns -1, never loop on it.
    let end: number;
    if (xml.startsWith('<?', i)) end = xml.indexOf('?>', i + 2);
    else if (xml.startsWith('<!--', i)) end = xml.indexOf('-->', i + 4);
    else break;
    if (end < 0) return undefined;
    i = end + (xml[end] === '?' ? 2 : 3);
  }
  ROOT_TAG.lastIndex = i;
  const m = ROOT_TAG.exec(xml);
  if (m === null) return undefined;
  const prefix = m[1] === undefined ? '' : m[1].slice(0, -1);
  const attrs: Record<string, string> = {};
  for (const a of (m[3] ?? '').matchAll(ATTR)) attrs[a[1] as string] = decodeEntities(a[2] ?? a[3] ?? '');
  const ns = attrs[prefix === '' ? 'xmlns' : `xmlns:${prefix}`];
  let messageId: string | undefined;
  for (const [k, v] of Object.entries(attrs)) if (k === 'message-id' || k.endsWith(':message-id')) messageId = v;
  return { name: m[2] as string, ns, messageId };
}

function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) =>
    ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e] ?? '');
}

/** Serialises an XNode back to XML (used to hand a `<data>` subtree to callers as text). */
export function serializeXml(n: XNode, parentNs?: string): string {
  const attrs = Object.entries(n.attrs).filter(([k]) => k !== 'xmlns');
  const nsAttr = n.ns !== undefined && n.ns !== parentNs ? ` xmlns="${escAttr(n.ns)}"` : '';
  const a = attrs.map(([k, v]) => ` ${k}="${escAttr(v)}"`).join('');
  const body = escText(n.text.trim() === '' && n.children.length > 0 ? '' : n.text) +
    n.children.map((c) => serializeXml(c, n.ns)).join('');
  return body === '' ? `<${n.name}${nsAttr}${a}/>` : `<${n.name}${nsAttr}${a}>${body}</${n.name}>`;
}

function escText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escAttr(s: string): string {
  return escText(s).replace(/"/g, '&quot;');
}
