/**
 * XML reading for NETCONF, pure (no dependency): a single-pass reader built for NETCONF replies.
 *
 * Replies are turned into a small namespace-resolved tree (`XNode`): every element carries its local
 * name and namespace URI, so `<nc:rpc-reply xmlns:nc="…">` and `<rpc-reply xmlns="…">` look the
 * same to callers. `peekRoot` reads only the root start tag, which lets the session route messages
 * (reply vs notification, message-id) without parsing the whole document.
 */
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
  /**
   * Prefix → namespace bindings in scope at the element as parsed ('' the default namespace), its own
   * declarations included: a subtree serialised on its own keeps prefixes declared on its ancestors.
   */
  readonly scope?: ReadonlyMap<string, string>;
}

/**
 * Deepest element nesting accepted. YANG data trees are a few dozen levels deep; the bound keeps the
 * recursive readers (serializeXml, config flattening) far from the stack limit on hostile input.
 */
export const MAX_XML_DEPTH = 1024;

interface MNode {
  name: string;
  ns: string | undefined;
  attrs: Record<string, string>;
  children: MNode[];
  text: string;
  scope: ReadonlyMap<string, string>;
}

interface Frame {
  readonly node: MNode;
  /** Tag as written (prefix included), matched against the end tag. */
  readonly tag: string;
  readonly scope: ReadonlyMap<string, string>;
}

const NO_ATTRS: Readonly<Record<string, string>> = Object.freeze({});
const NO_SCOPE: ReadonlyMap<string, string> = new Map();

function malformed(what: string, at: number): never {
  throw new ProtocolError(`malformed XML: ${what} at offset ${at}`);
}

/** Characters that end a name early or cannot be part of one: quotes, `<`, `&`, `=`. */
function notInName(c: number): boolean {
  return c === 0x22 || c === 0x27 || c === 0x3c || c === 0x26 || c === 0x3d;
}

/** XML whitespace (space, tab, CR, LF). */
function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

/**
 * Parses a whole document into its root element. Throws ProtocolError on malformed XML (bad or
 * mismatched tags, unterminated markup, unquoted attributes, nesting above MAX_XML_DEPTH).
 *
 * A single pass over the string: text and attribute values are slices of the input, decoded only
 * when they contain `&`. The predefined entities and numeric character references are decoded;
 * DTDs are skipped and their entities never expanded (unknown references stay as written).
 * Comments and processing instructions are dropped and CDATA sections become text; after the root
 * element only whitespace, comments and processing instructions may follow.
 */
export function parseXml(xml: string): XNode {
  const n = xml.length;
  const stack: Frame[] = [];
  let top: Frame | undefined;
  let i = 0;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) break;
    if (lt > i && top !== undefined) top.node.text += decodeRefs(xml.slice(i, lt));
    const c = xml.charCodeAt(lt + 1);
    if (c === 0x2f /* / */) {
      const { tag, gt } = readEndTag(xml, lt);
      if (top === undefined) malformed(`end tag </${tag}> without a start tag`, lt);
      if (tag !== top.tag) malformed(`end tag </${tag}> does not close <${top.tag}>`, lt);
      stack.pop();
      const done = top.node;
      top = stack[stack.length - 1];
      if (top === undefined) return afterRoot(xml, gt + 1, done);
      i = gt + 1;
      continue;
    }
    if (c === 0x21 /* ! */ || c === 0x3f /* ? */) {
      i = skipMarkup(xml, lt, top?.node);
      continue;
    }
    const st = readStartTag(xml, lt, top === undefined ? NO_SCOPE : top.scope);
    const colon = st.tag.indexOf(':');
    const node: MNode = {
      name: colon < 0 ? st.tag : st.tag.slice(colon + 1),
      ns: st.scope.get(colon < 0 ? '' : st.tag.slice(0, colon)),
      attrs: st.attrs,
      children: [],
      text: '',
      scope: st.scope,
    };
    i = st.end;
    if (top !== undefined) top.node.children.push(node);
    else if (st.selfClosing) return afterRoot(xml, st.end, node);
    if (!st.selfClosing) {
      if (stack.length >= MAX_XML_DEPTH) malformed(`elements nested deeper than ${MAX_XML_DEPTH}`, lt);
      top = { node, tag: st.tag, scope: st.scope };
      stack.push(top);
    }
  }
  if (top !== undefined) malformed(`element <${top.tag}> not closed`, n);
  throw new ProtocolError('XML document without a root element');
}

