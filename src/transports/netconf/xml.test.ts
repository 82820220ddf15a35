import { test, expect } from '@playwright/test';
import { e, el, escapeAttr, raw, render } from './xml-build.js';
import { ProtocolError } from '../../errors/classes.js';
import { MAX_XML_DEPTH, attr, child, parseXml, peekRoot, serializeXml } from './xml.js';

test('builder escapes every text and attribute value', () => {
  const evil = `a<b>&"c'</x><rpc>]]>]]>`;
  const xml = render(el('name', { 'message-id': evil }, evil, e('x', 'y')));
  expect(xml).toBe(
    '<name message-id="a&lt;b&gt;&amp;&quot;c\'&lt;/x&gt;&lt;rpc&gt;]]&gt;]]&gt;">a&lt;b&gt;&amp;"c\'&lt;/x&gt;&lt;rpc&gt;]]&gt;]]&gt;<x>y</x></name>',
  );
  expect(parseXml(xml).text.startsWith(evil)).toBe(true);
  expect(attr(parseXml(xml), 'message-id')).toBe(evil);
  expect(escapeAttr('a\nb\tc')).toBe('a&#10;b&#9;c');
  expect(() => el('bad name')).toThrow(TypeError);
  expect(() => el('x', { 'a b': '1' })).toThrow(TypeError);
  // names are checked once and remembered: a valid one stays valid, an invalid one is refused every time
  expect(render(e('x', e('x')))).toBe('<x><x/></x>');
  expect(() => e('bad name')).toThrow(TypeError);
  expect(() => el('x', { 'x y': 1 })).toThrow(TypeError);
  expect(render(e('a', raw('<b/>'), null, false, undefined, 3))).toBe('<a><b/>3</a>');
});

test('root detection by local name + namespace, tolerant of prefixes, comments and declarations', () => {
  expect(
    peekRoot(
      '<?xml version="1.0"?>\n<!-- hi --><nc:rpc-reply xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:message-id="5"><nc:ok/></nc:rpc-reply>',
    ),
  ).toEqual({ name: 'rpc-reply', ns: 'urn:ietf:params:xml:ns:netconf:base:1.0', messageId: '5' });
  expect(
    peekRoot(
      `<notification xmlns='urn:ietf:params:xml:ns:netconf:notification:1.0'><eventTime>x</eventTime></notification>`,
    ),
  )?.toMatchObject({ name: 'notification', messageId: undefined });
  expect(peekRoot('no xml here')).toBeUndefined();
});

test('parsed tree resolves namespaces per element and serialises back', () => {
  const n = parseXml('<a xmlns="urn:a" xmlns:b="urn:b"><b:c>1 &amp; 2</b:c><d>&#x41;</d></a>');
  expect(child(n, 'c')?.ns).toBe('urn:b');
  expect(child(n, 'c')?.text).toBe('1 & 2');
  expect(child(n, 'd')?.ns).toBe('urn:a');
  expect(child(n, 'd')?.text).toBe('A');
  expect(parseXml('<a>&#60;b&#x3E; &amp;#65; &#x1F600;</a>').text).toBe('<b> &#65; 😀');
  expect(serializeXml(n)).toBe('<a xmlns="urn:a" xmlns:b="urn:b"><c xmlns="urn:b">1 &amp; 2</c><d>A</d></a>');
});

test('peekRoot terminates on unterminated declarations and comments', () => {
  for (const s of ['<?xml', '   <!-- x', '  <?a?>  <!-- unterminated', '<!-- a --> <!--', '<?x?><?y'])
    expect(peekRoot(s)).toBeUndefined();
});

test('reader: CDATA, comments, PIs, DOCTYPE skipped without expanding its entities', () => {
  expect(
    parseXml('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "zz">]><a><![CDATA[<x>&amp;]]><!-- c --><?pi x?>y&e;</a>')
      .text,
  ).toBe('<x>&amp;y&e;');
  expect(parseXml(`<a\n  b='1'\tc="&lt;&#10;">t</a\n>`).attrs).toEqual({ b: '1', c: '<\n' });
  expect(parseXml('<a>&nbsp;&#xFFFFFFF;</a>').text).toBe('&nbsp;&#xFFFFFFF;');
  expect(parseXml('<a/><!-- after -->\n').name).toBe('a');
});

test('reader: malformed documents are ProtocolErrors, deep nesting is bounded', () => {
  const bad = ['', 'text', '</a>', '<a><b></a>', '<a></b>', '<a><b>', '<a>x', '<a b=1/>', '<a b/>', '<>', '< a/>',
    '<a x="1>', '<a/><b/>', '<a>x</a>trailing', '<a"b/>', "<a b'c='1'/>", '<a><!-- x</a>', '<a><![CDATA[x</a>',
    `<a>${'<b>'.repeat(MAX_XML_DEPTH)}${'</b>'.repeat(MAX_XML_DEPTH)}</a>`];
  for (const s of bad) expect(() => parseXml(s), s.slice(0, 40)).toThrow(ProtocolError);
  const ok = `${'<b>'.repeat(MAX_XML_DEPTH)}${'</b>'.repeat(MAX_XML_DEPTH)}`;
  expect(parseXml(ok).name).toBe('b');
});

test('a serialised subtree declares the prefixes it uses that were bound on ancestors outside it', () => {
  const reply = parseXml('<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:rt="urn:rt" ' +
    'xmlns:m="urn:m" xmlns:unused="urn:u"><data><routing xmlns="urn:rt"><type>rt:static</type><x m:a="1"/>' +
    '<y>2001:db8::1</y></routing>' +
    '</data></rpc-reply>');
  const routing = child(child(reply, 'data'), 'routing');
  if (routing === undefined) throw new Error('no routing');
  const want = '<routing xmlns="urn:rt" xmlns:rt="urn:rt" xmlns:m="urn:m"><type>rt:static</type><x m:a="1"/>' +
    '<y>2001:db8::1</y></routing>';
  expect(serializeXml(routing)).toBe(want);
  expect(child(parseXml(serializeXml(routing)), 'x')?.attrs['m:a']).toBe('1');
  // A copy with attributes added (a checkpoint restore marks `nc:operation`) keeps them too.
  const marked = { ...routing, attrs: { ...routing.attrs, 'xmlns:nc': 'urn:nc', 'nc:operation': 'replace' } };
  const markedWant = want.replace('xmlns:m="urn:m"', 'xmlns:m="urn:m" xmlns:nc="urn:nc" nc:operation="replace"');
  expect(serializeXml(marked)).toBe(markedWant);
  // Declared on the subtree's root already: not repeated. Hand-built nodes without a scope: as before.
  expect(serializeXml(parseXml('<a xmlns:p="urn:p"><b>p:x</b></a>'))).toBe('<a xmlns:p="urn:p"><b>p:x</b></a>');
  const built = { name: 'a', ns: 'urn:a', attrs: {}, children: [], text: 'p:x' };
  expect(serializeXml(built)).toBe('<a xmlns="urn:a">p:x</a>');
});

test('an element in no namespace under a default namespace is written with xmlns=""', () => {
  const n = parseXml('<p:a xmlns:p="urn:p"><b/><p:c/></p:a>');
  const xml = serializeXml(n);
  expect(xml).toBe('<a xmlns="urn:p" xmlns:p="urn:p"><b xmlns=""/><c/></a>');
  expect(child(parseXml(xml), 'b')?.ns ?? '').toBe(''); // no namespace (the reader keeps xmlns="" as '')
  expect(child(parseXml(xml), 'c')?.ns).toBe('urn:p');
});
