import { readFileSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { isVmmiError } from '../../errors/vmmi-error.js';
import { FrameDecoder, MAX_CHUNK_SIZE, encodeMessage, utf8Length, type Framing } from './framing.js';

const recorded = new Uint8Array(
  readFileSync(new URL('../../../test/fixtures/netconf/frames/netconfd-session.bin', import.meta.url)),
);

/** Feeds `parts` in order; switches to chunked after the first (hello) message like a session does. */
function decodeAll(parts: readonly Uint8Array[], switchTo: Framing = 'chunked', max?: number): string[] {
  const d = new FrameDecoder(max === undefined ? {} : { maxMessageBytes: max });
  const out: string[] = [];
  for (const p of parts) {
    d.push(p);
    for (let m = d.next(); m !== undefined; m = d.next()) {
      out.push(m);
      if (out.length === 1) d.setFraming(switchTo);
    }
  }
  return out;
}

const whole = decodeAll([recorded]);

function framingError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isVmmiError(e) && e.code).toBe('FRAMING');
    return (e as Error).message;
  }
  throw new Error('expected a FRAMING error');
}

test('recorded netconfd session decodes into hello + replies + notification', () => {
  expect(whole).toHaveLength(8);
  expect(whole[0]).toContain('<session-id>1</session-id>');
  expect(whole.some((m) => m.includes('<name>sw-ü€😀</name>'))).toBe(true);
  expect(whole.filter((m) => m.includes('<notification'))).toHaveLength(1);
});

test('every two-part split of the recording yields identical messages', () => {
  for (let i = 0; i <= recorded.length; i++) {
    const got = decodeAll([recorded.subarray(0, i), recorded.subarray(i)]);
    if (got.length !== whole.length || got.some((m, k) => m !== whole[k])) throw new Error(`split at ${i} differs`);
  }
});

test('byte-by-byte and random multi-splits (incl. inside UTF-8 sequences) yield identical messages', () => {
  const bytes = Array.from(recorded, (b) => Uint8Array.of(b));
  expect(decodeAll(bytes)).toEqual(whole);
  let seed = 42;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let run = 0; run < 200; run++) {
    const parts: Uint8Array[] = [];
    for (let at = 0; at < recorded.length;) {
      const n = 1 + Math.floor(rnd() * 64);
      parts.push(recorded.subarray(at, at + n));
      at += n;
    }
    expect(decodeAll(parts)).toEqual(whole);
  }
});

test('encode/decode round trip with many small chunks splitting multi-byte characters', () => {
  const msg = '<rpc-reply>€😀ü'.repeat(50) + '</rpc-reply>';
  for (const size of [1, 2, 3, 5, 7, 4096]) {
    const d = new FrameDecoder();
    d.setFraming('chunked');
    d.push(encodeMessage(msg, 'chunked', size));
    expect(d.next()).toBe(msg);
    expect(d.next()).toBeUndefined();
  }
  const e = new FrameDecoder();
  e.push(encodeMessage(msg, 'eom'));
  expect(e.next()).toBe(msg);
});

test('chunk sizes at the limits', () => {
  const ok = new FrameDecoder();
  ok.setFraming('chunked');
  ok.push(new TextEncoder().encode('\n#1\nx\n##\n'));
  expect(ok.next()).toBe('x');
  // 4294967295 is the largest legal size: accepted as header, then refused by the message limit.
  const big = new FrameDecoder({ maxMessageBytes: 1024 });
  big.setFraming('chunked');
  big.push(new TextEncoder().encode(`\n#${MAX_CHUNK_SIZE}\n`));
  expect(framingError(() => big.next())).toContain('exceeds the limit');
  const over = new FrameDecoder();
  over.setFraming('chunked');
  over.push(new TextEncoder().encode(`\n#${MAX_CHUNK_SIZE + 1}\n`));
  expect(framingError(() => over.next())).toMatch(/above|bad chunk size/);
});

test('malformed chunk headers are fatal FRAMING errors', () => {
  const bad = [
    '\n#0\nx\n##\n',
    '\n#012\nx',
    '\n#\nx',
    '\n#1x\n',
    '\n#-1\n',
    '\n##\n',
    'junk',
    '\n#1\nx\n#a\n',
    '\n#1\nxy##\n',
    '\n#1\nx\n##x',
    '\n#12345678901\n',
  ];
  for (const b of bad) {
    const d = new FrameDecoder();
    d.setFraming('chunked');
    d.push(new TextEncoder().encode(b));
    const msg = framingError(() => {
      for (let i = 0; i < 5; i++) d.next();
    });
    expect(msg).toContain('NETCONF framing');
    // dead decoder: every further use throws the same error, never hangs or resumes
    expect(() => d.push(Uint8Array.of(0x0a))).toThrow(msg);
  }
});

test('oversized messages are refused in both framings', () => {
  const eom = new FrameDecoder({ maxMessageBytes: 100 });
  eom.push(new Uint8Array(200).fill(0x41));
  expect(framingError(() => eom.next())).toContain('exceeds the limit');
  const ch = new FrameDecoder({ maxMessageBytes: 100 });
  ch.setFraming('chunked');
  ch.push(encodeMessage('y'.repeat(150), 'chunked', 60));
  expect(framingError(() => ch.next())).toContain('exceeds the limit');
});

test('EOM marker split across pushes and whitespace between chunked messages', () => {
  const d = new FrameDecoder();
  d.push(new TextEncoder().encode('<a/>]]>]'));
  expect(d.next()).toBeUndefined();
  d.push(new TextEncoder().encode(']><b/>]]>]]>'));
  expect(d.next()).toBe('<a/>');
  expect(d.next()).toBe('<b/>');
  d.setFraming('chunked');
  d.push(new TextEncoder().encode('\r\n\n#3\n<c>\n##\n'));
  expect(d.next()).toBe('<c>');
});

test('a frame is sized from the UTF-8 length: utf8Length agrees with TextEncoder, lone surrogates included', () => {
  const enc = new TextEncoder();
  for (const s of ['', 'plain', 'ü€', '😀x', 'a\uD800b', '\uDC00', 'z\uD83D', '<a>€😀ü</a>'.repeat(20)]) {
    expect(utf8Length(s)).toBe(enc.encode(s).length);
  }
  const msg = '<rpc-reply>a\uD800€😀</rpc-reply>';
  const frame = new TextDecoder().decode(encodeMessage(msg, 'chunked'));
  expect(frame.startsWith(`\n#${enc.encode(msg).length}\n`)).toBe(true);
  const d = new FrameDecoder();
  d.setFraming('chunked');
  d.push(encodeMessage(msg, 'chunked'));
  expect(d.next()).toBe('<rpc-reply>a\uFFFD€😀</rpc-reply>');
});