/** `</tag >` at `lt`: the tag as written and the offset of its `>`. */
function readEndTag(xml: string, lt: number): { tag: string; gt: number } {
  const gt = xml.indexOf('>', lt + 2);
  if (gt < 0) malformed('unterminated end tag', lt);
  let e = gt;
  while (e > lt + 2 && isWs(xml.charCodeAt(e - 1))) e--;
  return { tag: xml.slice(lt + 2, e), gt };
}

/**
 * `<!…` or `<?…` at `lt`: skips a comment, processing instruction or (before the root) DOCTYPE, and
 * appends a CDATA section to `parent`'s text. Returns the offset after it.
 */
function skipMarkup(xml: string, lt: number, parent: MNode | undefined): number {
  if (xml.charCodeAt(lt + 1) === 0x3f /* ? */) {
    const end = xml.indexOf('?>', lt + 2);
    if (end < 0) malformed('unterminated processing instruction', lt);
    return end + 2;
  }
  if (xml.startsWith('<!--', lt)) {
    const end = xml.indexOf('-->', lt + 4);
    if (end < 0) malformed('unterminated comment', lt);
    return end + 3;
  }
  if (xml.startsWith('<![CDATA[', lt)) {
    const end = xml.indexOf(']]>', lt + 9);
    if (end < 0) malformed('unterminated CDATA section', lt);
    if (parent !== undefined) parent.text += xml.slice(lt + 9, end);
    return end + 3;
  }
  if (xml.startsWith('<!DOCTYPE', lt) && parent === undefined) return skipDoctype(xml, lt);
  return malformed('unexpected "<!"', lt);
}

/** A start tag as read: tag as written, attributes, the namespace scope it opens, where it ends. */
interface StartTag {
  readonly tag: string;
  readonly attrs: Record<string, string>;
  readonly scope: ReadonlyMap<string, string>;
  readonly selfClosing: boolean;
  /** Offset after its `>`. */
  readonly end: number;
}

/** Start tag at `lt`: name, attributes, then ">" or "/>". `xmlns` attributes extend `parentScope`. */
function readStartTag(xml: string, lt: number, parentScope: ReadonlyMap<string, string>): StartTag {
  const n = xml.length;
  let j = lt + 1;
  while (j < n) {
    const k = xml.charCodeAt(j);
    if (isWs(k) || k === 0x3e /* > */ || k === 0x2f /* / */) break;
    if (notInName(k)) malformed('bad element name', lt);
    j++;
  }
  const tag = xml.slice(lt + 1, j);
  if (tag === '') malformed('empty element name', lt);
  let attrs: Record<string, string> = NO_ATTRS as Record<string, string>;
  let scope = parentScope;
  for (;;) {
    while (j < n && isWs(xml.charCodeAt(j))) j++;
    if (j >= n) malformed(`unterminated start tag <${tag}>`, lt);
    const k = xml.charCodeAt(j);
    if (k === 0x3e) return { tag, attrs, scope, selfClosing: false, end: j + 1 };
    if (k === 0x2f) {
      if (xml.charCodeAt(j + 1) !== 0x3e) malformed(`stray "/" in <${tag}>`, j);
      return { tag, attrs, scope, selfClosing: true, end: j + 2 };
    }
    const a0 = j;
    j = attrNameEnd(xml, j, tag);
    const name = xml.slice(a0, j);
    const open = attrValueStart(xml, j, name, tag);
    const close = xml.indexOf(xml.charCodeAt(open) === 0x22 ? '"' : "'", open + 1);
    if (close < 0) malformed(`unterminated attribute value in <${tag}>`, open);
    const value = decodeRefs(xml.slice(open + 1, close));
    j = close + 1;
    if (attrs === NO_ATTRS) attrs = {};
    attrs[name] = value;
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      if (scope === parentScope) scope = new Map(parentScope);
      (scope as Map<string, string>).set(name === 'xmlns' ? '' : name.slice(6), value);
    }
  }
}

/** End of the attribute name starting at `from` inside `<tag …>`. */
function attrNameEnd(xml: string, from: number, tag: string): number {
  let j = from;
  while (j < xml.length) {
    const q = xml.charCodeAt(j);
    if (q === 0x3d /* = */ || isWs(q) || q === 0x3e || q === 0x2f) break;
    if (notInName(q)) malformed(`bad attribute name in <${tag}>`, j);
    j++;
  }
  return j;
}

/** After attribute `name` ending at `from`: ` = ` then the opening quote of the value; returns the quote's offset. */
function attrValueStart(xml: string, from: number, name: string, tag: string): number {
  const n = xml.length;
  let j = from;
  while (j < n && isWs(xml.charCodeAt(j))) j++;
  if (name === '' || xml.charCodeAt(j) !== 0x3d) malformed(`attribute without value in <${tag}>`, j);
  j++;
  while (j < n && isWs(xml.charCodeAt(j))) j++;
  const quote = xml.charCodeAt(j);
  if (quote !== 0x22 && quote !== 0x27) malformed(`unquoted attribute value in <${tag}>`, j);
  return j;
}

/** Only whitespace, comments and processing instructions may follow the root element. */
function afterRoot(xml: string, from: number, root: XNode): XNode {
  let i = from;
  for (;;) {
    while (i < xml.length && isWs(xml.charCodeAt(i))) i++;
    if (i >= xml.length) return root;
    let end = -1;
    if (xml.startsWith('<!--', i)) end = xml.indexOf('-->', i + 4) + 3;
    else if (xml.startsWith('<?', i)) end = xml.indexOf('?>', i + 2) + 2;
    if (end <= i) malformed('content after the root element', i);
    i = end;
  }
}

/** Skips `<!DOCTYPE …>` including an internal subset in brackets; returns the offset after it. */
function skipDoctype(xml: string, lt: number): number {
  let depth = 0;
  for (let i = lt + 9; i < xml.length; i++) {
    const c = xml.charCodeAt(i);
    if (c === 0x5b /* [ */) depth++;
    else if (c === 0x5d /* ] */) depth--;
    else if (c === 0x3e /* > */ && depth <= 0) return i + 1;
    else if (c === 0x22 || c === 0x27) {
      const end = xml.indexOf(c === 0x22 ? '"' : "'", i + 1);
      if (end < 0) break;
      i = end;
    }
  }
  return malformed('unterminated DOCTYPE', lt);
}

const REF = /&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g;
const NAMED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Decodes the predefined entities and numeric character references in one pass (so `&amp;#65;` is
 * the text "&#65;"). References to code points above U+10FFFF and unknown entities stay as written.
 */
function decodeRefs(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(REF, (m, r: string) => {
    if (r.charCodeAt(0) !== 0x23) return NAMED[r] ?? m;
    const cp = r.charCodeAt(1) === 0x78 ? parseInt(r.slice(2), 16) : parseInt(r.slice(1), 10);
    return cp > 0x10ffff ? m : String.fromCodePoint(cp);
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

/**
 * Reads the root element's local name, namespace and message-id from its start tag, skipping the
 * XML declaration, comments and whitespace. Returns undefined when the text has no root start tag
 * (or a malformed one). Runs for every message the session receives, so it reuses the parser's
 * start-tag reader instead of a regex pass plus an attribute pass.
 */
export function peekRoot(xml: string): RootPeek | undefined {
  let i = 0;
  for (;;) {
    while (i < xml.length && isWs(xml.charCodeAt(i))) i++;
    // An unterminated declaration or comment has no root: indexOf returns -1, never loop on it.
    let end: number;
    if (xml.startsWith('<?', i)) end = xml.indexOf('?>', i + 2);
    else if (xml.startsWith('<!--', i)) end = xml.indexOf('-->', i + 4);
    else break;
    if (end < 0) return undefined;
    i = end + (xml.charCodeAt(end) === 0x3f /* ? */ ? 2 : 3);
  }
  if (xml.charCodeAt(i) !== 0x3c /* < */ || !isNameStart(xml.charCodeAt(i + 1))) return undefined;
  let st: StartTag;
  try {
    st = readStartTag(xml, i, NO_SCOPE);
  } catch {
    return undefined;
  }
  const colon = st.tag.indexOf(':');
  let messageId: string | undefined;
  for (const k in st.attrs) if (k === 'message-id' || k.endsWith(':message-id')) messageId = st.attrs[k];
  return { name: colon < 0 ? st.tag : st.tag.slice(colon + 1), ns: st.scope.get(colon < 0 ? '' : st.tag.slice(0, colon)),
    messageId };
}

/** `[A-Za-z_]`: how an element name may start. */
function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

/** Serialises an XNode back to XML (used to hand a `<data>` subtree to callers as text). */
export function serializeXml(n: XNode, parentNs?: string): string {
  return serializeNode(n, parentNs, outerDeclarations(n));
}

/**
 * Elements are written unprefixed with a default namespace where it changes (`xmlns=""` for an
 * element in no namespace under one that has); `extra` adds declarations to this element.
 */
function serializeNode(n: XNode, parentNs: string | undefined, extra: string): string {
  const nsAttr = n.ns !== parentNs ? ` xmlns="${escAttr(n.ns ?? '')}"` : '';
  let a = extra;
  for (const k in n.attrs) if (k !== 'xmlns') a += ` ${k}="${escAttr(n.attrs[k] as string)}"`;
  let body = n.text.trim() === '' && n.children.length > 0 ? '' : escText(n.text);
  for (const c of n.children) body += serializeNode(c, n.ns, '');
  return body === '' ? `<${n.name}${nsAttr}${a}/>` : `<${n.name}${nsAttr}${a}>${body}</${n.name}>`;
}

/** A name followed by `:` and a name start, not inside a longer token: a QName's prefix. */
const PREFIX_USE = /(?:^|[^\w.:-])([A-Za-z_][\w.-]*):(?=[A-Za-z_])/g;

/**
 * ` xmlns:p="…"` for each prefix the subtree uses (prefixed attributes, identityref and
 * instance-identifier values) that its root does not declare but its parse scope binds, i.e. one
 * declared on an ancestor outside the subtree (e.g. on `<rpc-reply>` above `<data>`).
 */
function outerDeclarations(n: XNode): string {
  const scope = n.scope;
  if (scope === undefined || scope.size === 0) return '';
  const used = new Set<string>();
  collectPrefixes(n, used);
  let out = '';
  for (const p of used) {
    const uri = scope.get(p);
    if (uri !== undefined && p !== 'xml' && !(`xmlns:${p}` in n.attrs)) out += ` xmlns:${p}="${escAttr(uri)}"`;
  }
  return out;
}

function collectPrefixes(n: XNode, used: Set<string>): void {
  for (const k in n.attrs) {
    if (k.startsWith('xmlns')) continue;
    const colon = k.indexOf(':');
    if (colon > 0) used.add(k.slice(0, colon));
    const v = n.attrs[k] as string;
    if (v.includes(':')) for (const m of v.matchAll(PREFIX_USE)) used.add(m[1] as string);
  }
  if (n.text.includes(':')) for (const m of n.text.matchAll(PREFIX_USE)) used.add(m[1] as string);
  for (const c of n.children) collectPrefixes(c, used);
}

const TEXT_SPECIAL = /[&<>]/;

function escText(s: string): string {
  if (!TEXT_SPECIAL.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escAttr(s: string): string {
  if (!TEXT_SPECIAL.test(s) && !s.includes('"')) return s;
  return escText(s).replace(/"/g, '&quot;');
}
